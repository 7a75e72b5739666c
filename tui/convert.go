package tui

import (
	"strconv"
	"strings"

	"github.com/esbtui/esbtui/internal/flows"
)

// The converters map env's snapshot sections onto the dashboard's State. A
// nil section stays nil: the pane then says "not available" rather than
// guessing.

func trustState(s *flows.TrustStatus) *TrustState {
	if s == nil {
		return nil
	}
	ts := &TrustState{Err: s.Problem, Notes: s.Notes}
	if s.Root != "" {
		ts.Notes = append(ts.Notes, "sandbox: every store path is under ESB_TRUST_ROOT="+s.Root)
	}
	for _, st := range s.Stores {
		t := TrustStore{Name: st.Store, Reason: st.Reason}
		switch st.State {
		case flows.StoreTrusted:
			t.State = Trusted
		case flows.StoreMissing:
			t.State = Missing
		case flows.StoreStale:
			t.State = Stale
		case flows.StoreNotApplicable:
			t.State = NA
		default:
			t.State = Unknown
		}
		if len(st.Warnings) > 0 {
			t.Warning = strings.Join(st.Warnings, "; ")
		}
		ts.Stores = append(ts.Stores, t)
	}
	return ts
}

func stackState(s *flows.StackStatus) *StackState {
	if s == nil {
		return nil
	}
	st := &StackState{Project: s.Project, Services: convServices(s.Services)}
	if s.Engine != nil {
		st.Engine = s.Engine.Host + " (API " + s.Engine.APIVersion + ")"
	}
	if s.State == flows.StackUnavailable || s.Engine == nil {
		st.EngineErr = s.Error
		if st.EngineErr == "" {
			st.EngineErr = "the Docker engine cannot be reached"
		}
	}
	return st
}

func convServices(in []flows.Service) []Service {
	out := make([]Service, 0, len(in))
	for _, s := range in {
		svc := Service{Name: s.Name, State: s.State, Health: s.Health, Started: s.StartedAt, TrustCA: s.TrustBundle != ""}
		if s.Name == flows.RegistryService {
			svc.Image = registryImageNote(s.Image)
		}
		for _, p := range s.Ports {
			// "127.0.0.1:5000->5000/tcp" → "127.0.0.1:5000→5000"
			p = strings.TrimSuffix(p, "/tcp")
			svc.Ports = append(svc.Ports, strings.Replace(p, "->", "→", 1))
		}
		if !s.OK() {
			svc.Detail = s.HealthOutput
			if s.State == "exited" && s.ExitCode != 0 {
				svc.Detail = strings.TrimSpace("exit code " + strconv.Itoa(s.ExitCode) + " " + svc.Detail)
			}
		}
		out = append(out, svc)
	}
	return out
}

// registryImageNote is the Services pane's line on the registry's image.
func registryImageNote(ref string) string {
	if strings.HasPrefix(ref, flows.SelfImageRepository+":") {
		return "image " + ref + " (esbtui's own, from an esbtui binary)"
	}
	return "image " + ref
}
