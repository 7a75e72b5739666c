package flows

import (
	"fmt"
	"time"

	"github.com/esbtui/esbtui/internal/config"
	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/internal/termtext"
	"github.com/esbtui/esbtui/registryclient"
	"github.com/esbtui/esbtui/stack/engine"
)

// AlertLevel is an alert's verdict.
type AlertLevel string

// Alert levels. Unknown is not ok: what the alert measures could not be
// measured (What says why).
const (
	AlertOK      AlertLevel = "ok"
	AlertWarn    AlertLevel = "warn"
	AlertFail    AlertLevel = "fail"
	AlertUnknown AlertLevel = "unknown"
)

// The alerts, in the order they are shown.
const (
	AlertStorage     = "storage"
	AlertPushSuccess = "push success"
	AlertPullSuccess = "pull success"
	AlertAPIP95      = "api p95"
)

// Alert is one of the registry's alerts: what it measures, its verdict
// against the threshold, and what to do.
type Alert struct {
	Name  string     `json:"name"`
	Level AlertLevel `json:"level"`
	// What is one line: the measure and its value, or why it is unknown.
	What string `json:"what"`
	// Short is the value in a few words ("87.5 % full", "p95 5ms"), for
	// the dashboard.
	Short string `json:"short"`
	// Value is the measure (percent for storage and the success rates,
	// seconds for the p95); nil when unknown.
	Value *float64 `json:"value,omitempty"`
	// Threshold is the one the value crossed (storage: warn or fail), or
	// the one it is held to; Unit is "%" or "s".
	Threshold float64 `json:"threshold"`
	Unit      string  `json:"unit"`
	// Window is what the rates and the p95 cover ("since the registry
	// started 2h0m ago", "the last 5m0s").
	Window string `json:"window,omitempty"`
	Fix    string `json:"fix,omitempty"`
}

// Firing reports whether the alert calls for action: its level is warn or
// fail (ok and unknown do not fire).
func (a Alert) Firing() bool { return a.Level == AlertWarn || a.Level == AlertFail }

// StorageFilesystem is the filesystem that holds the registry's data: in
// the stack's registry container (the registry-data volume) or the
// in-process registry's directory (esbtui serve).
type StorageFilesystem struct {
	// Where names it: "esb-registry:/var/lib/registry", or the directory.
	Where string `json:"where"`
	// Method is how it was measured: statfs here (esbtui serve's
	// directory, or a volume of an engine that shares this machine's
	// filesystem) or df in the registry container.
	Method string `json:"method"`
	engine.FSUsage
	UsedPercent float64 `json:"used_percent"`
}

// AlertInputs are what the alerts are computed from; an Err says why its
// measure is missing.
type AlertInputs struct {
	Storage    *StorageFilesystem
	StorageErr string
	Metrics    *registryclient.Metrics
	MetricsErr string
}

// Fixes the alerts offer.
const (
	fixStorage = "esbtui prune --keep N (delete old tags; --dry-run first), then esbtui gc (free their blobs); or give the registry's volume more room"
	fixSuccess = "esbtui logs registry: 5xx = the registry or its storage failed (a full disk?), 401/403 = credentials refused (esbtui auth), 400 = a client sent a bad digest or manifest"
	fixP95     = "esbtui logs registry and esbtui metrics --interval 10s; a full or slow disk (esbtui gc) or a busy machine slows every call"
)

// EvaluateAlerts holds the measures to the thresholds: storage use (warn,
// fail), the push and pull success rates and the API p95 (warn). A measure
// that is missing gives an unknown alert saying why, never an ok one.
func EvaluateAlerts(th config.Alerts, in AlertInputs) []Alert {
	return append([]Alert{storageAlert(th, in)}, MetricsAlerts(th, in.Metrics, in.MetricsErr)...)
}

// MetricsAlerts are the alerts computed from the registry's metrics (push
// and pull success, API p95) over the window m covers; with m nil every one
// is unknown, saying why (metricsErr).
func MetricsAlerts(th config.Alerts, m *registryclient.Metrics, metricsErr string) []Alert {
	var out []Alert
	if m == nil {
		why := "the registry's metrics are not available"
		if metricsErr != "" {
			why += ": " + termtext.Clean(metricsErr)
		}
		for _, a := range []Alert{
			{Name: AlertPushSuccess, Threshold: th.SuccessRate, Unit: "%"},
			{Name: AlertPullSuccess, Threshold: th.SuccessRate, Unit: "%"},
			{Name: AlertAPIP95, Threshold: th.P95.Seconds(), Unit: "s"},
		} {
			a.Level, a.What, a.Short = AlertUnknown, why, "no metrics"
			out = append(out, a)
		}
		return out
	}
	window := metricsWindow(m)
	out = append(out,
		successAlert(AlertPushSuccess, "pushes", m.Pushes, th, window),
		successAlert(AlertPullSuccess, "pulls", m.Pulls, th, window),
		p95Alert(m, th, window))
	return out
}

