package pki

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/esbtui/esbtui/internal/progress"
)

// The code-signing identity: a leaf chained to the root CA that signs
// images (Notary Project signatures). It has its own key, kept next to the
// server's, and follows the Notary Project certificate requirements for a
// signing certificate: KeyUsage digitalSignature only (critical),
// ExtKeyUsage codeSigning, not a CA, ECDSA P-256, valid within the CA.
const (
	SigningKeyFile  = "signing.key"
	SigningCertFile = "signing.crt"
	// SigningValidity matches the server certificate's: it renews the same
	// way, within RenewBefore of its end.
	SigningValidity = LeafValidity
)

// signingCommonName names the identity in a signature ("who signed").
func signingCommonName() string {
	return "esbtui signing " + caCommonName()[len(caOrganization)+1:]
}

// issueSigningCert signs a fresh code-signing certificate and key with ca.
func issueSigningCert(ca *CA, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: generate signing key: %w", err)
	}
	tpl, err := signingTemplate(ca, key.Public(), now)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: sign the code-signing certificate: %w", err)
	}
	keyPEM, err = encodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	return encodeCert(der), keyPEM, nil
}

// signingTemplate is the code-signing certificate for pub, issued at now.
func signingTemplate(ca *CA, pub crypto.PublicKey, now time.Time) (*x509.Certificate, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	ski, err := subjectKeyID(pub)
	if err != nil {
		return nil, err
	}
	notBefore := now.Add(-time.Hour).UTC().Truncate(time.Second)
	if notBefore.Before(ca.Cert.NotBefore) {
		notBefore = ca.Cert.NotBefore
	}
	return &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			Country:      []string{caCountry},
			Organization: []string{caOrganization},
			CommonName:   signingCommonName(),
		},
		NotBefore: notBefore,
		NotAfter:  leafNotAfter(ca, now),
		// Go marks KeyUsage critical; digitalSignature alone, as the
		// Notary Project asks of a signing certificate.
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		BasicConstraintsValid: true,
		IsCA:                  false,
		SubjectKeyId:          ski,
		AuthorityKeyId:        ca.Cert.SubjectKeyId,
	}, nil
}

// Signer is the loaded signing identity: key and chain (leaf first, then
// the root).
type Signer struct {
	Key   crypto.Signer
	Chain []*x509.Certificate
}

// SigningResult says what EnsureSigning did.
type SigningResult struct {
	Issued bool   `json:"issued"`
	Reason string `json:"reason,omitempty"`
	File   string `json:"file"`
}

// signingReissueReason says why the signing certificate must be issued, ""
// when it is good. An unreadable or mismatched key is an error: the key is
// an identity and is not replaced behind the user's back.
func (s *Store) signingReissueReason(ca *CA, now time.Time) (string, error) {
	reason, _, err := s.readSigning(ca, now)
	return reason, err
}

// readSigning reads and checks the signing pair: the reissue reason (see
// signingReissueReason) and, when the pair is there and matches, the
// Signer (its chain ending at ca).
func (s *Store) readSigning(ca *CA, now time.Time) (string, *Signer, error) {
	certPEM, cerr := s.readFile(SigningCertFile, false)
	keyPEM, kerr := s.readFile(SigningKeyFile, true)
	switch {
	case errors.Is(cerr, fs.ErrNotExist) && errors.Is(kerr, fs.ErrNotExist):
		return "missing", nil, nil
	case kerr != nil && !errors.Is(kerr, fs.ErrNotExist):
		return "", nil, kerr
	case cerr != nil && !errors.Is(cerr, fs.ErrNotExist):
		return "", nil, cerr
	case errors.Is(kerr, fs.ErrNotExist):
		return "", nil, &MissingError{Path: s.Path(SigningKeyFile), Fix: "its certificate " + SigningCertFile + " is there: restore the key from a backup, or run `esbtui cert rotate --signing` for a new signing identity"}
	case errors.Is(cerr, fs.ErrNotExist):
		return "", nil, &MissingError{Path: s.Path(SigningCertFile), Fix: "its key " + SigningKeyFile + " is there: restore the certificate from a backup, or run `esbtui cert rotate --signing` for a new signing identity"}
	}
	cert, err := ParseCertPEM(certPEM)
	if err != nil {
		return "", nil, &CorruptError{Path: s.Path(SigningCertFile), Why: err.Error(), Fix: "run `esbtui cert rotate --signing` for a new signing identity"}
	}
	key, err := ParseKeyPEM(keyPEM)
	if err != nil {
		return "", nil, &CorruptError{Path: s.Path(SigningKeyFile), Why: err.Error(), Fix: "run `esbtui cert rotate --signing` for a new signing identity"}
	}
	if !publicKeysEqual(key.Public(), cert.PublicKey) {
		return "", nil, &CorruptError{Path: s.Path(SigningKeyFile), Why: "does not match " + s.Path(SigningCertFile), Fix: "restore the matching pair, or run `esbtui cert rotate --signing`"}
	}
	signer := &Signer{Key: key, Chain: []*x509.Certificate{cert, ca.Cert}}
	if err := cert.CheckSignatureFrom(ca.Cert); err != nil {
		return "not signed by the current CA", signer, nil
	}
	if left := cert.NotAfter.Sub(now); left <= 0 || (left < RenewBefore && cert.NotAfter.Before(ca.Cert.NotAfter)) {
		if left <= 0 {
			return "expired on " + cert.NotAfter.Format("2006-01-02"), signer, nil
		}
		return fmt.Sprintf("expires in %d days (renewing within %d days of expiry)", int(left.Hours()/24), int(RenewBefore.Hours()/24)), signer, nil
	}
	return "", signer, nil
}

