package flows

import (
	"time"

	"github.com/esbtui/esbtui/registryclient"
)

// DashboardAlertWindow is the span the dashboard's rate and p95 alerts
// cover once it has watched that long.
const DashboardAlertWindow = 5 * time.Minute

// MetricsWindow keeps a watcher's recent scrapes so that its alerts cover
// a sliding window: the last Span once samples span it, since the registry
// started before that (a window of a few seconds would judge a handful of
// requests). A registry restart (counters going down) starts over.
type MetricsWindow struct {
	Span    time.Duration
	samples []*registryclient.MetricsSample
}

// Add records a scrape and returns the metrics over the window it closes.
func (w *MetricsWindow) Add(s *registryclient.MetricsSample) registryclient.Metrics {
	if n := len(w.samples); n > 0 {
		last := w.samples[n-1]
		if s.Requests < last.Requests || !s.Started.Equal(last.Started) {
			w.samples = nil
		}
	}
	w.samples = append(w.samples, s)
	cut := s.Time.Add(-w.Span)
	// Keep the newest sample at or before the cut as the window's base.
	for len(w.samples) > 2 && !w.samples[1].Time.After(cut) {
		w.samples = w.samples[1:]
	}
	if base := w.samples[0]; base != s && !base.Time.After(cut) {
		return registryclient.ComputeMetrics(base, s)
	}
	return registryclient.ComputeMetrics(nil, s)
}

// Reset forgets the samples (the registry went away).
func (w *MetricsWindow) Reset() { w.samples = nil }
