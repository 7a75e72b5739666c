package trust

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/asn1"
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
	// List returns every certificate in the store with its extended key
	// usage property (CERT_ENHKEY_USAGE_PROP_ID, nil when not set).
	List() ([]winCert, error)
	// Add adds the DER certificate (or takes the one already there) and
	// sets its extended key usage property to usage.
	Add(der, usage []byte) error
	Delete(sha1 string) error
}

// winCert is a certificate in the store and its EKU property.
type winCert struct {
	Cert  *x509.Certificate
	Usage []byte
}

// tlsUsage is the encoded X509_ENHANCED_KEY_USAGE (a SEQUENCE OF OBJECT
// IDENTIFIER) limiting the CA to server and client authentication: set as
// the certificate's CERT_ENHKEY_USAGE_PROP_ID in the store, Windows trusts it
// for TLS only, not for code signing, e-mail or timestamping.
func tlsUsage() []byte {
	der, err := asn1.Marshal([]asn1.ObjectIdentifier{
		{1, 3, 6, 1, 5, 5, 7, 3, 1}, // serverAuth
		{1, 3, 6, 1, 5, 5, 7, 3, 2}, // clientAuth
	})
	if err != nil {
		panic(err) // constant input: cannot fail
	}
	return der
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
	scoped  bool // present with the EKU property limiting it to TLS
	stale   []string
	left    []string
}

func (s *winRootStore) read() (winState, error) {
	var st winState
	certs, err := s.api.List()
	if err != nil {
		return st, err
	}
	for _, c := range certs {
		switch s.cfg.relate(c.Cert, s.ca.Cert) {
		case current:
			st.present = true
			st.scoped = bytes.Equal(c.Usage, tlsUsage())
		case stale:
			st.stale = append(st.stale, sha1Hex(c.Cert))
		case foreign:
			st.left = append(st.left, leftNote("sha1 "+sha1Hex(c.Cert)+" in "+winStoreName, c.Cert))
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
	case r.present && r.scoped:
		st.State = Trusted
	case r.present:
		st.State, st.Reason = Missing, "the CA is in "+winStoreName+" but not limited to server and client authentication: run `esbtui trust install` from an elevated prompt"
	case len(r.stale) > 0:
		st.State, st.Reason = Stale, "an older esbtui CA is in "+winStoreName+", the current one is not: run `esbtui trust install`"
	default:
		st.State, st.Reason = Missing, "the CA is not in "+winStoreName+": run `esbtui trust install` from an elevated prompt"
	}
	for _, h := range r.stale {
		st.Detail = append(st.Detail, "stale sha1 "+h)
	}
	st.Detail = append(st.Detail, r.left...)
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
	p := newPlan(s, op)
	p.Notes = append([]string{"Docker Desktop reads the Windows store only when it starts: restart it after a change"}, r.left...)
	for _, h := range r.stale {
		p.Steps = append(p.Steps, Step{Kind: StepCall, Desc: fmt.Sprintf("crypt32 CertDeleteCertificateFromStore %s sha1=%s", winStoreName, h),
			call: func(context.Context) error { return s.api.Delete(h) }})
	}
	switch {
	case op == OpInstall && !(r.present && r.scoped):
		der, usage := s.ca.Cert.Raw, tlsUsage()
		p.Steps = append(p.Steps, Step{Kind: StepCall,
			Desc: fmt.Sprintf("crypt32 CertAddCertificateContextToStore %s sha1=%s, then CertSetCertificateContextProperty CERT_ENHKEY_USAGE_PROP_ID serverAuth,clientAuth (trusted for TLS only)", winStoreName, sha1Hex(s.ca.Cert)),
			call: func(context.Context) error { return s.api.Add(der, usage) }})
	case op == OpUninstall && r.present:
		h := sha1Hex(s.ca.Cert)
		p.Steps = append(p.Steps, Step{Kind: StepCall, Desc: fmt.Sprintf("crypt32 CertDeleteCertificateFromStore %s sha1=%s", winStoreName, h),
			call: func(context.Context) error { return s.api.Delete(h) }})
	}
	p.NeedsRoot = !p.Empty()
	return p
}
