package flows

import "context"

// checkAlerts is one check per registry alert ("alerts: storage", ...):
// warn and fail as the alert, with its fix; an alert that could not be
// measured is skipped with why (unknown is not ok).
func checkAlerts(ctx context.Context, e *Env, _ *doctorRun) []Check {
	alerts := e.Alerts(ctx)
	out := make([]Check, 0, len(alerts))
	for _, a := range alerts {
		c := Check{Name: "alerts: " + a.Name, Why: a.What, Fix: a.Fix}
		switch a.Level {
		case AlertOK:
			c.Status = CheckOK
		case AlertWarn:
			c.Status = CheckWarn
		case AlertFail:
			c.Status = CheckFail
		default:
			c.Status, c.Why = CheckSkipped, "unknown: "+a.What
		}
		out = append(out, c)
	}
	return out
}
