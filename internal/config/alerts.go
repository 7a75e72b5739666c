package config

import (
	"fmt"
	"math"
	"time"

	"go.yaml.in/yaml/v3"
)

// Alerts are the thresholds of the registry's alerts (esb.yaml's alerts;
// the defaults are the design's): the storage filesystem's use, the
// push and pull success rates, the API's p95 latency.
type Alerts struct {
	// StorageWarn and StorageFail are percentages of the registry's
	// filesystem in use at which storage warns and fails.
	StorageWarn float64
	StorageFail float64
	// SuccessRate is the percentage of push (and of pull) requests that
	// must succeed; below it the rate warns.
	SuccessRate float64
	// P95 is the API latency the 95th percentile must stay under.
	P95 time.Duration
}

// DefaultAlerts are the design's thresholds: storage at 85 % warns and at
// 95 % fails, push/pull success under 99 % and API p95 over 1 s warn.
func DefaultAlerts() Alerts {
	return Alerts{StorageWarn: 85, StorageFail: 95, SuccessRate: 99, P95: time.Second}
}

// maxAlertP95 bounds alerts.p95: a registry API call slower than this is
// not a threshold anyone means.
const maxAlertP95 = 10 * time.Minute

// AlertsFile is esb.yaml's alerts section; a key left out keeps its
// default.
//
//	alerts: {storage_warn: 85, storage_fail: 95, success_rate: 99, p95: 1s}
type AlertsFile struct {
	StorageWarn *float64      `yaml:"storage_warn"`
	StorageFail *float64      `yaml:"storage_fail"`
	SuccessRate *float64      `yaml:"success_rate"`
	P95         *yamlDuration `yaml:"p95"`
}

// yamlDuration is a Go duration written as text ("1s", "500ms").
type yamlDuration time.Duration

// UnmarshalYAML reads a duration with its unit.
func (d *yamlDuration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		return fmt.Errorf("line %d: %q is not a duration: give one with its unit, like 1s or 500ms", n.Line, n.Value)
	}
	*d = yamlDuration(v)
	return nil
}

// resolve lays the file's keys over the defaults and checks them: every
// percentage in (0, 100], storage_warn at most storage_fail, p95 above 0
// and at most 10m.
func (f AlertsFile) resolve(path string) (Alerts, error) {
	a := DefaultAlerts()
	for _, p := range []struct {
		key string
		in  *float64
		out *float64
	}{
		{"storage_warn", f.StorageWarn, &a.StorageWarn},
		{"storage_fail", f.StorageFail, &a.StorageFail},
		{"success_rate", f.SuccessRate, &a.SuccessRate},
	} {
		if p.in == nil {
			continue
		}
		if v := *p.in; math.IsNaN(v) || v <= 0 || v > 100 {
			return Alerts{}, fmt.Errorf("config: %s: alerts.%s is %v: give a percentage above 0 and at most 100, or leave it out (default %v)", path, p.key, v, *p.out)
		}
		*p.out = *p.in
	}
	if a.StorageWarn > a.StorageFail {
		return Alerts{}, fmt.Errorf("config: %s: alerts.storage_warn (%v %%) is above alerts.storage_fail (%v %%): the warning must come first; set both", path, a.StorageWarn, a.StorageFail)
	}
	if f.P95 != nil {
		d := time.Duration(*f.P95)
		if d <= 0 || d > maxAlertP95 {
			return Alerts{}, fmt.Errorf("config: %s: alerts.p95 is %v: give a duration above 0 and at most %v, or leave it out (default 1s)", path, d, maxAlertP95)
		}
		a.P95 = d
	}
	return a, nil
}
