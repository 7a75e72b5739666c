package registryclient

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// MirrorStatsPath is where a mirror (esbtui's registry image in proxy
// mode) serves its counters as JSON, on its own TLS port.
const MirrorStatsPath = "/esbtui/mirror/stats"

// maxMirrorStats bounds the stats document read from a mirror.
const maxMirrorStats = 64 << 10

// MirrorStats is what a mirror reports about itself: the counters since it
// started, what its cache holds, and the last upstream failure. The
// registry side (registryserver's mirror handler) writes the same JSON.
type MirrorStats struct {
	// RemoteURL is the upstream the mirror fetches from.
	RemoteURL string `json:"remote_url"`
	// Hits are manifests and blobs served from the cache; Misses the ones
	// fetched from upstream.
	Hits   uint64 `json:"hits"`
	Misses uint64 `json:"misses"`
	// BytesFromCache and BytesFromUpstream are response body bytes served
	// to clients from the cache and fetched from upstream.
	BytesFromCache    uint64 `json:"bytes_from_cache"`
	BytesFromUpstream uint64 `json:"bytes_from_upstream"`
	// UpstreamRequests counts every HTTP request the mirror sent upstream
	// (token requests included).
	UpstreamRequests uint64 `json:"upstream_requests"`
	// CachedBytes is the size of the cache's storage (blobs); MaxSize the
	// cap (0: none); Evicted counts blobs removed to stay under it.
	CachedBytes int64  `json:"cached_bytes"`
	MaxSize     int64  `json:"max_size"`
	Evicted     uint64 `json:"evicted"`
	// TTLSeconds is how long cached content is served (0: forever).
	TTLSeconds int64 `json:"ttl_seconds"`
	// LastError is the last upstream failure (never credentials), and when.
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	// UpstreamReachable is the result of the last contact with upstream
	// (nil: never tried), at UpstreamCheckedAt.
	UpstreamReachable *bool     `json:"upstream_reachable,omitempty"`
	UpstreamCheckedAt time.Time `json:"upstream_checked_at,omitzero"`
}

// ReadMirrorStats GETs https://ADDR/esbtui/mirror/stats over the client's
// TLS (esbtui's CA) and decodes at most 64 KiB of it. probe asks the mirror
// to contact its upstream first (a bounded GET /v2/) so that
// UpstreamReachable is current.
func (c *Client) ReadMirrorStats(ctx context.Context, addr string, probe bool) (*MirrorStats, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	u := "https://" + addr + MirrorStatsPath
	if probe {
		u += "?probe=1"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("registryclient: mirror stats %s: %w", addr, err)
	}
	resp, err := (&http.Client{Transport: c.rt}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("registryclient: mirror stats %s: %w", addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return nil, fmt.Errorf("registryclient: mirror stats %s: HTTP %d (is it esbtui's registry image in mirror mode?)", addr, resp.StatusCode)
	}
	var s MirrorStats
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxMirrorStats)).Decode(&s); err != nil {
		return nil, fmt.Errorf("registryclient: mirror stats %s: %w", addr, err)
	}
	return &s, nil
}
