package flows

import (
	"context"
	"fmt"
	"strings"
)

// checkContainersTrust is the doctor's link for container trust: every
// running service that opts in (esb.yaml trust.containers, label
// esb.trust) trusts esbtui's CA, checked from inside its container as
// `esbtui trust containers` does.
func checkContainersTrust(ctx context.Context, e *Env, _ *doctorRun) Check {
	rep, err := e.ContainerTrust(ctx, true)
	if err != nil {
		return Check{Status: CheckWarn, Why: firstLine(err.Error()), Fix: "esbtui trust containers"}
	}
	if rep.Error != "" {
		return Check{Status: CheckWarn, Why: "cannot read which services opt in: " + firstLine(rep.Error), Fix: "fix the compose project or esb.yaml, then esbtui trust containers"}
	}
	var opted, broken []string
	for _, s := range rep.Services {
		if !s.OptedIn {
			continue
		}
		opted = append(opted, s.Service)
		if !s.Trusted {
			broken = append(broken, s.Service+": "+s.Detail)
		}
	}
	switch {
	case len(broken) > 0:
		return Check{Status: CheckFail, Why: strings.Join(broken, "; "), Fix: "esbtui up (mounts esbtui's CA bundle into the services that opt in); details: esbtui trust containers"}
	case len(opted) == 0:
		return Check{Status: CheckOK, Why: "no running service opts in (esb.yaml trust.containers or the label esb.trust: \"true\")"}
	}
	return Check{Status: CheckOK, Why: fmt.Sprintf("%s trust the CA (checked inside the containers)", strings.Join(opted, ", "))}
}
