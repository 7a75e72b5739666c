package flows

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/esbtui/esbtui/enginemirror"
	"github.com/esbtui/esbtui/internal/termtext"
	"github.com/esbtui/esbtui/trust"
)

// checkEngineUsesMirror is the link "engine uses the mirror": per engine,
// its configuration routes the upstreams to the caches; for Docker, the
// running engine lists the mirror too (`docker info`), not only daemon.json.
func checkEngineUsesMirror(ctx context.Context, e *Env, _ *doctorRun) []Check {
	if len(e.Cfg.Mirrors) == 0 {
		return []Check{{Name: "engine uses the mirror", Status: CheckOK, Why: "no mirrors in esb.yaml: nothing to check"}}
	}
	sts, err := e.EngineMirrorStatus(ctx)
	if err != nil {
		return []Check{{Name: "engine uses the mirror", Status: CheckFail, Why: firstLine(err.Error()), Fix: "esbtui init"}}
	}
	var out []Check
	for _, st := range sts {
		c := Check{Name: "engine uses the mirror: " + st.Store}
		switch st.State {
		case trust.NotApplicable:
			c.Status, c.Why = CheckSkipped, st.Reason
		case trust.Trusted:
			c.Status, c.Why = CheckOK, "configured to pull through the caches"
			if st.Store == "docker" {
				c = checkDockerRunningMirrors(ctx, e, c)
			}
		case trust.Missing:
			c.Status, c.Why = CheckFail, "not configured: pulls go straight to the upstreams ("+strings.Join(st.Detail, ", ")+")"
			c.Fix = "esbtui mirror install --engine " + st.Store
		default:
			c.Status, c.Why, c.Fix = CheckFail, firstLine(st.Reason), "fix what it says, then esbtui mirror install"
		}
		out = append(out, c)
	}
	return out
}

// checkDockerRunningMirrors: daemon.json lists the mirrors; does dockerd?
func checkDockerRunningMirrors(ctx context.Context, e *Env, c Check) Check {
	var want []string
	for _, m := range e.Cfg.Mirrors {
		em := enginemirror.Mirror{Upstream: m.Upstream, Port: m.Port}
		if ns, err := em.Namespace(); err == nil && ns == enginemirror.DockerHub {
			want = append(want, em.URL())
		}
	}
	eng, err := e.Engine(ctx)
	if err != nil {
		c.Status, c.Why = CheckWarn, "daemon.json lists the mirror; the engine could not be asked whether it uses it: "+firstLine(err.Error())
		return c
	}
	defer eng.Close()
	have, err := eng.RegistryMirrors(ctx)
	if err != nil {
		c.Status, c.Why = CheckWarn, "daemon.json lists the mirror; "+firstLine(err.Error())
		return c
	}
	if !mirrorsApplied(trust.OpInstall, have, want) {
		c.Status = CheckFail
		c.Why = fmt.Sprintf("daemon.json lists %s but the running dockerd uses %v: it was not reloaded, or refused the file", strings.Join(want, ", "), have)
		c.Fix = "sudo kill -s HUP $(pidof dockerd) (or sudo systemctl reload docker), then see its log"
		return c
	}
	c.Why = "dockerd uses " + strings.Join(want, ", ") + " for Docker Hub (docker info)"
	return c
}

// checkMirrorReachesUpstream is the link "mirror reaches its upstream":
// each cache runs and, asked now, reaches its upstream.
func checkMirrorReachesUpstream(ctx context.Context, e *Env, _ *doctorRun) []Check {
	if len(e.Cfg.Mirrors) == 0 {
		return []Check{{Name: "mirror reaches its upstream", Status: CheckOK, Why: "no mirrors in esb.yaml: nothing to check"}}
	}
	ms, err := e.MirrorStatusesProbe(ctx)
	if err != nil && len(ms) == 0 {
		return []Check{{Name: "mirror reaches its upstream", Status: CheckFail, Why: firstLine(termtext.Clean(err.Error())), Fix: "esbtui up"}}
	}
	var out []Check
	for _, m := range ms {
		c := Check{Name: "mirror reaches its upstream: " + termtext.Clean(m.Upstream)}
		switch {
		case !m.Running:
			why := "the cache at " + m.Address + " does not answer"
			if m.Error != "" {
				why += ": " + firstLine(m.Error)
			}
			c.Status, c.Why, c.Fix = CheckFail, why, "esbtui up"
		case m.UpstreamChecked && !m.UpstreamReachable:
			why := "the cache cannot reach " + termtext.Clean(m.RemoteURL)
			if m.LastError != "" {
				why += ": " + firstLine(m.LastError)
			}
			c.Status, c.Why = CheckFail, why+" (images already cached still pull)"
			c.Fix = "check the network and the upstream's url: in esb.yaml (esbtui mirror ls shows the last error)"
		case !m.UpstreamChecked:
			c.Status, c.Why = CheckWarn, "the cache runs but has not contacted "+termtext.Clean(m.RemoteURL)+" yet"
		default:
			c.Status, c.Why = CheckOK, fmt.Sprintf("the cache at %s reaches %s (%d hits, %d misses so far)", m.Address, termtext.Clean(m.RemoteURL), m.Hits, m.Misses)
		}
		out = append(out, c)
	}
	if !slices.ContainsFunc(out, func(c Check) bool { return c.Status != CheckOK }) && err != nil {
		out = append(out, Check{Name: "mirror reaches its upstream", Status: CheckWarn, Why: firstLine(termtext.Clean(err.Error()))})
	}
	return out
}
