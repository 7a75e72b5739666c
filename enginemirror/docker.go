package enginemirror

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/esbtui/esbtui/trust"
)

// DefaultDaemonConfig is Docker's daemon configuration file.
const DefaultDaemonConfig = "/etc/docker/daemon.json"

// DockerStore is Docker's registry-mirrors (Docker Hub only: dockerd
// mirrors no other registry) plus certs.d/localhost:PORT/ca.crt so the
// engine verifies the cache's certificate.
type DockerStore struct{ cfg *Config }

// Name is "docker".
func (s *DockerStore) Name() string { return "docker" }

// DaemonConfigPath is the daemon.json this store edits.
func (s *DockerStore) DaemonConfigPath() string {
	if s.cfg.DaemonConfig != "" {
		return s.cfg.DaemonConfig
	}
	return s.cfg.path(DefaultDaemonConfig)
}

// hubMirrors are the mirrors of Docker Hub.
func (s *DockerStore) hubMirrors() ([]Mirror, error) {
	ms, nss, err := namespaced(s.cfg.Mirrors)
	if err != nil {
		return nil, err
	}
	var out []Mirror
	for i, m := range ms {
		if nss[i] == DockerHub {
			out = append(out, m)
		}
	}
	return out, nil
}

// Applies: Docker is installed (or its configuration file is named) and a
// mirror of docker.io is configured.
func (s *DockerStore) Applies() (bool, string) {
	if s.cfg.DaemonConfig == "" && !s.cfg.installed([]string{"dockerd", "docker"}, []string{"/etc/docker"}) {
		return false, "Docker is not installed (no dockerd/docker, no /etc/docker)"
	}
	hub, err := s.hubMirrors()
	if err == nil && len(hub) == 0 {
		return false, "no mirror of docker.io in esb.yaml: Docker's registry-mirrors serves Docker Hub only (other upstreams: containerd and podman)"
	}
	return true, ""
}

// Check reports whether daemon.json lists every docker.io mirror.
func (s *DockerStore) Check(ctx context.Context) trust.Status {
	return status(s, func() (trust.Plan, error) { return s.Plan(ctx, trust.OpInstall) })
}

// Plan is PlanDocker's plan.
func (s *DockerStore) Plan(ctx context.Context, op trust.Op) (trust.Plan, error) {
	p, _, err := s.PlanDocker(ctx, op)
	return p, err
}

func (s *DockerStore) certsD(m Mirror) string {
	return filepath.Join(s.cfg.path(trust.DockerCertsD), m.Address())
}

