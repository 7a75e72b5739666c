package trust

import (
	"context"
	"crypto/x509"
	"fmt"
)

// winRootStore is Windows' LocalMachine\ROOT store, changed through crypt32
// (no subprocess, no localised output to parse). The plan code is
// platform-neutral; the crypt32 calls live in system_windows.go.
type winRootStore struct {
	cfg *Config
	ca  CA
	api winCertAPI // nil off Windows
}

// winCertAPI is the slice of crypt32 the store uses.
type winCertAPI interface {
	List() ([]*x509.Certificate, error)
	Add(der []byte) error
	Delete(sha1 string) error
}

const winStoreName = `LocalMachine\ROOT`

func (s *winRootStore) Name() string { return "system" }

func (s *winRootStore) Applies() (bool, string) {
	if s.cfg.goos() != "windows" || s.api == nil {
		return false, "the LocalMachine ROOT store is Windows only"
	}
	return true, ""
}

type winState struct {
	present bool
	stale   []string
}

func (s *winRootStore) read() (winState, error) {
	var st winState
	certs, err := s.api.List()
	if err != nil {
		return st, err
	}
	for _, c := range certs {
		switch relate(c, s.ca.Cert) {
		case current:
			st.present = true
		case stale:
			st.stale = append(st.stale, sha1Hex(c))
		}
	}
	return st, nil
}

func (s *winRootStore) Check(ctx context.Context) Status {
	st := Status{Store: s.Name(), Detail: []string{"store " + winStoreName}}
	if ok, why := s.Applies(); !ok {
		st.State, st.Reason = NotApplicable, why
		return st
	}
	r, err := s.read()
	switch {
	case err != nil:
		st.State, st.Reason = Unknown, err.Error()
	case r.present:
		st.State = Trusted
	case len(r.stale) > 0:
		st.State, st.Reason = Stale, "an older esbtui CA is in "+winStoreName+", the current one is not: run `esbtui trust install`"
	default:
		st.State, st.Reason = Missing, "the CA is not in "+winStoreName+": run `esbtui trust install` from an elevated prompt"
	}
	for _, h := range r.stale {
		st.Detail = append(st.Detail, "stale sha1 "+h)
	}
	return st
}

func (s *winRootStore) Plan(ctx context.Context, op Op) (Plan, error) {
	if err := plannable(s, s.ca); err != nil {
		return Plan{}, err
	}
	r, err := s.read()
	if err != nil {
		return Plan{}, fmt.Errorf("trust: system: read %s: %w", winStoreName, err)
	}
	return s.plan(op, r), nil
}

func (s *winRootStore) plan(op Op, r winState) Plan {
	p := Plan{Store: s.Name(), Op: op, Notes: []string{"Docker Desktop reads the Windows store only when it starts: restart it after a change"}}
	for _, h := range r.stale {
		p.Steps = append(p.Steps, Step{Kind: StepCall, Desc: fmt.Sprintf("crypt32 CertDeleteCertificateFromStore %s sha1=%s", winStoreName, h),
			call: func(context.Context) error { return s.api.Delete(h) }})
	}
	switch {
	case op == OpInstall && !r.present:
		der := s.ca.Cert.Raw
		p.Steps = append(p.Steps, Step{Kind: StepCall, Desc: fmt.Sprintf("crypt32 CertAddCertificateContextToStore %s sha1=%s", winStoreName, sha1Hex(s.ca.Cert)),
			call: func(context.Context) error { return s.api.Add(der) }})
	case op == OpUninstall && r.present:
		h := sha1Hex(s.ca.Cert)
		p.Steps = append(p.Steps, Step{Kind: StepCall, Desc: fmt.Sprintf("crypt32 CertDeleteCertificateFromStore %s sha1=%s", winStoreName, h),
			call: func(context.Context) error { return s.api.Delete(h) }})
	}
	p.NeedsRoot = !p.Empty()
	return p
}

func (s *winRootStore) Install(ctx context.Context) error   { return s.apply(ctx, OpInstall) }
func (s *winRootStore) Uninstall(ctx context.Context) error { return s.apply(ctx, OpUninstall) }

func (s *winRootStore) apply(ctx context.Context, op Op) error {
	p, err := s.Plan(ctx, op)
	if err != nil {
		return err
	}
	return s.cfg.execute(ctx, p)
}
