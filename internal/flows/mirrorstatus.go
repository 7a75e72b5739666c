package flows

import (
	"context"
	"time"

	"github.com/esbtui/esbtui/internal/config"
	"github.com/esbtui/esbtui/internal/termtext"
	"github.com/esbtui/esbtui/registryclient"
)

// MirrorStatus is one pull-through cache of esb.yaml's mirrors as the
// faces show it: where it is, whether it runs, what it saved, and how its
// upstream is doing.
type MirrorStatus struct {
	// Upstream is the registry engines route through the cache (as in
	// esb.yaml); Name its slug (the compose service is "mirror-<Name>").
	Upstream string `json:"upstream"`
	Name     string `json:"name"`
	// RemoteURL is where the cache fetches from.
	RemoteURL string `json:"remote_url"`
	// Address is the loopback host:port the cache is published on.
	Address string `json:"address"`
	// Running: the mirror's container runs and answered its stats.
	Running bool `json:"running"`
	// Hits and Misses count manifests and blobs served from the cache and
	// fetched from upstream; the bytes are what clients received from each.
	Hits              uint64 `json:"hits"`
	Misses            uint64 `json:"misses"`
	BytesFromCache    uint64 `json:"bytes_from_cache"`
	BytesFromUpstream uint64 `json:"bytes_from_upstream"`
	// UpstreamRequests counts every request the cache sent upstream.
	UpstreamRequests uint64 `json:"upstream_requests"`
	// CachedBytes is what the cache holds; MaxSize its cap (0: none).
	CachedBytes int64 `json:"cached_bytes"`
	MaxSize     int64 `json:"max_size"`
	// Evicted counts blobs removed to stay under MaxSize.
	Evicted uint64 `json:"evicted"`
	// TTL is how long cached content is served (0: forever).
	TTL time.Duration `json:"ttl_ns"`
	// LastError is the last upstream failure, cleaned for the terminal.
	LastError   string    `json:"last_error,omitempty"`
	LastErrorAt time.Time `json:"last_error_at,omitzero"`
	// UpstreamChecked says whether UpstreamReachable holds a result (the
	// mirror contacted its upstream since it started).
	UpstreamChecked   bool      `json:"upstream_checked"`
	UpstreamReachable bool      `json:"upstream_reachable"`
	UpstreamCheckedAt time.Time `json:"upstream_checked_at,omitzero"`
	// Error says why the status could not be read (the stack is down, the
	// mirror does not answer), cleaned for the terminal.
	Error string `json:"error,omitempty"`
}

// Problem is what the faces show as the mirror's trouble: its last
// upstream failure, else why its status could not be read ("" when none).
func (m MirrorStatus) Problem() string {
	if m.LastError != "" {
		return m.LastError
	}
	return m.Error
}

// MirrorStatuses reports every mirror of esb.yaml, in its order. A mirror
// that is not running is reported (Running false, Error saying why), not
// an error: the error is for failures of the whole report.
func (e *Env) MirrorStatuses(ctx context.Context) ([]MirrorStatus, error) {
	return e.mirrorStatuses(ctx, false)
}

// MirrorStatusesProbe is MirrorStatuses after each running mirror contacts
// its upstream (a bounded GET /v2/): UpstreamReachable is current (doctor's
// "mirror reaches its upstream").
func (e *Env) MirrorStatusesProbe(ctx context.Context) ([]MirrorStatus, error) {
	return e.mirrorStatuses(ctx, true)
}

func (e *Env) mirrorStatuses(ctx context.Context, probe bool) ([]MirrorStatus, error) {
	if len(e.Cfg.Mirrors) == 0 {
		return nil, nil
	}
	out := make([]MirrorStatus, len(e.Cfg.Mirrors))
	for i, m := range e.Cfg.Mirrors {
		out[i] = mirrorStatusOf(m)
	}
	rc, err := e.Registry()
	if err != nil {
		return out, err
	}
	for i, m := range e.Cfg.Mirrors {
		s, err := rc.ReadMirrorStats(ctx, m.Address(), probe)
		if err != nil {
			out[i].Error = termtext.Clean(err.Error())
			continue
		}
		out[i].fill(s)
	}
	return out, nil
}

func mirrorStatusOf(m config.Mirror) MirrorStatus {
	return MirrorStatus{
		Upstream:  m.Upstream,
		Name:      m.Name(),
		RemoteURL: m.RemoteURL(),
		Address:   m.Address(),
		MaxSize:   m.MaxSize,
		TTL:       m.EffectiveTTL(),
	}
}

// fill copies what the mirror reported; text is cleaned, numbers are
// taken as they are (they only count).
func (s *MirrorStatus) fill(st *registryclient.MirrorStats) {
	s.Running = true
	s.Hits, s.Misses = st.Hits, st.Misses
	s.BytesFromCache, s.BytesFromUpstream = st.BytesFromCache, st.BytesFromUpstream
	s.UpstreamRequests = st.UpstreamRequests
	s.CachedBytes, s.Evicted = st.CachedBytes, st.Evicted
	// What the running cache was started with (esb.yaml may have changed
	// since the last up).
	s.MaxSize = st.MaxSize
	s.TTL = time.Duration(st.TTLSeconds) * time.Second
	s.LastError, s.LastErrorAt = termtext.Clean(st.LastError), st.LastErrorAt
	if st.UpstreamReachable != nil {
		s.UpstreamChecked, s.UpstreamReachable = true, *st.UpstreamReachable
		s.UpstreamCheckedAt = st.UpstreamCheckedAt
	}
}
