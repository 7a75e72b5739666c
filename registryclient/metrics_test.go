package registryclient

import (
	"math"
	"strings"
	"testing"
	"time"
)

const sampleMetrics = `# TYPE process_start_time_seconds gauge
process_start_time_seconds 1.7e+09
# TYPE registry_http_requests_total counter
registry_http_requests_total{code="200",handler="base",method="get"} 80
registry_http_requests_total{code="404",handler="blob",method="head"} 10
registry_http_requests_total{code="500",handler="blob",method="get"} 10
# TYPE registry_http_request_duration_seconds histogram
registry_http_request_duration_seconds_bucket{handler="base",method="get",le="0.01"} 80
registry_http_request_duration_seconds_bucket{handler="base",method="get",le="0.1"} 80
registry_http_request_duration_seconds_bucket{handler="base",method="get",le="+Inf"} 80
registry_http_request_duration_seconds_sum{handler="base",method="get"} 0.1
registry_http_request_duration_seconds_count{handler="base",method="get"} 80
registry_http_request_duration_seconds_bucket{handler="blob",method="get",le="0.01"} 0
registry_http_request_duration_seconds_bucket{handler="blob",method="get",le="0.1"} 20
registry_http_request_duration_seconds_bucket{handler="blob",method="get",le="+Inf"} 20
registry_http_request_duration_seconds_sum{handler="blob",method="get"} 1
registry_http_request_duration_seconds_count{handler="blob",method="get"} 20
# TYPE registry_http_request_size_bytes histogram
registry_http_request_size_bytes_bucket{handler="blob",le="+Inf"} 3
registry_http_request_size_bytes_sum{handler="blob"} 3000
registry_http_request_size_bytes_count{handler="blob"} 3
# TYPE registry_http_response_size_bytes histogram
registry_http_response_size_bytes_bucket{handler="blob",le="+Inf"} 3
registry_http_response_size_bytes_sum{handler="blob"} 500
registry_http_response_size_bytes_count{handler="blob"} 3
`

func TestParseAndComputeMetrics(t *testing.T) {
	s, err := ParseMetrics(strings.NewReader(sampleMetrics))
	if err != nil {
		t.Fatal(err)
	}
	if s.Requests != 100 || s.ServerErrors != 10 || s.ClientErrors != 10 || s.BytesIn != 3000 || s.BytesOut != 500 {
		t.Fatalf("sample %+v", s)
	}
	s.Time = s.Started.Add(100 * time.Second)
	m := ComputeMetrics(nil, s)
	if m.Since != "start" || m.Requests != 100 || m.RequestRate != 1 || m.ErrorRate != 0.1 || m.BytesInRate != 30 {
		t.Fatalf("since start: %+v", m)
	}
	// rank 95 of 100: 80 in ≤10ms, the other 20 in (10ms, 100ms]: 10ms + 90ms×15/20.
	if want := 0.0775; math.Abs(m.P95.Seconds()-want) > 1e-9 {
		t.Fatalf("p95 %v, want %vs", m.P95, want)
	}
	// Between two samples only the difference counts: 10 requests, all in
	// (10ms, 100ms]: rank 9.5 → 10ms + 90ms×9.5/10.
	prev := *s
	prev.Time = s.Time.Add(-10 * time.Second)
	prev.Requests, prev.ServerErrors = 90, 10
	prev.Buckets = []Bucket{{0.01, 80}, {0.1, 90}, {math.Inf(1), 90}}
	m = ComputeMetrics(&prev, s)
	if m.Since != "sample" || m.Requests != 10 || m.Errors != 0 || m.RequestRate != 1 || math.Abs(m.P95.Seconds()-0.0955) > 1e-9 {
		t.Fatalf("between samples: %+v", m)
	}
	// A restart in between (counters went down): count from the start.
	prev.Requests = 1000
	if m = ComputeMetrics(&prev, s); m.Since != "start" {
		t.Fatalf("after a restart: %+v", m)
	}
	if quantile(0.95, nil) != 0 || quantile(0.95, []Bucket{{math.Inf(1), 0}}) != 0 {
		t.Fatal("empty histogram must give 0")
	}
}
