package config

import (
	"strings"
	"testing"
	"time"
)

func TestAlertsThresholds(t *testing.T) {
	pf, err := ParseProjectFile("/p/esb.yaml", nil)
	if err != nil || pf.ResolvedAlerts != DefaultAlerts() {
		t.Fatalf("no alerts section: %+v %v, want the defaults", pf, err)
	}
	if d := DefaultAlerts(); d.StorageWarn != 85 || d.StorageFail != 95 || d.SuccessRate != 99 || d.P95 != time.Second {
		t.Fatalf("defaults %+v, want the design's 85/95/99/1s", d)
	}
	if FromHome("/h").Alerts != DefaultAlerts() {
		t.Fatal("FromHome must carry the default thresholds")
	}
	pf, err = ParseProjectFile("/p/esb.yaml", []byte("alerts: {storage_warn: 70, storage_fail: 80.5, success_rate: 99.9, p95: 250ms}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (Alerts{StorageWarn: 70, StorageFail: 80.5, SuccessRate: 99.9, P95: 250 * time.Millisecond}); pf.ResolvedAlerts != want {
		t.Fatalf("alerts %+v, want %+v", pf.ResolvedAlerts, want)
	}
	// A key left out keeps its default.
	pf, err = ParseProjectFile("/p/esb.yaml", []byte("alerts:\n  p95: 2s\n"))
	if err != nil || pf.ResolvedAlerts.P95 != 2*time.Second || pf.ResolvedAlerts.StorageWarn != 85 {
		t.Fatalf("partial alerts: %+v %v", pf, err)
	}
}

func TestAlertsThresholdErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"alerts: {storage_warn: 0}\n", "alerts.storage_warn is 0: give a percentage above 0 and at most 100"},
		{"alerts: {storage_fail: 101}\n", "alerts.storage_fail is 101"},
		{"alerts: {success_rate: -5}\n", "alerts.success_rate is -5"},
		{"alerts: {success_rate: .nan}\n", "alerts.success_rate is NaN"},
		{"alerts: {storage_warn: 96}\n", "alerts.storage_warn (96 %) is above alerts.storage_fail (95 %)"},
		{"alerts: {storage_warn: 90, storage_fail: 80}\n", "is above alerts.storage_fail"},
		{"alerts: {p95: 1}\n", `"1" is not a duration`},
		{"alerts: {p95: fast}\n", `"fast" is not a duration`},
		{"alerts: {p95: 0s}\n", "alerts.p95 is 0s"},
		{"alerts: {p95: 1h}\n", "at most 10m0s"},
		{"alerts: {storage_warn: 85%}\n", "storage_warn"},
		{"alerts: {storage: 85}\n", "alerts.storage_warn"},
	} {
		_, err := ParseProjectFile("/p/esb.yaml", []byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "/p/esb.yaml") {
			t.Errorf("%q: err %v, want %q", tc.yaml, err, tc.want)
		}
	}
}
