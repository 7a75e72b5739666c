package registryclient

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esbtui/esbtui/pki"
)

// testChain makes a CA and a leaf for 127.0.0.1 signed by it.
func testChain(t *testing.T, cn string) (ca, leaf *x509.Certificate) {
	t.Helper()
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey, leafKey := key(), key()
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ = x509.ParseCertificate(der)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err = x509.CreateCertificate(rand.Reader, leafTmpl, ca, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ = x509.ParseCertificate(der)
	return ca, leaf
}

// The system pool is read only when a chain does not verify against
// esbtui's CA; a chain from a system-trusted CA still verifies; one from
// neither fails like crypto/tls's own check.
func TestRootsLoadSystemPoolOnlyWhenNeeded(t *testing.T) {
	r, err := loadRoots(filepath.Join(certDir, pki.CACertFile))
	if err != nil {
		t.Fatal(err)
	}
	loads := 0
	sysCA, sysLeaf := testChain(t, "system CA")
	r.system = func() *x509.CertPool {
		loads++
		p := x509.NewCertPool()
		p.AddCert(sysCA)
		return p
	}
	ours, err := os.ReadFile(filepath.Join(certDir, pki.ServerChainFile))
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.LoadX509KeyPair(filepath.Join(certDir, pki.ServerChainFile), filepath.Join(certDir, pki.ServerKeyFile))
	if err != nil || len(ours) == 0 {
		t.Fatal(err)
	}
	var chain []*x509.Certificate
	for _, der := range pair.Certificate {
		c, _ := x509.ParseCertificate(der)
		chain = append(chain, c)
	}
	if err := r.verify(chain, "localhost"); err != nil || loads != 0 {
		t.Fatalf("our registry: %v, system pool loaded %d times; want ok, 0", err, loads)
	}
	if err := r.verify([]*x509.Certificate{sysLeaf}, "127.0.0.1"); err != nil || loads != 1 {
		t.Fatalf("system-trusted server: %v, loads %d; want ok, 1", err, loads)
	}
	_, otherLeaf := testChain(t, "nobody's CA")
	err = r.verify([]*x509.Certificate{otherLeaf}, "127.0.0.1")
	var cve *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	if !errors.As(err, &cve) || !errors.As(err, &ua) {
		t.Fatalf("unknown CA: %v (%T), want a tls.CertificateVerificationError wrapping x509.UnknownAuthorityError", err, err)
	}
	// Our CA, wrong name: refused too.
	if err := r.verify(chain, "example.com"); err == nil {
		t.Fatal("a certificate for localhost verified as example.com")
	}
}

// TestRootsRefuseMoreThanTheCA: a rootCA.crt with another certificate
// appended, a leaf in its place, or trailing data is refused as a whole;
// the appended CA is never trusted.
func TestRootsRefuseMoreThanTheCA(t *testing.T) {
	ours, err := os.ReadFile(filepath.Join(certDir, pki.CACertFile))
	if err != nil {
		t.Fatal(err)
	}
	other, leaf := testChain(t, "appended CA")
	pemOf := func(c *x509.Certificate) []byte {
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	for name, data := range map[string][]byte{
		"a second CA appended": append(append([]byte{}, ours...), pemOf(other)...),
		"a leaf":               pemOf(leaf),
		"trailing text":        append(append([]byte{}, ours...), []byte("junk\n")...),
		"no certificate":       []byte("not pem\n"),
	} {
		f := filepath.Join(t.TempDir(), "rootCA.crt")
		if err := os.WriteFile(f, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if r, err := loadRoots(f); err == nil {
			t.Errorf("%s: loaded (%d roots); want an error", name, len(r.caList))
		} else if !strings.Contains(err.Error(), f) {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
	}
}
