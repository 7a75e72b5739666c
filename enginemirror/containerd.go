package enginemirror

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"

	"github.com/esbtui/esbtui/trust"
)

// mirrorMarker starts every file esbtui writes for a mirror: a file with it
// is esbtui's, one without it is the user's and is never overwritten.
const mirrorMarker = "# Written by esbtui mirror install"

// containerdCAFile is the CA file next to hosts.toml.
const containerdCAFile = "esbtui-ca.crt"

// containerdStore writes /etc/containerd/certs.d/<upstream>/hosts.toml:
// pull and resolve through the cache first, the upstream after it.
type containerdStore struct{ cfg *Config }

func (s *containerdStore) Name() string { return "containerd" }

func (s *containerdStore) Applies() (bool, string) {
	if !s.cfg.installed([]string{"containerd"}, []string{"/etc/containerd"}) {
		return false, "containerd is not installed (no containerd, no /etc/containerd)"
	}
	if len(s.cfg.Mirrors) == 0 {
		return false, "no mirror in esb.yaml"
	}
	return true, ""
}

func (s *containerdStore) Check(ctx context.Context) trust.Status {
	st := status(s, func() (trust.Plan, error) { return s.Plan(ctx, trust.OpInstall) })
	st.Detail = append(st.Detail, `containerd reads certs.d only when its registry config_path points there: config_path = "/etc/containerd/certs.d" in /etc/containerd/config.toml`)
	return st
}

// HostsToml is the hosts.toml for one upstream namespace.
func HostsToml(ns string, m Mirror) []byte {
	// ca is relative: containerd resolves it against the directory of
	// hosts.toml, so the file works wherever the certs.d tree is
	// (config_path, ctr --hosts-dir, a sandbox).
	ca := containerdCAFile
	return fmt.Appendf(nil, "%s: pull %s through esbtui's cache (esbtui mirror uninstall removes it).\nserver = %q\n\n[host.%q]\n  capabilities = [\"pull\", \"resolve\"]\n  ca = %q\n",
		mirrorMarker, ns, upstreamServer(ns), m.URL(), ca)
}

func (s *containerdStore) Plan(ctx context.Context, op trust.Op) (trust.Plan, error) {
	p := trust.NewPlan(s, op)
	if ok, why := s.Applies(); !ok {
		return p, &trust.NotApplicableError{Store: s.Name(), Reason: why}
	}
	ms, nss, err := namespaced(s.cfg.Mirrors)
	if err != nil {
		return p, err
	}
	base := s.cfg.path(trust.ContainerdCertsD)
	for i, m := range ms {
		dir := filepath.Join(base, nss[i])
		tomlPath, caPath := filepath.Join(dir, "hosts.toml"), filepath.Join(dir, containerdCAFile)
		cur, _, exists, err := readFile(tomlPath)
		if err != nil {
			return p, fmt.Errorf("containerd: %w", err)
		}
		ours := exists && bytes.HasPrefix(cur, []byte(mirrorMarker))
		switch op {
		case trust.OpInstall:
			if exists && !ours {
				return p, fmt.Errorf("containerd: %s was not written by esbtui: esbtui does not overwrite it; add [host.%q] with capabilities = [\"pull\", \"resolve\"] yourself, or move it away and retry", tomlPath, m.URL())
			}
			st, ok, err := s.cfg.caWrite(caPath)
			if err != nil {
				return p, fmt.Errorf("containerd: %w", err)
			}
			if ok {
				p.Steps = append(p.Steps, st)
			}
			if want := HostsToml(nss[i], m); !bytes.Equal(cur, want) {
				p.Steps = append(p.Steps, trust.WriteStep(tomlPath, want, 0o644))
			}
		case trust.OpUninstall:
			n := len(p.Steps)
			if ours {
				p.Steps = append(p.Steps, trust.RemoveStep(tomlPath))
			} else if exists {
				p.Notes = append(p.Notes, tomlPath+" was not written by esbtui: left as it is")
			}
			if st, ok, err := s.cfg.caRemove(caPath); err != nil {
				return p, fmt.Errorf("containerd: %w", err)
			} else if ok {
				p.Steps = append(p.Steps, st)
			}
			if len(p.Steps) > n {
				p.Steps = append(p.Steps, trust.RmdirStep(dir))
			}
		}
	}
	if op == trust.OpUninstall && !p.Empty() {
		p.Steps = append(p.Steps, trust.RmdirStep(base))
	}
	if !p.Empty() {
		p.NeedsRoot = trust.NeedsRoot(base)
		p.Notes = append(p.Notes, "containerd re-reads hosts.toml on every pull: no restart needed")
	}
	return p, nil
}
