package enginemirror

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/esbtui/esbtui/trust"
)

// RegistriesConfD is where podman, buildah, skopeo and CRI-O read drop-in
// registry configuration.
const RegistriesConfD = "/etc/containers/registries.conf.d"

// PodmanConfFile is esbtui's drop-in (50: after distribution defaults,
// before the user's 99-*).
const PodmanConfFile = "50-esbtui-mirrors.conf"

// podmanStore writes one registries.conf.d drop-in with a [[registry]] per
// upstream and the cache as its [[registry.mirror]], plus
// /etc/containers/certs.d/localhost:PORT/ca.crt for the cache's TLS.
type podmanStore struct{ cfg *Config }

func (s *podmanStore) Name() string { return "podman" }

func (s *podmanStore) Applies() (bool, string) {
	if !s.cfg.installed([]string{"podman", "buildah", "skopeo", "crio"}, []string{"/etc/containers"}) {
		return false, "podman/buildah are not installed (no podman, buildah, skopeo, crio, no /etc/containers)"
	}
	if len(s.cfg.Mirrors) == 0 {
		return false, "no mirror in esb.yaml"
	}
	return true, ""
}

func (s *podmanStore) Check(ctx context.Context) trust.Status {
	return status(s, func() (trust.Plan, error) { return s.Plan(ctx, trust.OpInstall) })
}

// RegistriesConf is the drop-in for the mirrors (already namespaced).
func RegistriesConf(ms []Mirror, nss []string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: pull these registries through esbtui's caches (esbtui mirror uninstall removes it).\n", mirrorMarker)
	for i, m := range ms {
		fmt.Fprintf(&b, "\n[[registry]]\nprefix = %q\nlocation = %q\n\n[[registry.mirror]]\nlocation = %q\n", nss[i], nss[i], m.Address())
	}
	return []byte(b.String())
}

func (s *podmanStore) Plan(ctx context.Context, op trust.Op) (trust.Plan, error) {
	p := trust.NewPlan(s, op)
	if ok, why := s.Applies(); !ok {
		return p, &trust.NotApplicableError{Store: s.Name(), Reason: why}
	}
	ms, nss, err := namespaced(s.cfg.Mirrors)
	if err != nil {
		return p, err
	}
	conf := filepath.Join(s.cfg.path(RegistriesConfD), PodmanConfFile)
	cur, _, exists, err := readFile(conf)
	if err != nil {
		return p, fmt.Errorf("podman: %w", err)
	}
	ours := exists && bytes.HasPrefix(cur, []byte(mirrorMarker))
	certs := s.cfg.path(trust.PodmanCertsD)
	switch op {
	case trust.OpInstall:
		if exists && !ours {
			return p, fmt.Errorf("podman: %s was not written by esbtui: move it away and retry", conf)
		}
		for _, m := range ms {
			st, ok, err := s.cfg.caWrite(filepath.Join(certs, m.Address(), "ca.crt"))
			if err != nil {
				return p, fmt.Errorf("podman: %w", err)
			}
			if ok {
				p.Steps = append(p.Steps, st)
			}
		}
		if want := RegistriesConf(ms, nss); !bytes.Equal(cur, want) {
			p.Steps = append(p.Steps, trust.WriteStep(conf, want, 0o644))
		}
	case trust.OpUninstall:
		if ours {
			p.Steps = append(p.Steps, trust.RemoveStep(conf))
		}
		for _, m := range ms {
			dir := filepath.Join(certs, m.Address())
			if st, ok, err := s.cfg.caRemove(filepath.Join(dir, "ca.crt")); err != nil {
				return p, fmt.Errorf("podman: %w", err)
			} else if ok {
				p.Steps = append(p.Steps, st, trust.RmdirStep(dir))
			}
		}
	}
	if op == trust.OpUninstall && !p.Empty() {
		p.Steps = append(p.Steps, trust.RmdirStep(filepath.Dir(conf)), trust.RmdirStep(certs))
	}
	if !p.Empty() {
		p.NeedsRoot = trust.NeedsRoot(filepath.Dir(conf), certs)
		p.Notes = append(p.Notes, "podman and buildah read registries.conf.d on every command: no restart needed")
	}
	return p, nil
}
