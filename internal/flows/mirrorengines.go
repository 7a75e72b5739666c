package flows

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/esbtui/esbtui/enginemirror"
	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/trust"
)

// MirrorEngineNames are the engines `esbtui mirror install` configures.
func MirrorEngineNames() []string { return enginemirror.StoreNames() }

// mirrorRecord keeps what `mirror install` did to daemon.json (its
// original bytes), so that uninstall restores them exactly.
func (e *Env) mirrorRecord() enginemirror.Record {
	return enginemirror.Record{Path: filepath.Join(e.Cfg.Home, "mirror-installed.json")}
}

// MirrorEngineConfig is the engine side of esb.yaml's mirrors: the
// sandbox root and sudo of trust, esbtui's CA (engines verify the caches'
// TLS with it), daemon.json and the dockerd to reload.
func (e *Env) MirrorEngineConfig(op trust.Op) (*enginemirror.Config, error) {
	ca, err := e.trustCAFor(op)
	if err != nil {
		return nil, err
	}
	tc, err := e.TrustConfig()
	if err != nil {
		return nil, err
	}
	c := &enginemirror.Config{Trust: tc, CA: ca, DaemonConfig: e.Cfg.DockerDaemonConfig,
		DockerdPIDFile: e.Cfg.DockerdPIDFile, Record: e.mirrorRecord()}
	c.WaitMirrors = func(ctx context.Context, urls []string, present bool) error {
		o := trust.OpUninstall
		if present {
			o = trust.OpInstall
		}
		return e.verifyEngineMirrors(ctx, o, urls)
	}
	for _, m := range e.Cfg.Mirrors {
		c.Mirrors = append(c.Mirrors, enginemirror.Mirror{Upstream: m.Upstream, Port: m.Port})
	}
	return c, nil
}

// MirrorPlan is what ExecuteMirrors does, engine by engine: the plans shown
// and audited are the ones that run.
type MirrorPlan struct {
	Op    trust.Op        `json:"op"`
	Items []TrustPlanItem `json:"engines"`
	Sudo  []string        `json:"sudo,omitempty"`
	// DaemonConfig is the daemon.json the docker plan edits.
	DaemonConfig string `json:"daemon_config,omitempty"`

	cfg       *enginemirror.Config
	dockerRec *enginemirror.DaemonRecord
	docker    *enginemirror.DockerStore
}

// AsTrustPlan views the plan with the trust plan's helpers (Empty,
// NeedsRoot, Failed).
func (p *MirrorPlan) AsTrustPlan() *TrustPlan {
	return &TrustPlan{Op: p.Op, Items: p.Items, Sudo: p.Sudo}
}

// PlanMirrors plans op for the named engines (all when empty).
func (e *Env) PlanMirrors(ctx context.Context, op trust.Op, names []string) (*MirrorPlan, error) {
	for _, n := range names {
		if !slices.Contains(MirrorEngineNames(), n) {
			return nil, fmt.Errorf("mirror %s: unknown engine %q: choose from %s", op, n, strings.Join(MirrorEngineNames(), ", "))
		}
	}
	if op == trust.OpInstall && len(e.Cfg.Mirrors) == 0 {
		return nil, fmt.Errorf("mirror install: no mirrors in esb.yaml: add one first (`esbtui mirror add docker.io`)")
	}
	cfg, err := e.MirrorEngineConfig(op)
	if err != nil {
		return nil, err
	}
	mp := &MirrorPlan{Op: op, Sudo: cfg.Trust.Sudo, cfg: cfg}
	for _, s := range enginemirror.Stores(cfg) {
		if len(names) > 0 && !slices.Contains(names, s.Name()) {
			continue
		}
		it := TrustPlanItem{Store: s.Name(), Status: s.Check(ctx), store: s}
		if ok, why := s.Applies(); !ok {
			it.Skip = why
			mp.Items = append(mp.Items, it)
			continue
		}
		var p trust.Plan
		if d, ok := s.(*enginemirror.DockerStore); ok {
			p, mp.dockerRec, err = d.PlanDocker(ctx, op)
			mp.docker, mp.DaemonConfig = d, d.DaemonConfigPath()
		} else {
			p, err = s.Plan(ctx, op)
		}
		if err != nil {
			it.Error = err.Error()
		} else {
			it.Plan = &p
		}
		mp.Items = append(mp.Items, it)
	}
	return mp, nil
}

