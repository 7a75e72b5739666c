package trust

import (
	"context"
	"errors"
	"fmt"
)

// SystemKeychain is macOS's system-wide keychain.
const SystemKeychain = "/Library/Keychains/System.keychain"

// keychainStore is macOS: `security add-trusted-cert` into the System
// keychain. The plan code is platform-neutral (tested on Linux); it applies
// only where GOOS is darwin and `security` exists.
type keychainStore struct {
	cfg  *Config
	ca   CA
	tool string
}

var keychainNotes = []string{
	"macOS asks for an administrator password for the System keychain, even as root",
	"Docker Desktop reads the keychain only when it starts: restart it after a change",
}

func (s *keychainStore) Name() string { return "system" }

func (s *keychainStore) Applies() (bool, string) {
	if s.cfg.goos() != "darwin" {
		return false, "the keychain store is macOS only"
	}
	if s.tool == "" {
		return false, "security not found (it ships with macOS): check PATH"
	}
	return true, ""
}

// keychainState is what `security` reported.
type keychainState struct {
	present bool     // our certificate is in the System keychain
	trusted bool     // verify-cert accepts it for SSL
	stale   []string // SHA-1s of CAs this ESB_HOME installed before
	left    []string // notes on other esbtui CAs in the keychain
}

func (s *keychainStore) read(ctx context.Context) (keychainState, error) {
	var st keychainState
	out, err := s.cfg.run(ctx, []string{s.tool, "find-certificate", "-a", "-c", Organization, "-p", SystemKeychain}, nil)
	var te *ToolError
	if err != nil && !(errors.As(err, &te) && te.ExitCode == 44) { // 44: not found
		return st, err
	}
	for _, c := range parsePEMCerts(out) {
		switch s.cfg.relate(c, s.ca.Cert) {
		case current:
			st.present = true
		case stale:
			st.stale = append(st.stale, sha1Hex(c))
		case foreign:
			st.left = append(st.left, leftNote("sha1 "+sha1Hex(c)+" in "+SystemKeychain, c))
		}
	}
	if st.present {
		_, err := s.cfg.run(ctx, []string{s.tool, "verify-cert", "-c", s.ca.File, "-p", "ssl", "-k", SystemKeychain}, nil)
		st.trusted = err == nil
	}
	return st, nil
}

func (s *keychainStore) Check(ctx context.Context) Status {
	st := Status{Store: s.Name(), Detail: []string{"keychain " + SystemKeychain}}
	if ok, why := s.Applies(); !ok {
		st.State, st.Reason = NotApplicable, why
		return st
	}
	r, err := s.read(ctx)
	switch {
	case err != nil:
		st.State, st.Reason = Unknown, err.Error()
	case r.trusted:
		st.State = Trusted
	case r.present:
		st.State, st.Reason = Missing, "the CA is in the System keychain but not trusted for SSL: run `esbtui trust install`"
	case len(r.stale) > 0:
		st.State, st.Reason = Stale, "an older esbtui CA is in the System keychain, the current one is not: run `esbtui trust install`"
	default:
		st.State, st.Reason = Missing, "the CA is not in the System keychain: run `esbtui trust install`"
	}
	for _, h := range r.stale {
		st.Detail = append(st.Detail, "stale sha1 "+h)
	}
	st.Detail = append(st.Detail, r.left...)
	return st
}

func (s *keychainStore) Plan(ctx context.Context, op Op) (Plan, error) {
	if err := plannable(s, s.ca); err != nil {
		return Plan{}, err
	}
	r, err := s.read(ctx)
	if err != nil {
		return Plan{}, fmt.Errorf("trust: system: read the System keychain: %w", err)
	}
	return s.plan(op, r), nil
}

func (s *keychainStore) plan(op Op, r keychainState) Plan {
	p := newPlan(s, op)
	p.Notes = append(append(p.Notes, keychainNotes...), r.left...)
	var steps []Step
	for _, h := range r.stale {
		steps = append(steps, runStep(s.tool, "delete-certificate", "-Z", h, SystemKeychain))
	}
	switch op {
	case OpInstall:
		if !r.trusted {
			// -p ssl: the trust setting is for the SSL policy only, not
			// for code signing, S/MIME or any other use of the CA.
			steps = append(steps, runStep(s.tool, "add-trusted-cert", "-d", "-r", "trustRoot", "-p", "ssl", "-k", SystemKeychain, s.ca.File))
		}
	case OpUninstall:
		if r.present {
			steps = append(steps,
				runStep(s.tool, "remove-trusted-cert", "-d", s.ca.File),
				runStep(s.tool, "delete-certificate", "-Z", sha1Hex(s.ca.Cert), SystemKeychain))
		}
	}
	p.Steps = steps
	p.NeedsRoot = !p.Empty()
	return p
}
