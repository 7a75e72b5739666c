package registryclient

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// The distribution v3 metrics esbtui reads (from its debug server's
// /metrics, Prometheus text format).
const (
	metricRequests     = "registry_http_requests_total"           // counter {code, handler, method}
	metricDuration     = "registry_http_request_duration_seconds" // histogram {handler, method}
	metricRequestSize  = "registry_http_request_size_bytes"       // histogram {handler}
	metricResponseSize = "registry_http_response_size_bytes"      // histogram {handler}
	metricStartTime    = "process_start_time_seconds"
	metricPending      = "registry_notifications_pending" // gauge {endpoint}
)

// MetricsSample is one scrape of the registry's counters, summed over
// handlers and methods.
type MetricsSample struct {
	Time time.Time `json:"time"`
	// Started is when the registry process started (counters count from
	// there).
	Started      time.Time `json:"started,omitzero"`
	Requests     float64   `json:"requests"`
	ServerErrors float64   `json:"server_errors"` // 5xx
	ClientErrors float64   `json:"client_errors"` // 4xx (404 on blob HEAD is normal during a push; 401 with auth)
	BytesIn      float64   `json:"bytes_in"`
	BytesOut     float64   `json:"bytes_out"`
	// Buckets is the request duration histogram: upper bound (seconds) →
	// cumulative count, with +Inf last.
	Buckets []Bucket `json:"buckets"`
	// PendingEvents are notifications queued in the registry (not yet
	// delivered to esbtui's listener).
	PendingEvents float64 `json:"pending_events"`
	// Pushes and Pulls count the push and pull requests and how many of
	// them failed (pushpull.go says which requests and which answers).
	Pushes RequestCount `json:"pushes"`
	Pulls  RequestCount `json:"pulls"`
	// APIBuckets is the duration histogram of the API calls alone: every
	// request but the blob transfers (pushpull.go), whose time is their
	// size over the link.
	APIBuckets []Bucket `json:"api_buckets"`
}

// Bucket is one cumulative histogram bucket.
type Bucket struct {
	UpperBound float64 `json:"le"`
	Count      float64 `json:"count"`
}

// Metrics are rates over a window: between two samples, or since the
// registry started.
type Metrics struct {
	// Window is the span the rates cover; Since says what it starts at
	// ("start": the registry's start, "sample": an earlier scrape).
	Window time.Duration `json:"window_ns"`
	Since  string        `json:"since"`
	// Requests and the rate per second.
	Requests    int64   `json:"requests"`
	RequestRate float64 `json:"request_rate"`
	// Errors are 5xx responses; ErrorRate is Errors/Requests (0..1).
	Errors       int64   `json:"errors"`
	ErrorRate    float64 `json:"error_rate"`
	ClientErrors int64   `json:"client_errors"`
	// P95 is the 95th percentile request duration, interpolated in the
	// histogram bucket that holds it (as Prometheus' histogram_quantile).
	P95 time.Duration `json:"p95_ns"`
	// BytesIn/BytesOut are request/response body bytes; the rates are per
	// second.
	BytesIn      int64   `json:"bytes_in"`
	BytesOut     int64   `json:"bytes_out"`
	BytesInRate  float64 `json:"bytes_in_rate"`
	BytesOutRate float64 `json:"bytes_out_rate"`
	// PendingEvents are notifications the registry has not delivered yet.
	PendingEvents int64 `json:"pending_events"`
	// Pushes and Pulls are the push and pull requests in the window and
	// how many failed (pushpull.go).
	Pushes RequestCount `json:"pushes"`
	Pulls  RequestCount `json:"pulls"`
	// APIP95 is the 95th percentile duration of the API calls (every
	// request but blob transfers), as P95.
	APIP95 time.Duration `json:"api_p95_ns"`
}

// MetricsUnavailableError means the registry's metrics endpoint did not
// answer.
type MetricsUnavailableError struct {
	URL string
	Err error
}

func (e *MetricsUnavailableError) Error() string {
	return fmt.Sprintf("registryclient: registry metrics at %s: %v (is the stack up? `esbtui up` publishes them on the registry port + 1, loopback only; REGISTRY_HTTP_DEBUG_PROMETHEUS_ENABLED must be true)", e.URL, e.Err)
}

func (e *MetricsUnavailableError) Unwrap() error { return e.Err }

// ScrapeMetrics GETs url (http://127.0.0.1:5001/metrics) and sums the
// registry's request counters.
func (c *Client) ScrapeMetrics(ctx context.Context, url string) (*MetricsSample, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, &MetricsUnavailableError{URL: url, Err: err}
	}
	req.Header.Set("Accept", "text/plain")
	resp, err := (&http.Client{Transport: c.tr}).Do(req)
	if err != nil {
		return nil, &MetricsUnavailableError{URL: url, Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return nil, &MetricsUnavailableError{URL: url, Err: fmt.Errorf("HTTP %s", resp.Status)}
	}
	s, err := ParseMetrics(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, &MetricsUnavailableError{URL: url, Err: err}
	}
	return s, nil
}

