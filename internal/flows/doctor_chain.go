package flows

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/registryclient"
	"github.com/esbtui/esbtui/stack/engine"
	"github.com/esbtui/esbtui/trust"
)

// essentialStores must trust the CA for the chain to work; the others
// (browsers, Java, other runtimes) only warn.
var essentialStores = map[string]bool{"system": true, "docker": true}

func (d *doctorRun) trustStatus(ctx context.Context, e *Env) *TrustStatus {
	if d.trust == nil {
		d.trust = e.trustStatus(ctx)
	}
	return d.trust
}

func checkTrustStores(ctx context.Context, e *Env, d *doctorRun) []Check {
	ts := d.trustStatus(ctx, e)
	if ts.Problem != "" {
		return []Check{{Name: "trust", Status: CheckFail, Why: ts.Problem, Fix: "esbtui init"}}
	}
	var out []Check
	for _, st := range ts.Stores {
		if st.Store == "docker" {
			continue // its own link: engine certs.d
		}
		out = append(out, storeCheck("trust: "+st.Store, st))
	}
	return out
}

func storeCheck(name string, st trust.Status) Check {
	c := Check{Name: name, Why: string(st.State)}
	if st.Reason != "" {
		c.Why += ": " + st.Reason
	}
	switch st.State {
	case trust.Trusted:
		c.Status = CheckOK
		c.Why = "trusts the CA"
		if len(st.Warnings) > 0 {
			c.Status, c.Why, c.Fix = CheckWarn, "trusts the CA; "+st.Warnings[0], ""
		}
	case trust.NotApplicable:
		c.Status = CheckOK
	case trust.Stale:
		c.Status, c.Fix = CheckFail, "esbtui trust install --store "+st.Store
		c.Why = "holds an older esbtui CA, not the current one"
	default:
		c.Status, c.Fix = CheckFail, "esbtui trust install --store "+st.Store
	}
	if c.Status == CheckFail && !essentialStores[st.Store] {
		c.Status = CheckWarn
	}
	return c
}

func checkEngine(ctx context.Context, e *Env, _ *doctorRun) Check {
	eng, err := e.Engine(ctx)
	if err != nil {
		return Check{Status: CheckFail, Why: firstLine(err.Error()), Fix: engineFix(err)}
	}
	defer eng.Close()
	v, err := eng.ServerVersion(ctx)
	if err != nil {
		return Check{Status: CheckFail, Why: firstLine(err.Error()), Fix: "check that the Docker engine runs (systemctl status docker)"}
	}
	return Check{Status: CheckOK, Why: fmt.Sprintf("Docker %s at %s (API %s)", v, eng.Host, eng.APIVersion)}
}

func engineFix(err error) string {
	s := err.Error()
	switch {
	case strings.Contains(s, "permission denied"):
		return "sudo usermod -aG docker $USER, then log in again"
	case strings.Contains(s, "too old"):
		return "upgrade the Docker engine to 19.03 or newer"
	}
	return "start the Docker engine (sudo systemctl start docker), or run the registry in-process: esbtui serve"
}

func checkCertsD(ctx context.Context, e *Env, d *doctorRun) Check {
	ts := d.trustStatus(ctx, e)
	for _, st := range ts.Stores {
		if st.Store == "docker" {
			c := storeCheck("engine certs.d", st)
			if c.Status == CheckOK && st.State == trust.Trusted {
				c.Why = "certs.d has the CA for every non-loopback registry name (loopback names need none: the engine skips verification for 127.0.0.0/8)"
			}
			return c
		}
	}
	return Check{Status: CheckOK, Why: "no docker store on this machine"}
}

func checkStack(ctx context.Context, e *Env, d *doctorRun) Check {
	st := e.stackStatus(ctx)
	if st == nil {
		return Check{Status: CheckSkipped, Why: "no stack information"}
	}
	switch st.State {
	case StackUp:
		names := make([]string, 0, len(st.Services))
		for _, s := range st.Services {
			names = append(names, s.Name)
		}
		why := fmt.Sprintf("%s: %s running and healthy", st.Project, strings.Join(names, ", "))
		if ri := st.RegistryImage; ri != nil {
			why += fmt.Sprintf("; registry image %s (%s)", ri.Ref, ri.Reason)
		}
		return Check{Status: CheckOK, Why: why}
	case StackDown:
		if c, err := net.DialTimeout("tcp", d.registryAddr, time.Second); err == nil {
			c.Close()
			return Check{Status: CheckWarn, Why: fmt.Sprintf("stack %s is down, but something serves %s (esbtui serve?)", st.Project, d.registryAddr), Fix: "esbtui up"}
		}
		return Check{Status: CheckFail, Why: fmt.Sprintf("stack %s is down", st.Project), Fix: "esbtui up"}
	case StackUnavailable:
		return Check{Status: CheckFail, Why: firstLine(st.Error), Fix: "start the Docker engine, or esbtui serve"}
	}
	var bad []string
	for _, s := range st.Services {
		if s.State != "running" || (s.Health != "" && s.Health != "healthy") {
			bad = append(bad, fmt.Sprintf("%s %s %s", s.Name, s.State, s.Health))
		}
	}
	return Check{Status: CheckFail, Why: "not healthy: " + strings.Join(bad, "; "), Fix: "esbtui logs " + firstWord(bad) + "; then esbtui up"}
}

