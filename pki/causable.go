package pki

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// UnusableCAError is a CA whose files are intact but which esbtui will not
// sign with or trust: expired, not yet valid, without the CertSign key
// usage, not name-constrained, or permitting a public suffix. The fix is
// a new CA; the old one is never deleted.
type UnusableCAError struct {
	Path    string
	Reasons []string
	// Fingerprint of the refused CA, so the user can find it in trust stores.
	Fingerprint string
}

func (e *UnusableCAError) Error() string {
	return fmt.Sprintf("pki: the CA %s cannot be used: %s: %s", e.Path, strings.Join(e.Reasons, "; "), NewCAFix(filepath.Dir(e.Path), e.Fingerprint))
}

// NewCAFix says how to start over with a new CA without losing the old one.
// fingerprint (SHA-256 of the old CA) may be empty.
func NewCAFix(dir, fingerprint string) string {
	old := "the old CA"
	if fingerprint != "" {
		old = "the old CA (SHA-256 " + fingerprint + ")"
	}
	return fmt.Sprintf("start a new CA: `esbtui trust uninstall` (takes %s out of the trust stores), `mv %s %s.old` (esbtui never deletes a CA key), then `esbtui init` (creates and trusts the new CA)", old, dir, dir)
}

// caProblems are the reasons a CA certificate cannot sign or be trusted,
// beyond the file checks LoadCA makes and its validity period (describe,
// validityProblem). Constraint gaps (constraintGaps) are listed
// separately: inspection warns about them, the loader refuses.
func caProblems(c *x509.Certificate) []string {
	var out []string
	if !c.BasicConstraintsValid || !c.IsCA {
		out = append(out, "not a CA certificate (BasicConstraints CA:FALSE)")
	}
	if c.KeyUsage&x509.KeyUsageCertSign == 0 {
		out = append(out, "its key usage does not include certificate signing (keyCertSign): clients reject every certificate it signs")
	}
	if err := c.CheckSignatureFrom(c); err != nil {
		out = append(out, "not self-signed: "+err.Error())
	}
	return out
}

// validityProblem says why c is not valid at now, or "".
func validityProblem(c *x509.Certificate, now time.Time) string {
	if now.After(c.NotAfter) {
		return "expired on " + c.NotAfter.UTC().Format(time.RFC3339)
	} else if now.Before(c.NotBefore) {
		return "not valid before " + c.NotBefore.UTC().Format(time.RFC3339) + " (check the clock)"
	}
	return ""
}

// singleCertPEM checks that data is exactly one PEM CERTIFICATE block
// without headers, and nothing else but white space.
func singleCertPEM(data []byte) error {
	b, rest := pem.Decode(data)
	switch {
	case b == nil:
		return fmt.Errorf("no PEM CERTIFICATE block found")
	case b.Type != "CERTIFICATE":
		return fmt.Errorf("holds a %s block: it must hold only the CA certificate", b.Type)
	case len(b.Headers) > 0:
		return fmt.Errorf("the certificate block has PEM headers: it must hold only the CA certificate")
	case len(bytes.TrimSpace(data[:bytes.Index(data, []byte("-----BEGIN"))])) > 0:
		return fmt.Errorf("text before the certificate: it must hold only the CA certificate")
	case len(bytes.TrimSpace(rest)) > 0:
		if nb, _ := pem.Decode(rest); nb != nil {
			return fmt.Errorf("holds more than one PEM block (a second %s follows the CA certificate): it must hold only the CA certificate", nb.Type)
		}
		return fmt.Errorf("text after the certificate: it must hold only the CA certificate")
	}
	return nil
}

// LoadUsableCA is the one way a flow gets the CA it signs with or installs
// in trust stores: LoadCA's checks (both files, key 0600, key matching the
// certificate, a CA), then rootCA.crt holding exactly one certificate, the
// certificate valid at now with keyCertSign, and name-constrained to names
// a developer owns (no public suffix). CertPEM is that one certificate
// re-encoded, so nothing else in the file travels with it.
func (s *Store) LoadUsableCA(now time.Time) (*CA, error) {
	ca, err := s.LoadCAForRemoval()
	if err != nil {
		return nil, err
	}
	reasons := caProblems(ca.Cert)
	if p := validityProblem(ca.Cert, now); p != "" {
		reasons = append(reasons, p)
	}
	reasons = append(reasons, constraintGaps(ca.Cert)...)
	if len(reasons) > 0 {
		return nil, &UnusableCAError{Path: s.Path(CACertFile), Reasons: reasons, Fingerprint: Fingerprint(ca.Cert)}
	}
	return ca, nil
}

// LoadCAForRemoval is the loader for taking esbtui's CA out of trust
// stores: LoadCA's checks and exactly one certificate, but not validity or
// constraints, so an expired or unconstrained CA of this store can still
// be removed. Never use it to sign or to install.
func (s *Store) LoadCAForRemoval() (*CA, error) {
	ca, err := s.LoadCA()
	if err != nil {
		return nil, err
	}
	if err := singleCertPEM(ca.CertPEM); err != nil {
		return nil, &CorruptError{Path: s.Path(CACertFile), Why: err.Error(), Fix: "remove everything but the CA certificate that matches " + CAKeyFile + " (or restore the file from a backup)"}
	}
	ca.CertPEM = encodeCert(ca.Cert.Raw)
	return ca, nil
}