// ParseMetrics reads a Prometheus text exposition.
func ParseMetrics(r io.Reader) (*MetricsSample, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("parse metrics: %w", err)
	}
	s := &MetricsSample{Time: time.Now()}
	if f := fams[metricStartTime]; f != nil && len(f.Metric) > 0 && f.Metric[0].Gauge != nil {
		sec := f.Metric[0].Gauge.GetValue()
		s.Started = time.Unix(int64(sec), int64((sec-math.Floor(sec))*1e9))
	}
	if f := fams[metricRequests]; f != nil {
		for _, m := range f.Metric {
			v := m.GetCounter().GetValue()
			s.Requests += v
			code := label(m, "code")
			switch {
			case strings.HasPrefix(code, "5"):
				s.ServerErrors += v
			case strings.HasPrefix(code, "4"):
				s.ClientErrors += v
			}
			s.countPushPull(label(m, "handler"), label(m, "method"), code, v)
		}
	}
	s.BytesIn = histogramSum(fams[metricRequestSize])
	s.BytesOut = histogramSum(fams[metricResponseSize])
	if f := fams[metricPending]; f != nil {
		for _, m := range f.Metric {
			s.PendingEvents += m.GetGauge().GetValue()
		}
	}
	if f := fams[metricDuration]; f != nil {
		s.Buckets = sumHistograms(f.Metric, func(*dto.Metric) bool { return true })
		s.APIBuckets = sumHistograms(f.Metric, func(m *dto.Metric) bool {
			return !isBlobTransfer(label(m, "handler"), label(m, "method"))
		})
	}
	return s, nil
}

// sumHistograms adds up the histograms of the series keep accepts into
// sorted cumulative buckets ending with +Inf.
func sumHistograms(series []*dto.Metric, keep func(*dto.Metric) bool) []Bucket {
	byLE := map[float64]float64{}
	var total float64
	for _, m := range series {
		if !keep(m) {
			continue
		}
		h := m.GetHistogram()
		for _, b := range h.GetBucket() {
			byLE[b.GetUpperBound()] += float64(b.GetCumulativeCount())
		}
		total += float64(h.GetSampleCount())
	}
	byLE[math.Inf(1)] = total
	out := make([]Bucket, 0, len(byLE))
	for le, n := range byLE {
		out = append(out, Bucket{UpperBound: le, Count: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UpperBound < out[j].UpperBound })
	return out
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func histogramSum(f *dto.MetricFamily) float64 {
	if f == nil {
		return 0
	}
	var n float64
	for _, m := range f.Metric {
		n += m.GetHistogram().GetSampleSum()
	}
	return n
}

// ComputeMetrics turns samples into rates over the window between prev and
// cur; with prev nil, over the time since the registry started. A counter
// that went down (the registry restarted in between) counts from zero.
func ComputeMetrics(prev, cur *MetricsSample) Metrics {
	m := Metrics{Since: "start", PendingEvents: int64(cur.PendingEvents)}
	base := &MetricsSample{}
	from := cur.Started
	if prev != nil && cur.Requests >= prev.Requests && (cur.Started.IsZero() || !cur.Started.After(prev.Time)) {
		base, from, m.Since = prev, prev.Time, "sample"
	}
	if !from.IsZero() {
		m.Window = cur.Time.Sub(from)
	}
	m.Requests = int64(cur.Requests - base.Requests)
	m.Errors = int64(cur.ServerErrors - base.ServerErrors)
	m.ClientErrors = int64(cur.ClientErrors - base.ClientErrors)
	m.BytesIn = int64(cur.BytesIn - base.BytesIn)
	m.BytesOut = int64(cur.BytesOut - base.BytesOut)
	if m.Requests > 0 {
		m.ErrorRate = float64(m.Errors) / float64(m.Requests)
	}
	if sec := m.Window.Seconds(); sec > 0 {
		m.RequestRate = float64(m.Requests) / sec
		m.BytesInRate = float64(m.BytesIn) / sec
		m.BytesOutRate = float64(m.BytesOut) / sec
	}
	m.P95 = time.Duration(quantile(0.95, deltaBuckets(base.Buckets, cur.Buckets)) * float64(time.Second))
	m.APIP95 = time.Duration(quantile(0.95, deltaBuckets(base.APIBuckets, cur.APIBuckets)) * float64(time.Second))
	m.Pushes = cur.Pushes.minus(base.Pushes)
	m.Pulls = cur.Pulls.minus(base.Pulls)
	return m
}

func deltaBuckets(prev, cur []Bucket) []Bucket {
	old := map[float64]float64{}
	for _, b := range prev {
		old[b.UpperBound] = b.Count
	}
	out := make([]Bucket, len(cur))
	for i, b := range cur {
		out[i] = Bucket{UpperBound: b.UpperBound, Count: b.Count - old[b.UpperBound]}
	}
	return out
}

// quantile is Prometheus' histogram_quantile over sorted cumulative
// buckets ending with +Inf: linear interpolation inside the bucket that
// holds rank q×total; a rank in the +Inf bucket gives the highest finite
// bound. 0 when there are no observations.
func quantile(q float64, buckets []Bucket) float64 {
	if len(buckets) == 0 {
		return 0
	}
	total := buckets[len(buckets)-1].Count
	if total <= 0 {
		return 0
	}
	rank := q * total
	lower, below := 0.0, 0.0
	for i, b := range buckets {
		if b.Count >= rank {
			if math.IsInf(b.UpperBound, 1) {
				if i == 0 {
					return 0
				}
				return buckets[i-1].UpperBound
			}
			in := b.Count - below
			if in <= 0 {
				return b.UpperBound
			}
			return lower + (b.UpperBound-lower)*(rank-below)/in
		}
		lower, below = b.UpperBound, b.Count
	}
	return lower
}
