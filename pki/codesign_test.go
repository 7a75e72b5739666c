package pki

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/asn1"
	"os"
	"strings"
	"testing"
	"time"

	notationx509 "github.com/notaryproject/notation-core-go/x509"

	"github.com/esbtui/esbtui/internal/progress"
)

// TestSigningCertificateProfile: init issues a code-signing certificate that
// meets the Notary Project certificate requirements, checked field by field
// and by notation-core-go's own chain validation (the one `notation verify`
// runs); the server certificate, checked the same way, is refused, so the
// check can fail.
func TestSigningCertificateProfile(t *testing.T) {
	s := newStore(t)
	res := ensure(t, s, Options{})
	if !res.SigningIssued || res.SigningReason != "missing" {
		t.Fatalf("init: signing issued=%v reason=%q, want issued (missing)", res.SigningIssued, res.SigningReason)
	}
	leaf := certOf(t, s, SigningCertFile)
	root := certOf(t, s, CACertFile)
	if leaf.KeyUsage != x509.KeyUsageDigitalSignature {
		t.Errorf("KeyUsage %b, want digitalSignature only", leaf.KeyUsage)
	}
	kuOID := asn1.ObjectIdentifier{2, 5, 29, 15}
	for _, e := range leaf.Extensions {
		if e.Id.Equal(kuOID) && !e.Critical {
			t.Error("KeyUsage is not critical")
		}
	}
	if len(leaf.ExtKeyUsage) != 1 || leaf.ExtKeyUsage[0] != x509.ExtKeyUsageCodeSigning || len(leaf.UnknownExtKeyUsage) != 0 {
		t.Errorf("ExtKeyUsage %v %v, want codeSigning only", leaf.ExtKeyUsage, leaf.UnknownExtKeyUsage)
	}
	if leaf.IsCA || !leaf.BasicConstraintsValid {
		t.Errorf("IsCA=%v BasicConstraintsValid=%v, want a non-CA with basicConstraints", leaf.IsCA, leaf.BasicConstraintsValid)
	}
	if k, ok := leaf.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve.Params().BitSize < 256 {
		t.Errorf("key %s, want ECDSA P-256 or larger", KeyDescription(leaf.PublicKey))
	}
	if leaf.NotBefore.Before(root.NotBefore) || leaf.NotAfter.After(root.NotAfter) {
		t.Errorf("validity %s..%s outside the CA's %s..%s", leaf.NotBefore, leaf.NotAfter, root.NotBefore, root.NotAfter)
	}
	if st, err := os.Stat(s.Path(SigningKeyFile)); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("signing key mode: %v %v, want 0600", st, err)
	}
	now := time.Now()
	if err := notationx509.ValidateCodeSigningCertChain([]*x509.Certificate{leaf, root}, &now); err != nil {
		t.Fatalf("notation-core-go refuses the signing chain: %v", err)
	}
	server := certOf(t, s, ServerCertFile)
	if err := notationx509.ValidateCodeSigningCertChain([]*x509.Certificate{server, root}, &now); err == nil {
		t.Fatal("notation-core-go accepts the server certificate as a signing certificate: the check proves nothing")
	}
	pool := x509.NewCertPool()
	pool.AddCert(root)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}}); err != nil {
		t.Fatalf("chain to rootCA.crt: %v", err)
	}
	sig, err := s.LoadSigner(now)
	if err != nil {
		t.Fatalf("LoadSigner: %v", err)
	}
	if !sig.Chain[0].Equal(leaf) || !sig.Chain[1].Equal(root) {
		t.Fatal("LoadSigner's chain is not signing.crt, rootCA.crt")
	}
	if rep := s.Inspect(now); !rep.Signing.OK() || !rep.Signing.ChainValid || rep.Signing.DaysLeft < 190 {
		t.Fatalf("Inspect: %+v", rep.Signing)
	}
}

// TestSigningCertificateIsKeptAndRenewed: a second init keeps the pair; near
// its end it is renewed like the server certificate; the CA is untouched.
func TestSigningCertificateIsKeptAndRenewed(t *testing.T) {
	s := newStore(t)
	ensure(t, s, Options{})
	key, cert, ca := read(t, s, SigningKeyFile), read(t, s, SigningCertFile), read(t, s, CACertFile)
	if res := ensure(t, s, Options{}); res.SigningIssued {
		t.Fatalf("second init reissued the signing certificate: %s", res.SigningReason)
	}
	if !bytes.Equal(key, read(t, s, SigningKeyFile)) || !bytes.Equal(cert, read(t, s, SigningCertFile)) {
		t.Fatal("second init changed the signing pair")
	}
	later := func() time.Time { return time.Now().Add(180 * 24 * time.Hour) }
	res := ensure(t, s, Options{Now: later})
	if !res.SigningIssued || !strings.Contains(res.SigningReason, "expires in") {
		t.Fatalf("near expiry: issued=%v reason=%q", res.SigningIssued, res.SigningReason)
	}
	if bytes.Equal(key, read(t, s, SigningKeyFile)) {
		t.Fatal("renewal kept the old key")
	}
	if !bytes.Equal(ca, read(t, s, CACertFile)) {
		t.Fatal("CA changed")
	}
	rot, err := s.RotateSigning(context.Background(), Options{}, progress.Discard)
	if err != nil || !rot.Issued {
		t.Fatalf("RotateSigning: %+v %v", rot, err)
	}
}

// TestBrokenSigningKeyIsNotReplaced: a signing key esbtui cannot parse is
// reported by init (a warning; the server side still works) and by
// LoadSigner, and left in place.
func TestBrokenSigningKeyIsNotReplaced(t *testing.T) {
	s := newStore(t)
	ensure(t, s, Options{})
	writeFile(t, s.Path(SigningKeyFile), []byte("garbage"), 0o600)
	res := ensure(t, s, Options{})
	if res.SigningIssued || len(res.Warnings) == 0 || !strings.Contains(strings.Join(res.Warnings, "\n"), SigningKeyFile) {
		t.Fatalf("init over a broken key: issued=%v warnings=%q", res.SigningIssued, res.Warnings)
	}
	if got := read(t, s, SigningKeyFile); string(got) != "garbage" {
		t.Fatal("the broken key was replaced")
	}
	if _, err := s.LoadSigner(time.Now()); err == nil || !strings.Contains(err.Error(), "cert rotate --signing") {
		t.Fatalf("LoadSigner: %v, want an error naming the fix", err)
	}
	if rep := s.Inspect(time.Now()); rep.Signing.OK() || rep.OK() {
		t.Fatal("Inspect calls a broken signing key OK")
	}
}
