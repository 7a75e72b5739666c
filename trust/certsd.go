package trust

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// Engine certs.d directories.
const (
	DockerCertsD     = "/etc/docker/certs.d"
	ContainerdCertsD = "/etc/containerd/certs.d"
	PodmanCertsD     = "/etc/containers/certs.d"
)

const hostsTomlMarker = "# Written by esbtui"

// certsDStore is a container engine's per-registry CA directory:
// BASE/HOST:PORT/ca.crt (and hosts.toml for containerd).
type certsDStore struct {
	cfg  *Config
	ca   CA
	name string
	base string // machine path
	// indicators: tools or directories whose presence means the engine
	// is installed.
	tools, dirs   []string
	install       string
	hostsToml     bool
	skipLoopback  bool // dockerd: 127.0.0.0/8 and ::1 are not verified
	loopbackNotes string
	notes         []string
}

func newDockerStore(cfg *Config, ca CA) *certsDStore {
	return &certsDStore{cfg: cfg, ca: ca, name: "docker", base: DockerCertsD,
		tools: []string{"dockerd", "docker"}, dirs: []string{"/etc/docker"},
		install: "install Docker (apt-get install docker.io) if you use it", skipLoopback: true,
		loopbackNotes: "the Docker engine skips TLS verification for registries on 127.0.0.0/8 and ::1 (so a push there proves nothing about trust): no entry needed",
		notes:         []string{"dockerd re-reads certs.d on every pull and push: no restart needed"}}
}

func newContainerdStore(cfg *Config, ca CA) *certsDStore {
	return &certsDStore{cfg: cfg, ca: ca, name: "containerd", base: ContainerdCertsD,
		tools: []string{"containerd"}, dirs: []string{"/etc/containerd"}, hostsToml: true,
		install: "install containerd if you use it",
		notes:   []string{`containerd reads certs.d only when its registry config_path points there: config_path = "/etc/containerd/certs.d" in /etc/containerd/config.toml`}}
}

func newPodmanStore(cfg *Config, ca CA) *certsDStore {
	return &certsDStore{cfg: cfg, ca: ca, name: "podman", base: PodmanCertsD,
		tools: []string{"podman", "crio", "buildah", "skopeo"}, dirs: []string{"/etc/containers"},
		install: "install podman if you use it"}
}

func (s *certsDStore) Name() string { return s.name }

func (s *certsDStore) Applies() (bool, string) {
	found := false
	for _, t := range s.tools {
		if s.cfg.tool(t) != "" {
			found = true
		}
	}
	for _, d := range s.dirs {
		if exists(s.cfg.path(d)) {
			found = true
		}
	}
	if !found {
		return false, fmt.Sprintf("%s is not installed (no %s, no %s): %s", s.name, strings.Join(s.tools, "/"), strings.Join(s.dirs, ", "), s.install)
	}
	if hosts, err := s.hosts(); err == nil && len(hosts) == 0 {
		return false, "no registry name needs an entry: " + s.loopbackNotes
	}
	return true, ""
}