// PlanDocker returns the plan and, for an install that changes
// daemon.json, the record to keep before it runs (uninstall: the record
// this plan undoes, to drop once it ran).
func (s *DockerStore) PlanDocker(ctx context.Context, op trust.Op) (trust.Plan, *DaemonRecord, error) {
	p := trust.NewPlan(s, op)
	if ok, why := s.Applies(); !ok {
		return p, nil, &trust.NotApplicableError{Store: s.Name(), Reason: why}
	}
	hub, err := s.hubMirrors()
	if err != nil {
		return p, nil, err
	}
	path := s.DaemonConfigPath()
	cur, mode, existed, err := readFile(path)
	if err != nil {
		return p, nil, fmt.Errorf("docker: read the daemon configuration: %w", err)
	}
	rec, err := s.cfg.Record.Read()
	if err != nil {
		return p, nil, err
	}
	if rec != nil && rec.Path != path {
		return p, nil, fmt.Errorf("docker: esbtui changed %s before, not %s: run `esbtui mirror uninstall` with the same daemon configuration first", rec.Path, path)
	}
	var dirs []string
	var newRec *DaemonRecord
	changed := false
	switch op {
	case trust.OpInstall:
		for _, m := range hub {
			st, ok, err := s.cfg.caWrite(filepath.Join(s.certsD(m), "ca.crt"))
			if err != nil {
				return p, nil, fmt.Errorf("docker: %w", err)
			}
			if ok {
				p.Steps = append(p.Steps, st)
			}
		}
		urls := make([]string, len(hub))
		for i, m := range hub {
			urls[i] = m.URL()
		}
		ed, err := AddMirrors(cur, urls)
		if err != nil {
			return p, nil, fmt.Errorf("docker: %s: %w: fix it (dockerd would not start with it either) and retry", path, err)
		}
		if len(ed.Added) > 0 {
			if !existed {
				mode = 0o644
			}
			p.Steps = append(p.Steps, trust.WriteStep(path, ed.Data, mode))
			changed = true
			newRec = &DaemonRecord{Path: path, Existed: existed, Mode: mode, Original: cur, Written: ed.Data, Added: ed.Added, AddedKey: ed.AddedKey}
			if rec != nil && bytes.Equal(cur, rec.Written) {
				// a second install on top of ours: the original is still
				// what was there before the first
				newRec.Existed, newRec.Mode, newRec.Original = rec.Existed, rec.Mode, rec.Original
				newRec.Added = append(slices.Clone(rec.Added), ed.Added...)
				newRec.AddedKey = rec.AddedKey || ed.AddedKey
			} else if rec != nil {
				newRec.Added = append(slices.Clone(rec.Added), ed.Added...)
				newRec.AddedKey = rec.AddedKey || ed.AddedKey
			}
		}
		dirs = append(dirs, filepath.Dir(path), s.cfg.path(trust.DockerCertsD))
	case trust.OpUninstall:
		for _, m := range hub {
			st, ok, err := s.cfg.caRemove(filepath.Join(s.certsD(m), "ca.crt"))
			if err != nil {
				return p, nil, fmt.Errorf("docker: %w", err)
			}
			if ok {
				p.Steps = append(p.Steps, st, trust.RmdirStep(s.certsD(m)))
			}
		}
		if len(p.Steps) > 0 {
			p.Steps = append(p.Steps, trust.RmdirStep(s.cfg.path(trust.DockerCertsD)))
		}
		var final []byte // nil: remove the file
		finalMode := mode
		switch {
		case rec == nil:
			p.Notes = append(p.Notes, "no record of esbtui changing "+path+": it is left as it is")
		case existed && bytes.Equal(cur, rec.Written) && recordUndoesItself(rec):
			if rec.Existed {
				final, finalMode = rec.Original, rec.Mode
				p.Notes = append(p.Notes, path+" gets back the exact bytes it had before `esbtui mirror install`")
			} else {
				p.Notes = append(p.Notes, path+" did not exist before `esbtui mirror install`: it is removed")
			}
			changed = true
		case existed:
			out, err := RemoveMirrors(cur, rec.Added, rec.AddedKey)
			if err != nil {
				return p, nil, fmt.Errorf("docker: %s: %w: remove %v from %q by hand", path, err, rec.Added, MirrorsKey)
			}
			if !bytes.Equal(out, cur) {
				final, changed = out, true
			}
			if bytes.Equal(cur, rec.Written) {
				p.Notes = append(p.Notes, "the record's copy of "+path+" before `esbtui mirror install` is not what removing esbtui's entries gives (the record was changed): only the entries esbtui added are removed, the rest is kept as it is")
			} else {
				p.Notes = append(p.Notes, path+" was edited after `esbtui mirror install`: only the entries esbtui added are removed, the rest is kept as it is")
			}
		}
		if changed {
			// dockerd's reload changes registry-mirrors only when the file
			// has the key: a file without it leaves the running mirrors as
			// they are. So the mirrors are first emptied (key kept), dockerd
			// reloaded and seen to drop them, and only then the file gets its
			// final bytes.
			if reload := s.reload(); len(reload) > 0 && !hasMirrorsKey(final) && rec != nil {
				empty, err := RemoveMirrors(cur, rec.Added, false)
				if err == nil && !bytes.Equal(empty, cur) {
					p.Steps = append(p.Steps, trust.WriteStep(path, empty, mode))
					p.Steps = append(p.Steps, reload...)
					p.Steps = append(p.Steps, s.waitStep(rec.Added))
				}
			}
			if final == nil && rec != nil && !rec.Existed && bytes.Equal(cur, rec.Written) {
				p.Steps = append(p.Steps, trust.RemoveStep(path))
			} else {
				p.Steps = append(p.Steps, trust.WriteStep(path, final, finalMode))
			}
		}
		newRec = rec
		dirs = append(dirs, filepath.Dir(path), s.cfg.path(trust.DockerCertsD))
	}
	if changed {
		p.Steps, p.Notes = append(p.Steps, s.reload()...), append(p.Notes, s.reloadNotes()...)
	}
	if !p.Empty() {
		p.NeedsRoot = trust.NeedsRoot(dirs...)
	}
	return p, newRec, nil
}

