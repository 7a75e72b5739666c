package registryclient

import "sync"

// Stats are cumulative push counters of a Client.
type Stats struct {
	Pushes           int   `json:"pushes"`
	LayersCompressed int   `json:"layers_compressed"`
	BytesCompressed  int64 `json:"bytes_compressed"`
	BytesSent        int64 `json:"bytes_sent"`
	CacheHits        int   `json:"cache_hits"`
}

type statsBox struct {
	mu sync.Mutex
	s  Stats
}

func (b *statsBox) add(r *PushResult) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.s.Pushes++
	b.s.LayersCompressed += r.LayersCompressed
	b.s.BytesCompressed += r.BytesCompressed
	b.s.BytesSent += r.BytesSent
	b.s.CacheHits += r.CacheHits
}

// Stats returns the push counters so far.
func (c *Client) Stats() Stats {
	c.stats.mu.Lock()
	defer c.stats.mu.Unlock()
	return c.stats.s
}
