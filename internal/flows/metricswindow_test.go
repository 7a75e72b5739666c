package flows

import (
	"testing"
	"time"

	"github.com/esbtui/esbtui/registryclient"
)

func TestMetricsWindowSlides(t *testing.T) {
	start := time.Unix(1_000_000, 0)
	w := MetricsWindow{Span: time.Minute}
	sample := func(at time.Duration, pulls, failed float64) *registryclient.MetricsSample {
		return &registryclient.MetricsSample{Time: start.Add(at), Started: start, Requests: pulls, Pulls: registryclient.RequestCount{Requests: pulls, Failures: failed}}
	}
	// Before a full minute of samples: since the registry started.
	m := w.Add(sample(10*time.Second, 100, 10))
	if m.Since != "start" || m.Pulls.Failures != 10 {
		t.Fatalf("first sample: %+v", m)
	}
	if m = w.Add(sample(40*time.Second, 200, 10)); m.Since != "start" || m.Pulls.Requests != 200 {
		t.Fatalf("40s in: %+v", m)
	}
	// From 70 s the base is the newest sample at or before now-1m: the
	// failures at 10 s fall out of the window.
	if m = w.Add(sample(70*time.Second, 300, 10)); m.Since != "sample" || m.Window != time.Minute || m.Pulls.Requests != 200 || m.Pulls.Failures != 0 {
		t.Fatalf("70s in: %+v", m)
	}
	if m = w.Add(sample(100*time.Second, 400, 12)); m.Window != time.Minute || m.Pulls.Requests != 200 || m.Pulls.Failures != 2 {
		t.Fatalf("100s in: %+v", m)
	}
	// A restart (counters down): start over, since the new start.
	re := sample(110*time.Second, 5, 0)
	re.Started = start.Add(105 * time.Second)
	if m = w.Add(re); m.Since != "start" || m.Pulls.Requests != 5 {
		t.Fatalf("after a restart: %+v", m)
	}
}
