package registryclient

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/esbtui/esbtui/internal/wire"
)

// MirrorStatsPath is where a mirror (esbtui's registry image in proxy
// mode) serves its counters as JSON, on its own TLS port.
const MirrorStatsPath = "/esbtui/mirror/stats"

// maxMirrorStats bounds the stats document read from a mirror.
const maxMirrorStats = 64 << 10

// MirrorStats is what a mirror reports about itself; the registry side
// (registryserver's mirror handler) writes the same record.
type MirrorStats = wire.MirrorStats

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
