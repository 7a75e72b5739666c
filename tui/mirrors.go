package tui

import (
	"fmt"

	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/internal/termtext"
)

// MirrorState is one pull-through cache as the Registry pane's Mirrors
// section shows it: what it saved and whether it reaches its upstream.
type MirrorState struct {
	Upstream          string
	Address           string
	Running           bool
	Hits, Misses      uint64
	BytesFromCache    uint64
	BytesFromUpstream uint64
	// Problem is the last upstream error, or why the cache does not answer.
	Problem string
}

// MirrorsState is the Mirrors section: the caches, the engines not set to
// use them, and Docker Hub's pull quota ("" when not read).
type MirrorsState struct {
	Mirrors []MirrorState
	// Unconfigured are the engines that apply here but do not pull
	// through the caches (esbtui mirror install).
	Unconfigured []string
	Quota        string
	QuotaLow     bool
}

// mirrorsState converts the snapshot's section (nil stays nil).
func mirrorsState(s *flows.MirrorsSection) *MirrorsState {
	if s == nil {
		return nil
	}
	ms := &MirrorsState{}
	for _, m := range s.Mirrors {
		p := m.Problem()
		if m.UpstreamChecked && !m.UpstreamReachable && p == "" {
			p = "upstream unreachable"
		}
		ms.Mirrors = append(ms.Mirrors, MirrorState{Upstream: termtext.Clean(m.Upstream), Address: m.Address, Running: m.Running,
			Hits: m.Hits, Misses: m.Misses, BytesFromCache: m.BytesFromCache, BytesFromUpstream: m.BytesFromUpstream, Problem: termtext.Clean(p)})
	}
	for _, e := range s.Engines {
		if e.State == flows.StoreMissing || e.State == flows.StoreStale {
			ms.Unconfigured = append(ms.Unconfigured, e.Store)
		}
	}
	if q := s.DockerHubQuota; q != nil {
		switch {
		case q.Error != "":
			ms.Quota = "unknown (" + q.Error + ")"
		case q.Quota != nil:
			ms.Quota, ms.QuotaLow = q.Quota.String(), q.Low
		}
	}
	return ms
}

// mirrorsLines is the Mirrors section of the Registry pane.
func mirrorsLines(st *styles, m *MirrorsState, w int) []string {
	if m == nil {
		return nil
	}
	lines := []string{st.bold.Render("Mirrors")}
	for _, c := range m.Mirrors {
		lvl := lvlOK
		switch {
		case !c.Running:
			lvl = lvlBad
		case c.Problem != "":
			lvl = lvlWarn
		}
		line := st.mark(lvl, fmt.Sprintf("%-12s %d hit %d miss · %s from cache", clipRunes(c.Upstream, 12),
			c.Hits, c.Misses, progress.Bytes(int64(min(c.BytesFromCache, 1<<62)))))
		if !c.Running {
			line = st.mark(lvl, fmt.Sprintf("%-12s down (%s)", clipRunes(c.Upstream, 12), c.Address))
		}
		lines = append(lines, line)
		if c.Problem != "" {
			lines = append(lines, wrapIndent("    ", c.Problem, w, "    ", func(s string) string { return st.dim.Render(s) })...)
		}
	}
	if len(m.Unconfigured) > 0 {
		lines = append(lines, st.mark(lvlWarn, fmt.Sprintf("not used by %v: esbtui mirror install", m.Unconfigured)))
	}
	if m.Quota != "" {
		lvl := lvlNone
		if m.QuotaLow {
			lvl = lvlWarn
		}
		lines = append(lines, wrapIndent(st.mark(lvl, "Docker Hub: "), m.Quota, w, "  ", nil)...)
	}
	return lines
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
