package tui

import (
	"strings"
	"testing"

	"github.com/esbtui/esbtui/internal/config"
	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/registryclient"
)

// alertState is healthyState with the snapshot's alerts: the storage over
// 85 %, the pull rate ok, the push rate and p95 unknown.
func alertState() State {
	s := healthyState()
	v := 87.5
	s.Registry.Alerts = []flows.Alert{
		{Name: flows.AlertStorage, Level: flows.AlertWarn, Value: &v, Short: "87.5 % of 64.0 MiB", What: "esb-registry:/var/lib/registry is 87.5 % full", Fix: "esbtui prune --keep N (delete old tags; --dry-run first), then esbtui gc"},
		{Name: flows.AlertPushSuccess, Level: flows.AlertUnknown, Short: "no pushes"},
		{Name: flows.AlertPullSuccess, Level: flows.AlertOK, Short: "100.0 % of 40"},
		{Name: flows.AlertAPIP95, Level: flows.AlertUnknown, Short: "no calls"},
	}
	s.Registry.AlertThresholds = config.DefaultAlerts()
	return s
}

// The header carries a badge for an alert that fires, the Registry pane a
// line per alert (the firing one with its fix) and its level; with no
// alert firing there is no badge.
func TestAlertsInHeaderAndRegistryPane(t *testing.T) {
	m := newStatic(alertState(), 160, 48)
	v := plainView(m)
	header := strings.SplitN(v, "\n", 2)[0]
	if !strings.Contains(header, "! storage 87.5 % of 64.0 MiB") || !strings.Contains(header, "! needs attention") {
		t.Errorf("header %q lacks the storage badge", header)
	}
	for _, want := range []string{"! storage 87.5 % of 64.0 MiB — esbtui prune --keep", "? push success no pushes", "✓ pull success 100.0 % of 40", "? api p95 no calls", "! 4 repos · storage 87.5 %"} {
		if !strings.Contains(v, want) {
			t.Errorf("frame lacks %q:\n%s", want, v)
		}
	}
	// 120x40: the ok and unknown alerts share one line, the firing one
	// keeps its own; 80x24: only the firing one, the repositories keep a
	// line.
	v = plainView(newStatic(alertState(), 120, 40))
	if !strings.Contains(v, "! storage 87.5 %") || !strings.Contains(v, "? push success no pushes · ✓ pull success") {
		t.Errorf("120x40 frame:\n%s", v)
	}
	v = plainView(newStatic(alertState(), 80, 24))
	if !strings.Contains(v, "! storage 87.5 %") || strings.Contains(v, "push success") || !strings.Contains(v, "esb/base") {
		t.Errorf("80x24 frame:\n%s", v)
	}
	if h := strings.SplitN(plainView(newStatic(healthyState(), 160, 48)), "\n", 2)[0]; strings.Contains(h, "storage") {
		t.Errorf("a badge with no alert: %q", h)
	}
}

// While the dashboard scrapes, the rate alerts are judged over its own
// window: failing pushes in the scrape raise the push alert in the header.
func TestLiveAlertsFromScrapes(t *testing.T) {
	m := newStatic(alertState(), 160, 48)
	s := fakeSample(0)
	s.Pushes = registryclient.RequestCount{Requests: 50, Failures: 5}
	m.Update(metricsMsg{s: s})
	v := plainView(m)
	header := strings.SplitN(v, "\n", 2)[0]
	if !strings.Contains(header, "! 2 alerts") {
		t.Errorf("header %q, want 2 alerts (storage and push)", header)
	}
	if !strings.Contains(v, "! push success 90.0 % of 50 — esbtui logs registry") {
		t.Errorf("frame lacks the live push alert:\n%s", v)
	}
	// The metrics going away returns to the snapshot's alerts.
	m.Update(metricsMsg{err: errTest("connection refused")})
	if v = plainView(m); !strings.Contains(v, "? push success no pushes") {
		t.Errorf("after a failed scrape:\n%s", v)
	}
}

type errTest string

func (e errTest) Error() string { return string(e) }
