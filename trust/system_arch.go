package trust

import (
	"context"
	"fmt"
)

// archStore is Arch's p11-kit store: `trust anchor --store` files the CA
// under /etc/ca-certificates/trust-source and re-extracts the bundles.
type archStore struct {
	cfg  *Config
	ca   CA
	det  Detection
	tool string
}

const (
	archSourceDir = "/etc/ca-certificates/trust-source"
	archBundle    = "/etc/ssl/certs/ca-certificates.crt"
)

func (s *archStore) Name() string { return "system" }

func (s *archStore) Applies() (bool, string) {
	if s.tool == "" {
		return false, "trust (p11-kit) not found: pacman -S p11-kit"
	}
	if s.cfg.Root != "" {
		return false, "p11-kit `trust` cannot be confined to the sandbox root " + s.cfg.Root
	}
	return true, ""
}

func (s *archStore) Check(ctx context.Context) Status {
	st := Status{Store: s.Name(), Detail: s.det.describe()}
	if ok, why := s.Applies(); !ok {
		st.State, st.Reason = NotApplicable, why
		return st
	}
	b := readBundle(s.cfg, s.cfg.path(archBundle), s.ca.Cert)
	st.Detail = append(st.Detail, "bundle "+b.Path)
	switch {
	case b.Err != nil:
		st.State, st.Reason = Unknown, b.Err.Error()
	case b.Has:
		st.State = Trusted
	case len(b.Stale) > 0:
		st.State, st.Reason = Stale, "an older esbtui CA is trusted, the current one is not: run `esbtui trust install`"
	default:
		st.State, st.Reason = Missing, "the CA is not in the system store: run `esbtui trust install`"
	}
	for _, c := range b.Stale {
		st.Detail = append(st.Detail, "stale in bundle: "+describeCert(c))
		st.Warnings = append(st.Warnings, fmt.Sprintf("older esbtui CA %s: remove it with `trust anchor --remove` and its file or pkcs11: URI from `trust list`", serialHex(c)))
	}
	return st
}

func (s *archStore) Plan(ctx context.Context, op Op) (Plan, error) {
	if err := plannable(s, s.ca); err != nil {
		return Plan{}, err
	}
	b := readBundle(s.cfg, s.cfg.path(archBundle), s.ca.Cert)
	if b.Err != nil {
		return Plan{}, fmt.Errorf("trust: system: %w", b.Err)
	}
	return s.plan(op, b.Has), nil
}

// plan: storing twice makes one file and removing twice exits 0, so the
// state only decides whether there is anything to do.
func (s *archStore) plan(op Op, has bool) Plan {
	p := newPlan(s, op)
	switch {
	case op == OpInstall && !has:
		p.Steps = []Step{runStep(s.tool, "anchor", "--store", s.ca.File)}
	case op == OpUninstall && has:
		p.Steps = []Step{runStep(s.tool, "anchor", "--remove", s.ca.File)}
	}
	if !p.Empty() {
		p.NeedsRoot = needsRoot(s.cfg.path(archSourceDir), s.cfg.path("/etc/ssl/certs"))
	}
	return p
}
