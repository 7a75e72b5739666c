package flows

import (
	"strings"
	"testing"
	"time"

	"github.com/esbtui/esbtui/internal/config"
	"github.com/esbtui/esbtui/registryclient"
	"github.com/esbtui/esbtui/stack/engine"
)

// slowAPIMetrics: the registry's counters after 100 manifest GETs, 10 of
// them slower than 1 s (p95 in the (1s, 2.5s] bucket), 40 pushes with no
// failure and blob GETs that take seconds (transfers: not API calls).
const slowAPIMetrics = `# TYPE process_start_time_seconds gauge
process_start_time_seconds 1.7e+09
# TYPE registry_http_requests_total counter
registry_http_requests_total{code="200",handler="manifest",method="get"} 100
registry_http_requests_total{code="200",handler="blob",method="get"} 20
registry_http_requests_total{code="202",handler="blob_upload",method="post"} 20
registry_http_requests_total{code="201",handler="blob_upload",method="put"} 20
# TYPE registry_http_request_duration_seconds histogram
registry_http_request_duration_seconds_bucket{handler="manifest",method="get",le="0.1"} 90
registry_http_request_duration_seconds_bucket{handler="manifest",method="get",le="1"} 90
registry_http_request_duration_seconds_bucket{handler="manifest",method="get",le="2.5"} 100
registry_http_request_duration_seconds_bucket{handler="manifest",method="get",le="+Inf"} 100
registry_http_request_duration_seconds_sum{handler="manifest",method="get"} 20
registry_http_request_duration_seconds_count{handler="manifest",method="get"} 100
registry_http_request_duration_seconds_bucket{handler="blob",method="get",le="0.1"} 0
registry_http_request_duration_seconds_bucket{handler="blob",method="get",le="1"} 0
registry_http_request_duration_seconds_bucket{handler="blob",method="get",le="2.5"} 0
registry_http_request_duration_seconds_bucket{handler="blob",method="get",le="+Inf"} 20
registry_http_request_duration_seconds_sum{handler="blob",method="get"} 200
registry_http_request_duration_seconds_count{handler="blob",method="get"} 20
`