// hasMirrorsKey: data (a daemon.json; nil: no file) has registry-mirrors.
func hasMirrorsKey(data []byte) bool {
	if data == nil {
		return false
	}
	o, err := parseTopObject(data)
	if err != nil {
		return false
	}
	_, i := o.member(MirrorsKey)
	return i >= 0
}

// waitStep waits until the engine no longer lists urls (the reload took).
func (s *DockerStore) waitStep(urls []string) trust.Step {
	desc := fmt.Sprintf("wait until `docker info` lists none of %s (dockerd applied the reload)", strings.Join(urls, ", "))
	return trust.CallStep(desc, func(ctx context.Context) error {
		if s.cfg.WaitMirrors == nil {
			return nil
		}
		return s.cfg.WaitMirrors(ctx, urls, false)
	})
}

// reload: SIGHUP makes dockerd re-read registry-mirrors without a restart.
func (s *DockerStore) reload() []trust.Step {
	pid, _, err := s.dockerd()
	if err != nil || pid == 0 {
		return nil
	}
	return []trust.Step{trust.RunStep("reload dockerd: registry-mirrors is reloadable, no restart", "kill", "-s", "HUP", strconv.Itoa(pid))}
}

func (s *DockerStore) reloadNotes() []string {
	pid, how, err := s.dockerd()
	switch {
	case err != nil:
		return []string{fmt.Sprintf("dockerd is not reloaded (%v): reload it yourself (`sudo systemctl reload docker` or `sudo kill -s HUP $(pidof dockerd)`)", err)}
	case pid == 0:
		return []string{"sandbox (ESB_TRUST_ROOT): no dockerd is reloaded"}
	}
	return []string{fmt.Sprintf("dockerd %d (%s) is sent SIGHUP: it re-reads registry-mirrors without a restart", pid, how)}
}

func (s *DockerStore) dockerd() (int, string, error) {
	if s.cfg.DockerdPIDFile == "" && s.cfg.sandboxed() {
		return 0, "", nil
	}
	return FindDockerd(s.cfg.DockerdPIDFile, s.cfg.Proc)
}

// MirrorURLs are the URLs daemon.json should list (docker.io mirrors).
func (s *DockerStore) MirrorURLs() []string {
	hub, _ := s.hubMirrors()
	var out []string
	for _, m := range hub {
		out = append(out, m.URL())
	}
	return out
}

// recordUndoesItself: the record's Original (or, when there was no file,
// its absence) is exactly what removing the recorded entries from Written
// gives. The record lives in ESB_HOME, writable without root, and
// uninstall writes Original into root's daemon.json (or removes the file):
// a record whose Original is anything else is not restored from.
func recordUndoesItself(rec *DaemonRecord) bool {
	out, err := RemoveMirrors(rec.Written, rec.Added, rec.AddedKey)
	if err != nil {
		return false
	}
	if rec.Existed {
		return bytes.Equal(out, rec.Original)
	}
	var doc map[string]json.RawMessage
	return len(bytes.TrimSpace(out)) == 0 || (json.Unmarshal(out, &doc) == nil && len(doc) == 0)
}