// checkProbe pushes a tiny probe image through our own push, removes it from
// the engine, pulls it back, runs it, and deletes it from the registry.
func checkProbe(ctx context.Context, e *Env, d *doctorRun) Check {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	eng, err := e.Engine(ctx)
	if err != nil {
		return Check{Status: CheckFail, Why: firstLine(err.Error()), Fix: engineFix(err)}
	}
	defer eng.Close()
	start := time.Now()
	step, err := runProbe(ctx, e, eng, d.registryAddr)
	if err != nil {
		fix := "esbtui doctor --json for details; esbtui logs registry"
		if strings.Contains(err.Error(), "UNAUTHORIZED") || strings.Contains(err.Error(), "401") {
			fix = "esbtui auth rotate (the engine or client credentials are stale)"
		}
		return Check{Status: CheckFail, Why: fmt.Sprintf("%s: %s", step, firstLine(err.Error())), Fix: fix}
	}
	if e.Cfg.VerifyRequired {
		return Check{Status: CheckOK, Why: fmt.Sprintf("pushed, signed, pulled back with its signature verified (verify: required), ran and deleted a probe image in %s", time.Since(start).Round(10*time.Millisecond))}
	}
	return Check{Status: CheckOK, Why: fmt.Sprintf("pushed, pulled back, ran and deleted a probe image in %s", time.Since(start).Round(10*time.Millisecond))}
}

func runProbe(ctx context.Context, e *Env, eng *engine.Engine, registry string) (string, error) {
	arch, err := eng.Arch(ctx)
	if err != nil {
		return "ask the engine's architecture", err
	}
	img, err := registryclient.ProbeImage(arch)
	if err != nil {
		return "make the probe image", err
	}
	suffix := make([]byte, 4)
	rand.Read(suffix)
	ref := registry + "/esbtui-probe:" + hex.EncodeToString(suffix)
	defer eng.RemoveImage(context.WithoutCancel(ctx), ref)
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(registryclient.WriteDockerTarball(img, ref, pw)) }()
	if err := eng.LoadImage(ctx, pr, progress.Discard); err != nil {
		pr.CloseWithError(err)
		return "load the probe image into the engine", err
	}
	pushed, err := e.Push(ctx, ref, ref, progress.Discard)
	if err != nil {
		return "push " + ref, err
	}
	defer e.Delete(context.WithoutCancel(ctx), ref)
	// verify: required — the pull below refuses unsigned images, so the
	// probe is signed like a build would be: the check covers signing
	// and verification end to end.
	if e.Cfg.VerifyRequired {
		if _, err := e.SignPushed(ctx, pushed, progress.Discard); err != nil {
			return "sign " + ref + " (verify: required)", err
		}
	}
	if err := eng.RemoveImage(ctx, ref); err != nil {
		return "remove the probe from the engine", err
	}
	if _, err := e.Pull(ctx, ref, progress.Discard); err != nil {
		if e.Cfg.VerifyRequired {
			return "pull " + ref + " back, verifying its signature (verify: required)", err
		}
		return "pull " + ref + " back", err
	}
	res, err := eng.RunOnce(ctx, ref)
	if err != nil {
		return "run the pulled probe", err
	}
	if res.ExitCode != 0 || res.Stdout != registryclient.ProbeMessage {
		return "run the pulled probe", fmt.Errorf("exit %d, output %q (want %q)", res.ExitCode, res.Stdout, registryclient.ProbeMessage)
	}
	if _, err := e.Delete(ctx, ref); err != nil {
		return "delete the probe from the registry", err
	}
	return "", nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func firstWord(list []string) string {
	if len(list) == 0 {
		return "registry"
	}
	return strings.Fields(list[0])[0]
}