// isLoopback reports whether host (no port) is localhost or a loopback IP.
func isLoopback(host string) bool {
	h := strings.ToLower(strings.Trim(host, "[]"))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// hosts are the registry names that get an entry, in the order given. Each
// is checked by CheckRegistryName before it can become a directory name: a
// name that fails is an error, never a path.
func (s *certsDStore) hosts() ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, r := range s.cfg.Registries {
		if err := CheckRegistryName(r); err != nil {
			return nil, err
		}
		host, _, err := net.SplitHostPort(r)
		if err != nil {
			return nil, &NameError{Name: r, Why: "no port: certs.d entries are HOST:PORT"}
		}
		if seen[r] {
			continue
		}
		seen[r] = true
		if s.skipLoopback && isLoopback(host) {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

func (s *certsDStore) loopbacks() []string {
	var out []string
	for _, r := range s.cfg.Registries {
		if host, _, err := net.SplitHostPort(r); err == nil && isLoopback(host) {
			out = append(out, r)
		}
	}
	return out
}

// dir is BASE/HOST:PORT for a name hosts() returned (checked already).
func (s *certsDStore) dir(host string) string { return filepath.Join(s.cfg.path(s.base), host) }

func (s *certsDStore) hostsTomlFor(host string) []byte {
	return fmt.Appendf(nil, "%s: trust the %s for %s.\nserver = \"https://%s\"\n\n[host.\"https://%s\"]\n  ca = \"%s\"\n",
		hostsTomlMarker, Organization, host, host, host, filepath.ToSlash(filepath.Join(s.base, host, "ca.crt")))
}

// entryState is one HOST:PORT directory.
type entryState struct {
	host     string
	caOK     bool
	caKin    kinship // of what ca.crt holds (exactly one certificate)
	caCert   *x509.Certificate
	caPres   bool
	tomlOK   bool
	tomlPres bool
	// tomlMarked: hosts.toml starts with esbtui's marker; it is ours only
	// when it is byte for byte what this esbtui writes (tomlOK).
	tomlMarked bool
}

// caOurs: ca.crt holds the current CA or one this ESB_HOME installed.
func (e entryState) caOurs() bool { return e.caOK || e.caKin == current || e.caKin == stale }

// left says what of an entry is left to its owner on uninstall.
func (s *certsDStore) left(e entryState) []string {
	var out []string
	if e.caPres && !e.caOurs() && (e.caKin == foreign || e.caCert == nil) {
		out = append(out, leftNote(filepath.Join(s.dir(e.host), "ca.crt"), e.caCert))
	}
	if e.tomlPres && e.tomlMarked && !e.tomlOK {
		out = append(out, leftNote(filepath.Join(s.dir(e.host), "hosts.toml"), nil))
	}
	return out
}

func (s *certsDStore) readEntry(host string) (entryState, error) {
	e := entryState{host: host}
	p := filepath.Join(s.dir(host), "ca.crt")
	data, err := os.ReadFile(p)
	switch {
	case err == nil:
		e.caPres = true
		e.caOK = bytes.Equal(data, s.ca.PEM)
		if certs := parsePEMCerts(data); len(certs) == 1 {
			e.caCert = certs[0]
			e.caKin = s.cfg.relate(certs[0], s.ca.Cert)
		}
	case !errors.Is(err, os.ErrNotExist):
		return e, fmt.Errorf("read %s: %w", p, err)
	}
	if s.hostsToml {
		p := filepath.Join(s.dir(host), "hosts.toml")
		data, err := os.ReadFile(p)
		switch {
		case err == nil:
			e.tomlPres = true
			e.tomlMarked = bytes.HasPrefix(data, []byte(hostsTomlMarker))
			e.tomlOK = bytes.Equal(data, s.hostsTomlFor(host))
		case !errors.Is(err, os.ErrNotExist):
			return e, fmt.Errorf("read %s: %w", p, err)
		}
	} else {
		e.tomlOK = true
	}
	return e, nil
}

func (s *certsDStore) readAll() ([]entryState, error) {
	hosts, err := s.hosts()
	if err != nil {
		return nil, err
	}
	var out []entryState
	for _, h := range hosts {
		e, err := s.readEntry(h)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// conflict is a file we must not overwrite: another CA's ca.crt, or a
// hosts.toml the user wrote.
func (s *certsDStore) conflict(e entryState) string {
	if e.caPres && !e.caOurs() {
		return fmt.Sprintf("%s holds another CA: esbtui does not overwrite it; merge the CA into it by hand or move it away", filepath.Join(s.dir(e.host), "ca.crt"))
	}
	if e.tomlPres && !e.tomlMarked {
		return fmt.Sprintf("%s was not written by esbtui: add ca = %q under [host.\"https://%s\"] yourself, or move it away", filepath.Join(s.dir(e.host), "hosts.toml"), filepath.ToSlash(filepath.Join(s.base, e.host, "ca.crt")), e.host)
	}
	return ""
}

func (s *certsDStore) Check(ctx context.Context) Status {
	st := Status{Store: s.Name()}
	if ok, why := s.Applies(); !ok {
		st.State, st.Reason = NotApplicable, why
		return st
	}
	all, err := s.readAll()
	if err != nil {
		st.State, st.Reason = Unknown, err.Error()
		return st
	}
	var missing, stales, conflicts []string
	for _, e := range all {
		mark := "trusted"
		switch {
		case s.conflict(e) != "":
			mark = "conflict: " + s.conflict(e)
			conflicts = append(conflicts, s.conflict(e))
		case e.caOK && e.tomlOK:
		case e.caPres && e.caKin == stale:
			mark = "older esbtui CA"
			stales = append(stales, e.host)
		default:
			mark = "missing"
			missing = append(missing, e.host)
		}
		st.Detail = append(st.Detail, fmt.Sprintf("%s: %s", s.dir(e.host), mark))
		st.Detail = append(st.Detail, s.left(e)...)
	}
	for _, l := range s.loopbacks() {
		if s.skipLoopback {
			st.Detail = append(st.Detail, l+": "+s.loopbackNotes)
		}
	}
	st.Detail = append(st.Detail, s.notes...)
	switch {
	case len(conflicts) > 0:
		st.State, st.Reason = Missing, strings.Join(conflicts, "; ")
	case len(missing) > 0:
		st.State, st.Reason = Missing, "no entry for "+strings.Join(missing, ", ")+": run `esbtui trust install`"
	case len(stales) > 0:
		st.State, st.Reason = Stale, "an older esbtui CA for "+strings.Join(stales, ", ")+": run `esbtui trust install`"
	default:
		st.State = Trusted
	}
	return st
}

func (s *certsDStore) Plan(ctx context.Context, op Op) (Plan, error) {
	if err := plannable(s, s.ca); err != nil {
		return Plan{}, err
	}
	all, err := s.readAll()
	if err != nil {
		return Plan{}, fmt.Errorf("trust: %s: %w", s.name, err)
	}
	if op == OpInstall {
		for _, e := range all {
			if c := s.conflict(e); c != "" {
				return Plan{}, fmt.Errorf("trust: %s: %s", s.name, c)
			}
		}
	}
	return s.plan(op, all), nil
}

func (s *certsDStore) plan(op Op, all []entryState) Plan {
	p := newPlan(s, op)
	p.Notes = append(p.Notes, s.notes...)
	for _, e := range all {
		dir := s.dir(e.host)
		switch op {
		case OpInstall:
			if !e.caOK {
				p.Steps = append(p.Steps, writeStep(filepath.Join(dir, "ca.crt"), s.ca.PEM))
			}
			if s.hostsToml && !e.tomlOK {
				p.Steps = append(p.Steps, writeStep(filepath.Join(dir, "hosts.toml"), s.hostsTomlFor(e.host)))
			}
		case OpUninstall:
			n := len(p.Steps)
			if e.caPres && e.caOurs() {
				p.Steps = append(p.Steps, removeStep(filepath.Join(dir, "ca.crt")))
			}
			if e.tomlPres && e.tomlOK {
				p.Steps = append(p.Steps, removeStep(filepath.Join(dir, "hosts.toml")))
			}
			p.Notes = append(p.Notes, s.left(e)...)
			if len(p.Steps) > n {
				p.Steps = append(p.Steps, rmdirStep(dir))
			}
		}
	}
	if !p.Empty() {
		p.NeedsRoot = needsRoot(s.cfg.path(s.base))
	}
	return p
}
