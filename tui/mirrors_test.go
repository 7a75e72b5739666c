package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/esbtui/esbtui/hubquota"
	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/trust"
)

// mirrorsHealthyState is healthyState with two caches: docker.io saving
// pulls, ghcr.io whose upstream is down, podman not configured, and a low
// Docker Hub quota.
func mirrorsHealthyState() State {
	s := healthyState()
	s.Registry.Mirrors = mirrorsState(mirrorsSection())
	return s
}

func mirrorsSection() *flows.MirrorsSection {
	return &flows.MirrorsSection{
		Mirrors: []flows.MirrorStatus{
			{Upstream: "docker.io", Address: "localhost:5002", Running: true, Hits: 42, Misses: 7, BytesFromCache: 1_200_000_000, BytesFromUpstream: 180_000_000, UpstreamChecked: true, UpstreamReachable: true},
			{Upstream: "ghcr.io", Address: "localhost:5003", Running: true, Hits: 3, Misses: 1, UpstreamChecked: true, LastError: "dial tcp: lookup ghcr.io: no such host\x1b[2J"},
		},
		Engines:        []trust.Status{{Store: "docker", State: trust.Trusted}, {Store: "containerd", State: trust.NotApplicable}, {Store: "podman", State: trust.Missing}},
		DockerHubQuota: &flows.HubQuota{Quota: &hubquota.Quota{Limit: 100, Remaining: 4, Window: 6 * time.Hour, Low: true}},
	}
}

// TestMirrorsSection: the Registry pane shows per upstream hits, misses and
// bytes, the upstream's error (cleaned), the engines not using the caches
// and the low quota; without mirrors there is no section.
func TestMirrorsSection(t *testing.T) {
	st := newStyles(true)
	lines := strings.Join(mirrorsLines(st, mirrorsState(mirrorsSection()), 100), "\n")
	for _, want := range []string{"docker.io", "42 hit 7 miss · 1.1 GiB from cache", "ghcr.io", "no such host", "[podman]", "4/100 pulls left", "LOW"} {
		if !strings.Contains(lines, want) {
			t.Errorf("mirrors section lacks %q:\n%s", want, lines)
		}
	}
	if strings.Contains(lines, "\x1b[2J") {
		t.Errorf("an escape from the upstream's error reached the pane: %q", lines)
	}
	if got := mirrorsLines(st, mirrorsState(nil), 100); got != nil {
		t.Errorf("no mirrors: %q, want no section", got)
	}
}