// ExecuteMirrors runs the plan PlanMirrors made, engine by engine, going on
// past a failing engine. Before the docker plan changes daemon.json the
// record of its original bytes is written (so uninstall can restore them);
// after a reload, `docker info` is asked (for a few seconds) whether the
// engine now uses exactly the mirrors daemon.json lists. Every change is in
// the audit log.
func (e *Env) ExecuteMirrors(ctx context.Context, mp *MirrorPlan, sink progress.Sink) ([]TrustResult, error) {
	if mp == nil || mp.cfg == nil {
		return nil, fmt.Errorf("mirror: no plan to execute: make one with PlanMirrors and show it first")
	}
	op := mp.Op
	run := newPlanRun(e, "mirror", op, mp.cfg.Trust.Root, sink)
	for _, it := range mp.Items {
		if run.settledWithoutRunning(it) {
			continue
		}
		p := *it.Plan
		docker := it.Store == "docker" && mp.docker != nil
		run.start(it.Store, len(p.Steps))
		var err error
		if docker && op == trust.OpInstall && mp.dockerRec != nil {
			err = mp.cfg.Record.Write(mp.dockerRec)
		}
		if err == nil {
			err = trust.Execute(ctx, mp.cfg.Trust, p)
		}
		if err == nil && docker && op == trust.OpUninstall {
			err = mp.cfg.Record.Write(nil)
		}
		if err == nil && docker && len(p.Commands()) > 0 {
			err = e.verifyEngineMirrors(ctx, op, mp.docker.MirrorURLs())
		}
		r := TrustResult{Store: it.Store, After: it.store.Check(ctx)}
		run.ran(r, err, map[string]any{"engine": it.Store, "files": p.Files(), "commands": p.Commands()})
	}
	return run.outcome()
}

// verifyEngineMirrors polls the engine until its registry mirrors include
// (install) or no longer include (uninstall) urls: the reload took effect.
func (e *Env) verifyEngineMirrors(ctx context.Context, op trust.Op, urls []string) error {
	eng, err := e.Engine(ctx)
	if err != nil {
		return fmt.Errorf("mirror %s: daemon.json changed and dockerd was reloaded, but the engine cannot be asked whether it took effect: %w", op, err)
	}
	defer eng.Close()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var have []string
	for {
		have, err = eng.RegistryMirrors(ctx)
		if err == nil && mirrorsApplied(op, have, urls) {
			return nil
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("mirror %s: check the reload: %w", op, err)
			}
			return fmt.Errorf("mirror %s: dockerd was reloaded but `docker info` lists registry mirrors %v (want %v %s): dockerd may have refused the new daemon.json — see its log (journalctl -u docker), fix the file and reload (`sudo kill -s HUP $(pidof dockerd)`)",
				op, have, urls, map[trust.Op]string{trust.OpInstall: "among them", trust.OpUninstall: "gone"}[op])
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func mirrorsApplied(op trust.Op, have, urls []string) bool {
	norm := func(s string) string { return strings.TrimSuffix(s, "/") }
	for _, u := range urls {
		in := slices.ContainsFunc(have, func(h string) bool { return norm(h) == norm(u) })
		if in != (op == trust.OpInstall) {
			return false
		}
	}
	return true
}

// EngineMirrorStatus is whether each engine is set to pull through the
// mirrors (doctor, status).
func (e *Env) EngineMirrorStatus(ctx context.Context) ([]trust.Status, error) {
	if len(e.Cfg.Mirrors) == 0 {
		return nil, nil
	}
	cfg, err := e.MirrorEngineConfig(trust.OpInstall)
	if err != nil {
		return nil, err
	}
	var out []trust.Status
	for _, s := range enginemirror.Stores(cfg) {
		out = append(out, s.Check(ctx))
	}
	return out, nil
}
