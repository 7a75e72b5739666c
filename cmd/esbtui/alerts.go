package main

import (
	"github.com/esbtui/esbtui/internal/config"
	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/termtext"
)

// printAlerts is status's alerts block: one line per alert with its
// verdict, the fix under each that is not ok.
func printAlerts(a *app, alerts []flows.Alert, th config.Alerts) {
	if len(alerts) == 0 {
		return
	}
	a.printf("\nAlerts (storage warn %v %% / fail %v %%, push/pull success under %v %%, API p95 over %s)\n",
		th.StorageWarn, th.StorageFail, th.SuccessRate, th.P95)
	for _, al := range alerts {
		what := termtext.Clean(al.What)
		if al.Level == flows.AlertUnknown {
			what = "unknown: " + what
		}
		a.printf("  %s %-13s %s\n", alertMark(al.Level), al.Name, what)
		if al.Fix != "" && al.Firing() {
			a.printf("    %-13s fix: %s\n", "", al.Fix)
		}
	}
}

func alertMark(l flows.AlertLevel) string {
	switch l {
	case flows.AlertOK:
		return "✓"
	case flows.AlertWarn:
		return "!"
	case flows.AlertFail:
		return "✗"
	}
	return "?"
}