func storageAlert(th config.Alerts, in AlertInputs) Alert {
	a := Alert{Name: AlertStorage, Threshold: th.StorageWarn, Unit: "%"}
	fs := in.Storage
	if fs == nil {
		a.Level, a.What, a.Short = AlertUnknown, "the registry's storage filesystem was not measured", "not measured"
		if in.StorageErr != "" {
			a.What += ": " + termtext.Clean(in.StorageErr)
		}
		return a
	}
	pct := fs.UsedPercent
	a.Value = &pct
	// Where names a container and a path from its environment: outside
	// text, made safe for the terminal.
	a.What = fmt.Sprintf("%s is %.1f %% full (%s available of %s)", termtext.Clean(fs.Where), pct, progress.Bytes(fs.Avail), progress.Bytes(fs.Total))
	switch {
	case pct >= th.StorageFail:
		a.Level, a.Threshold, a.Fix = AlertFail, th.StorageFail, fixStorage
		a.What += fmt.Sprintf(", at or over %v %%: pushes will fail when it fills", th.StorageFail)
	case pct >= th.StorageWarn:
		a.Level, a.Fix = AlertWarn, fixStorage
		a.What += fmt.Sprintf(", at or over %v %%", th.StorageWarn)
	default:
		a.Level = AlertOK
	}
	return a
}

func successAlert(name, what string, c registryclient.RequestCount, th config.Alerts, window string) Alert {
	a := Alert{Name: name, Threshold: th.SuccessRate, Unit: "%", Window: window}
	rate, ok := c.SuccessRate()
	if !ok {
		a.Level, a.What, a.Short = AlertUnknown, fmt.Sprintf("no %s %s: no rate to judge", what, window), "no "+what

		return a
	}
	pct := 100 * rate
	a.Value = &pct
	a.Short = fmt.Sprintf("%.1f %% of %d", pct, int64(c.Requests))
	a.What = fmt.Sprintf("%.2f %% of %d %s succeeded %s (%d failed)", pct, int64(c.Requests), what, window, int64(c.Failures))
	if pct < th.SuccessRate {
		a.Level, a.Fix = AlertWarn, fixSuccess
		a.What += fmt.Sprintf(", under %v %%", th.SuccessRate)
		return a
	}
	a.Level = AlertOK
	return a
}

func p95Alert(m *registryclient.Metrics, th config.Alerts, window string) Alert {
	a := Alert{Name: AlertAPIP95, Threshold: th.P95.Seconds(), Unit: "s", Window: window}
	if m.APIP95 <= 0 {
		a.Level, a.What, a.Short = AlertUnknown, "no API calls "+window+": no latency to judge", "no calls"
		return a
	}
	sec := m.APIP95.Seconds()
	a.Value = &sec
	a.Short = m.APIP95.Round(time.Millisecond).String()
	if m.APIP95 < time.Millisecond {
		a.Short = "<1ms"
	}
	a.What = fmt.Sprintf("95 %% of API calls answered within %s %s (blob transfers left out)", m.APIP95.Round(time.Millisecond), window)
	if m.APIP95 > th.P95 {
		a.Level, a.Fix = AlertWarn, fixP95
		a.What += ", over " + th.P95.String()
		return a
	}
	a.Level = AlertOK
	return a
}

// metricsWindow says what the rates cover.
func metricsWindow(m *registryclient.Metrics) string {
	if m.Since == "sample" {
		return "in the last " + m.Window.Round(time.Second).String()
	}
	if m.Window > 0 {
		return "since the registry started " + m.Window.Round(time.Second).String() + " ago"
	}
	return "since the registry started"
}

// WorstAlert is the most severe level among alerts (unknown ranks below
// warn: it is not a problem, only not known).
func WorstAlert(alerts []Alert) AlertLevel {
	rank := map[AlertLevel]int{AlertOK: 0, AlertUnknown: 1, AlertWarn: 2, AlertFail: 3}
	worst := AlertOK
	for _, a := range alerts {
		if rank[a.Level] > rank[worst] {
			worst = a.Level
		}
	}
	return worst
}
