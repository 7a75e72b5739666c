package wire

import "time"

// MirrorStats is what a mirror (esbtui's registry image in proxy mode)
// reports about itself: the counters since it started, what its cache
// holds, and the last upstream failure.
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
