package tui

import (
	"strings"
	"testing"

	"github.com/esbtui/esbtui/internal/flows"
)

// Rates since the registry started say so at every width the dashboard
// draws (38 columns inside a pane at 80, 78 at 160); live rates do not.
func TestMetricsSinceStartLabelFits(t *testing.T) {
	start := sinceStart() // in 488 KiB/s · out 195 KiB/s
	live := flows.ComputeMetrics(fakeSample(0), fakeSample(1))
	for _, tc := range []struct {
		mm    *flows.Metrics
		w     int
		label string
	}{
		{start, 38, "in 488 KiB/s · out 195 KiB/s lifetime"},
		{start, 78, "in 488 KiB/s · out 195 KiB/s since start"},
		{start, 200, "· in 488 KiB/s · out 195 KiB/s since start"},
		{&live, 38, "in 325 KiB/s · out 97.7 KiB/s"},
	} {
		lines := metricsLines(tc.mm, tc.w)
		all := strings.Join(lines, "\n")
		if !strings.Contains(all, tc.label) {
			t.Errorf("width %d: %q lacks %q", tc.w, lines, tc.label)
		}
		for _, l := range lines {
			if n := len([]rune(l)); n > tc.w {
				t.Errorf("width %d: %q is %d wide", tc.w, l, n)
			}
		}
		if tc.mm.Since != "start" && (strings.Contains(all, "since start") || strings.Contains(all, "lifetime")) {
			t.Errorf("live rates labelled as since start: %q", lines)
		}
	}
}