func metricsOf(t *testing.T, text string) *registryclient.Metrics {
	t.Helper()
	s, err := registryclient.ParseMetrics(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	s.Time = s.Started.Add(time.Hour)
	m := registryclient.ComputeMetrics(nil, s)
	return &m
}

func alertNamed(t *testing.T, alerts []Alert, name string) Alert {
	t.Helper()
	for _, a := range alerts {
		if a.Name == name {
			return a
		}
	}
	t.Fatalf("no %q alert in %+v", name, alerts)
	return Alert{}
}

func fsAt(pct float64) *StorageFilesystem {
	u := engine.FSUsage{Total: 1000, Free: int64(1000 - 10*pct), Avail: int64(1000 - 10*pct)}
	return &StorageFilesystem{Where: "esb-registry:/var/lib/registry", FSUsage: u, UsedPercent: u.UsedPercent()}
}

func TestStorageAlertLevels(t *testing.T) {
	th := config.DefaultAlerts()
	for _, tc := range []struct {
		pct       float64
		level     AlertLevel
		threshold float64
	}{{50, AlertOK, 85}, {84.9, AlertOK, 85}, {85, AlertWarn, 85}, {94.9, AlertWarn, 85}, {95, AlertFail, 95}, {100, AlertFail, 95}} {
		a := alertNamed(t, EvaluateAlerts(th, AlertInputs{Storage: fsAt(tc.pct)}), AlertStorage)
		if a.Level != tc.level || a.Threshold != tc.threshold || a.Value == nil || *a.Value != tc.pct || a.Unit != "%" {
			t.Errorf("%v %%: %+v, want %s at threshold %v", tc.pct, a, tc.level, tc.threshold)
		}
		if (a.Level != AlertOK) != strings.Contains(a.Fix, "esbtui prune --keep") {
			t.Errorf("%v %%: fix %q", tc.pct, a.Fix)
		}
	}
	// The thresholds are the configured ones.
	th.StorageWarn, th.StorageFail = 40, 60
	if a := alertNamed(t, EvaluateAlerts(th, AlertInputs{Storage: fsAt(50)}), AlertStorage); a.Level != AlertWarn || a.Threshold != 40 {
		t.Errorf("configured 40/60 at 50 %%: %+v", a)
	}
	// Not measured: unknown, saying why; never ok.
	a := alertNamed(t, EvaluateAlerts(th, AlertInputs{StorageErr: "the registry is not running"}), AlertStorage)
	if a.Level != AlertUnknown || a.Value != nil || !strings.Contains(a.What, "the registry is not running") {
		t.Errorf("unmeasured storage: %+v", a)
	}
}

func TestRateAndP95Alerts(t *testing.T) {
	th := config.DefaultAlerts()
	alerts := EvaluateAlerts(th, AlertInputs{Storage: fsAt(10), Metrics: metricsOf(t, slowAPIMetrics)})
	p95 := alertNamed(t, alerts, AlertAPIP95)
	// rank 95 of 100: 90 within 1 s, 10 in (1s, 2.5s]: 1 + 1.5×5/10 = 1.75 s.
	if p95.Level != AlertWarn || p95.Value == nil || *p95.Value != 1.75 || p95.Threshold != 1 || p95.Unit != "s" || p95.Fix == "" {
		t.Errorf("p95: %+v, want warn at 1.75 s over 1 s", p95)
	}
	if !strings.Contains(p95.Window, "since the registry started 1h0m0s ago") {
		t.Errorf("window %q", p95.Window)
	}
	if push := alertNamed(t, alerts, AlertPushSuccess); push.Level != AlertOK || *push.Value != 100 {
		t.Errorf("push: %+v", push)
	}
	th.P95 = 2 * time.Second
	if a := alertNamed(t, EvaluateAlerts(th, AlertInputs{Metrics: metricsOf(t, slowAPIMetrics)}), AlertAPIP95); a.Level != AlertOK {
		t.Errorf("p95 under a 2s threshold: %+v", a)
	}

	// 2 of 100 pulls failed (a 500 and a 401; the 404s are not counted): 98 %.
	failing := `# TYPE registry_http_requests_total counter
registry_http_requests_total{code="200",handler="manifest",method="get"} 98
registry_http_requests_total{code="500",handler="blob",method="get"} 1
registry_http_requests_total{code="401",handler="manifest",method="head"} 1
registry_http_requests_total{code="404",handler="manifest",method="get"} 300
`
	alerts = EvaluateAlerts(config.DefaultAlerts(), AlertInputs{Metrics: metricsOf(t, failing)})
	pull := alertNamed(t, alerts, AlertPullSuccess)
	if pull.Level != AlertWarn || pull.Value == nil || *pull.Value != 98 {
		// 100 pulls counted (the 404s are not), 2 failed: 98 %.
		t.Errorf("pull: %+v", pull)
	}
	if pull.Threshold != 99 || !strings.Contains(pull.Fix, "esbtui logs registry") {
		t.Errorf("pull: %+v", pull)
	}
	if push := alertNamed(t, alerts, AlertPushSuccess); push.Level != AlertUnknown || !strings.Contains(push.What, "no pushes") {
		t.Errorf("no pushes must be unknown: %+v", push)
	}
	if p95 := alertNamed(t, alerts, AlertAPIP95); p95.Level != AlertUnknown {
		t.Errorf("no histogram must be unknown: %+v", p95)
	}

	// No metrics at all: every metrics alert is unknown, with why.
	alerts = EvaluateAlerts(config.DefaultAlerts(), AlertInputs{MetricsErr: "connection refused"})
	for _, name := range []string{AlertPushSuccess, AlertPullSuccess, AlertAPIP95} {
		if a := alertNamed(t, alerts, name); a.Level != AlertUnknown || !strings.Contains(a.What, "connection refused") || a.Value != nil {
			t.Errorf("%s without metrics: %+v", name, a)
		}
	}
	if WorstAlert(alerts) != AlertUnknown || WorstAlert(EvaluateAlerts(config.DefaultAlerts(), AlertInputs{Storage: fsAt(99)})) != AlertFail {
		t.Error("WorstAlert")
	}
}

// Firing is what every face uses to decide which alerts to show with a fix
// and count in the header: warn and fail fire, ok and unknown do not.
func TestAlertFiringIsWarnOrFail(t *testing.T) {
	for level, want := range map[AlertLevel]bool{AlertOK: false, AlertUnknown: false, AlertWarn: true, AlertFail: true} {
		if got := (Alert{Level: level}).Firing(); got != want {
			t.Errorf("Alert{Level: %q}.Firing() = %v, want %v", level, got, want)
		}
	}
}
