package registryclient

import (
	"os"
	"strings"
	"testing"
	"time"
)

// pushPullMetrics is a registry's counters after a push (HEAD 404s for the
// new blobs, upload, commit, manifest PUT), pulls, a pull of a missing tag
// and failed requests: a bad digest (400), refused credentials (401) and a
// storage error (500).
const pushPullMetrics = `# TYPE registry_http_requests_total counter
registry_http_requests_total{code="200",handler="base",method="get"} 5
registry_http_requests_total{code="401",handler="base",method="get"} 5
registry_http_requests_total{code="404",handler="blob",method="head"} 3
registry_http_requests_total{code="202",handler="blob_upload",method="post"} 3
registry_http_requests_total{code="202",handler="blob_upload_chunk",method="patch"} 3
registry_http_requests_total{code="201",handler="blob_upload_chunk",method="put"} 2
registry_http_requests_total{code="400",handler="blob_upload_chunk",method="put"} 1
registry_http_requests_total{code="201",handler="manifest",method="put"} 1
registry_http_requests_total{code="200",handler="manifest",method="get"} 90
registry_http_requests_total{code="404",handler="manifest",method="get"} 4
registry_http_requests_total{code="401",handler="manifest",method="head"} 1
registry_http_requests_total{code="200",handler="blob",method="get"} 4
registry_http_requests_total{code="500",handler="blob",method="get"} 1
registry_http_requests_total{code="200",handler="catalog",method="get"} 7
registry_http_requests_total{code="202",handler="manifest",method="delete"} 2
# TYPE registry_http_request_duration_seconds histogram
registry_http_request_duration_seconds_bucket{handler="manifest",method="get",le="0.1"} 94
registry_http_request_duration_seconds_bucket{handler="manifest",method="get",le="1"} 94
registry_http_request_duration_seconds_bucket{handler="manifest",method="get",le="2.5"} 94
registry_http_request_duration_seconds_bucket{handler="manifest",method="get",le="+Inf"} 94
registry_http_request_duration_seconds_sum{handler="manifest",method="get"} 1
registry_http_request_duration_seconds_count{handler="manifest",method="get"} 94
registry_http_request_duration_seconds_bucket{handler="blob",method="get",le="0.1"} 0
registry_http_request_duration_seconds_bucket{handler="blob",method="get",le="1"} 0
registry_http_request_duration_seconds_bucket{handler="blob",method="get",le="2.5"} 0
registry_http_request_duration_seconds_bucket{handler="blob",method="get",le="+Inf"} 500
registry_http_request_duration_seconds_sum{handler="blob",method="get"} 5000
registry_http_request_duration_seconds_count{handler="blob",method="get"} 500
`

// TestPushPullCountsOfARealScrape reads a real /metrics of esbtui's
// registry image (distribution v3.1.2) recorded by the e2e alerts test
// after a push, doctor's probe (push, pull, delete) and five uploads with a
// wrong digest (400).
func TestPushPullCountsOfARealScrape(t *testing.T) {
	f, err := os.Open("testdata/metrics-esbtui-registry.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := ParseMetrics(f)
	if err != nil {
		t.Fatal(err)
	}
	// Pushes: blob HEAD 200 ×2, upload POST ×9, PATCH ×2, PUT ×4 + ×5
	// (400), manifest PUT ×3 = 25, 5 failed; the 404s are not counted.
	if want := (RequestCount{Requests: 25, Failures: 5}); s.Pushes != want {
		t.Errorf("pushes %+v, want %+v", s.Pushes, want)
	}
	// Pulls: blob GET ×4, manifest GET ×2, manifest HEAD ×2.
	if want := (RequestCount{Requests: 8}); s.Pulls != want {
		t.Errorf("pulls %+v, want %+v", s.Pulls, want)
	}
	if m := ComputeMetrics(nil, s); m.APIP95 <= 0 || m.APIP95 > m.P95 {
		t.Errorf("API p95 %v (overall %v)", m.APIP95, m.P95)
	}
}

func TestPushPullCounts(t *testing.T) {
	s, err := ParseMetrics(strings.NewReader(pushPullMetrics))
	if err != nil {
		t.Fatal(err)
	}
	// Pushes: 3 post + 3 patch + 3 put + 1 manifest put = 10 (the blob
	// HEAD 404s are not counted); failed: the 400. Pulls: manifest get 90
	// (not the 4 404s) + manifest head 1 + blob get 5 = 96; failed: the
	// 401 and the 500.
	if want := (RequestCount{Requests: 10, Failures: 1}); s.Pushes != want {
		t.Errorf("pushes %+v, want %+v", s.Pushes, want)
	}
	if want := (RequestCount{Requests: 96, Failures: 2}); s.Pulls != want {
		t.Errorf("pulls %+v, want %+v", s.Pulls, want)
	}
	prev := *s
	prev.Time = time.Unix(1000, 0)
	cur := *s
	cur.Time = prev.Time.Add(time.Minute)
	cur.Pushes = RequestCount{Requests: 110, Failures: 2}
	m := ComputeMetrics(&prev, &cur)
	if want := (RequestCount{Requests: 100, Failures: 1}); m.Pushes != want {
		t.Errorf("pushes in the window %+v, want %+v", m.Pushes, want)
	}
	if r, ok := m.Pushes.SuccessRate(); !ok || r != 0.99 {
		t.Errorf("push success %v %v, want 0.99", r, ok)
	}
	if _, ok := (RequestCount{}).SuccessRate(); ok {
		t.Error("no requests must have no rate")
	}
}

// The API p95 leaves the blob transfers out: 500 slow blob GETs make the
// overall p95 2.5 s while the manifests all answered within 100 ms.
func TestAPIP95LeavesBlobTransfersOut(t *testing.T) {
	s, err := ParseMetrics(strings.NewReader(pushPullMetrics))
	if err != nil {
		t.Fatal(err)
	}
	m := ComputeMetrics(nil, s)
	if m.P95 != 2500*time.Millisecond {
		t.Errorf("overall p95 %v, want 2.5s", m.P95)
	}
	if m.APIP95 <= 0 || m.APIP95 > 100*time.Millisecond {
		t.Errorf("API p95 %v, want within the 100ms bucket", m.APIP95)
	}
}