// EnsureSigning issues the code-signing certificate when it is missing,
// expiring or not from the current CA. It never creates a CA (run `esbtui
// init` first) and never replaces a key it cannot read.
func (s *Store) EnsureSigning(ctx context.Context, o Options, sink progress.Sink) (*SigningResult, error) {
	return s.ensureSigningLocked(ctx, o, sink, "")
}

// RotateSigning issues a new code-signing key and certificate now.
// Signatures made with the old one keep verifying: each carries its chain.
func (s *Store) RotateSigning(ctx context.Context, o Options, sink progress.Sink) (*SigningResult, error) {
	return s.ensureSigningLocked(ctx, o, sink, "rotation requested")
}

func (s *Store) ensureSigningLocked(ctx context.Context, o Options, sink progress.Sink, force string) (*SigningResult, error) {
	if err := s.checkOwner(); err != nil {
		return nil, err
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	s.removeStaleTemps()
	ca, err := s.LoadUsableCA(o.now())
	if err != nil {
		return nil, err
	}
	return s.ensureSigning(ca, o.now(), progress.Reporter{Op: "certs", Sink: sink}, force)
}

// ensureSigning is EnsureSigning with the lock held and the CA loaded.
func (s *Store) ensureSigning(ca *CA, now time.Time, rep progress.Reporter, force string) (*SigningResult, error) {
	res := &SigningResult{File: s.Path(SigningCertFile)}
	reason := force
	if reason == "" {
		var err error
		if reason, err = s.signingReissueReason(ca, now); err != nil {
			return res, err
		}
	}
	if reason == "" {
		rep.Step("signing", progress.Skipped, "code-signing certificate is valid")
		return res, nil
	}
	rep.Step("signing", progress.Start, "issuing code-signing certificate: "+reason)
	certPEM, keyPEM, err := issueSigningCert(ca, now)
	if err != nil {
		return res, err
	}
	// Key and certificate as one unit: a crash leaves either the old pair
	// or the new one, never half of each.
	if err := s.writeSet([]pendingFile{
		{SigningKeyFile, keyPEM, 0o600},
		{SigningCertFile, certPEM, 0o644},
	}); err != nil {
		return res, err
	}
	res.Issued, res.Reason = true, reason
	rep.Step("signing", progress.Done, "issued "+s.Path(SigningCertFile)+" (code signing)")
	return res, nil
}

// LoadSigner reads the signing identity for signing: key, certificate and
// the root, checked to belong together and to be valid at now.
func (s *Store) LoadSigner(now time.Time) (*Signer, error) {
	ca, err := s.LoadUsableCA(now)
	if err != nil {
		return nil, err
	}
	reason, signer, err := s.readSigning(ca, now)
	if err != nil {
		return nil, err
	}
	if reason != "" && !strings.HasPrefix(reason, "expires in") {
		return nil, &MissingError{Path: s.Path(SigningCertFile), Fix: "the code-signing certificate is " + reason + ": run `esbtui init` (or `esbtui sign`, which issues it)"}
	}
	return signer, nil
}

// inspectSigning reports on the code-signing certificate. A store without
// one (made before signing existed) gets a warning, not a problem.
func (s *Store) inspectSigning(now time.Time) CertInfo {
	info := CertInfo{Role: "signing", File: s.Path(SigningCertFile), KeyFile: s.Path(SigningKeyFile)}
	if ok, _ := s.exists(SigningCertFile); !ok {
		info.Warnings = append(info.Warnings, "no code-signing certificate yet: `esbtui init` or the first `esbtui sign` issues it")
		return info
	}
	c := s.readCert(&info, SigningCertFile, "", "run `esbtui cert rotate --signing`", now)
	if c == nil {
		return info
	}
	if len(info.Problems) > 0 {
		info.Problems[len(info.Problems)-1] += ": run `esbtui init` or `esbtui cert rotate --signing`"
	} else if info.DaysLeft < int(RenewBefore.Hours()/24) {
		info.Warnings = append(info.Warnings, fmt.Sprintf("expires in %d days: run `esbtui init` or `esbtui cert rotate --signing`", info.DaysLeft))
	}
	s.checkKey(&info, c, SigningKeyFile, "run `esbtui cert rotate --signing`")
	s.checkChain(&info, c, now, x509.ExtKeyUsageCodeSigning, "run `esbtui cert rotate --signing`")
	return info
}

// RootCert reads rootCA.crt alone (no key needed): the trust anchor for
// verifying signatures. It must be one CA certificate.
func (s *Store) RootCert() (*x509.Certificate, error) {
	data, err := s.readFile(CACertFile, false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &MissingError{Path: s.Path(CACertFile), Fix: "run `esbtui init`"}
	}
	if err != nil {
		return nil, err
	}
	if err := singleCertPEM(data); err != nil {
		return nil, &CorruptError{Path: s.Path(CACertFile), Why: err.Error(), Fix: "remove everything but the CA certificate"}
	}
	c, err := ParseCertPEM(data)
	if err != nil {
		return nil, &CorruptError{Path: s.Path(CACertFile), Why: err.Error(), Fix: "restore it from a backup"}
	}
	if !c.IsCA {
		return nil, &CorruptError{Path: s.Path(CACertFile), Why: "not a CA certificate", Fix: "restore the root certificate from a backup"}
	}
	return c, nil
}
