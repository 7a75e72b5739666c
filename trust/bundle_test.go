package trust

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/x509roots/fallback/bundle"
	pkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/esbtui/esbtui/pki"
)

// isrgRootX1SHA256 is the SHA-256 fingerprint of Let's Encrypt's ISRG Root X1.
const isrgRootX1SHA256 = "96bcec06264976f37460779acf28c5a7cfe8a3c0aae11a8ffcee05c0bddf08c6"

func sha256Hex(c *x509.Certificate) string {
	s := sha256.Sum256(c.Raw)
	return hex.EncodeToString(s[:])
}

func readBundleFile(t *testing.T, path string) []*x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := parseBundle(data)
	if err != nil {
		t.Fatal(err)
	}
	return certs
}

// TestBundleHoldsPublicRootsAndTheCAOnly: the PEM bundle holds ISRG Root X1
// (by fingerprint), esbtui's CA last, and otherwise only roots of the
// x509roots bundle — nothing else appended.
func TestBundleHoldsPublicRootsAndTheCAOnly(t *testing.T) {
	a, _ := testCAs(t)
	dir := t.TempDir()
	b, err := WriteBundle(dir, a.ca.Cert)
	if err != nil {
		t.Fatal(err)
	}
	if !b.Written || b.PEM != filepath.Join(dir, BundleFile) {
		t.Fatalf("bundle %+v", b)
	}
	certs := readBundleFile(t, b.PEM)
	if len(certs) != b.PublicRoots+1 || b.PublicRoots < 100 {
		t.Fatalf("%d certificates, %d public roots: want the public roots (100+) and the CA", len(certs), b.PublicRoots)
	}
	if !certs[len(certs)-1].Equal(a.ca.Cert) {
		t.Fatalf("the last certificate is %s, not esbtui's CA", certs[len(certs)-1].Subject)
	}
	public := map[string]bool{}
	for r := range bundle.Roots() {
		s := sha256.Sum256(r.Certificate)
		public[hex.EncodeToString(s[:])] = true
	}
	isrg := false
	for _, c := range certs[:len(certs)-1] {
		fp := sha256Hex(c)
		if !public[fp] {
			t.Errorf("%s (SHA-256 %s) is not a root of x509roots", c.Subject, fp)
		}
		isrg = isrg || fp == isrgRootX1SHA256
	}
	if !isrg {
		t.Errorf("ISRG Root X1 (SHA-256 %s) is not in the bundle", isrgRootX1SHA256)
	}
	data, _ := os.ReadFile(b.PEM)
	if n := bytes.Count(data, []byte("-----BEGIN CERTIFICATE-----")); n != len(certs) || bytes.Contains(data, []byte("PRIVATE")) {
		t.Errorf("bundle holds %d BEGIN lines for %d certificates, or a key", n, len(certs))
	}
	sum := sha256.Sum256(data)
	if b.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("SHA256 %s is not the file's", b.SHA256)
	}

	// The truststore holds the same certificates.
	p12, err := os.ReadFile(b.TrustStore)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := pkcs12.DecodeTrustStore(p12, TrustStorePassword)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != len(certs) {
		t.Fatalf("truststore holds %d certificates, the PEM bundle %d", len(ts), len(certs))
	}
	found := false
	for _, c := range ts {
		found = found || c.Equal(a.ca.Cert)
	}
	if !found {
		t.Error("the truststore does not hold esbtui's CA")
	}
	// keytool (Java's own reader) lists esbtui's CA in it.
	out, err := exec.Command("keytool", "-list", "-keystore", b.TrustStore, "-storetype", "PKCS12", "-storepass", TrustStorePassword, "-rfc").CombinedOutput()
	if err != nil {
		t.Fatalf("keytool -list: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte(strings.TrimSpace(string(bytes.Split(a.ca.PEM, []byte("\n"))[1])))) {
		t.Errorf("keytool does not list esbtui's CA:\n%.400s", out)
	}
}

// TestBundleVerifiesTheCAsServer: Go, curl and openssl verify a server
// certificate of esbtui's CA with only the bundle as roots; a server of
// another CA is refused.
func TestBundleVerifiesTheCAsServer(t *testing.T) {
	a, other := testCAs(t)
	b, err := WriteBundle(t.TempDir(), a.ca.Cert)
	if err != nil {
		t.Fatal(err)
	}
	url := tlsServer(t, a)
	if err := goGet(t, b.PEM, url); err != nil {
		t.Errorf("Go client with the bundle: %v", err)
	}
	if err := curlGet(t, b.PEM, url); err != nil {
		t.Errorf("curl with the bundle: %v", err)
	}
	out, err := exec.Command("openssl", "verify", "-CAfile", b.PEM, filepath.Join(a.dir, pki.ServerCertFile)).CombinedOutput()
	if err != nil {
		t.Errorf("openssl verify: %v\n%s", err, out)
	}
	if err := goGet(t, b.PEM, tlsServer(t, other)); err == nil {
		t.Error("the bundle of one CA verified a server of another CA")
	}
}

// TestBundleRegeneratedWhenTheCAChanges: the same CA writes nothing; a new
// CA replaces the old one in both files.
func TestBundleRegeneratedWhenTheCAChanges(t *testing.T) {
	a, c := testCAs(t)
	dir := t.TempDir()
	if _, err := WriteBundle(dir, a.ca.Cert); err != nil {
		t.Fatal(err)
	}
	again, err := WriteBundle(dir, a.ca.Cert)
	if err != nil {
		t.Fatal(err)
	}
	if again.Written {
		t.Error("the same CA rewrote the bundle")
	}
	nb, err := WriteBundle(dir, c.ca.Cert)
	if err != nil {
		t.Fatal(err)
	}
	if !nb.Written || nb.SHA256 == again.SHA256 {
		t.Fatalf("a new CA did not rewrite the bundle: %+v", nb)
	}
	for _, cert := range readBundleFile(t, nb.PEM) {
		if cert.Equal(a.ca.Cert) {
			t.Error("the old CA is still in the PEM bundle")
		}
	}
	p12, _ := os.ReadFile(nb.TrustStore)
	ts, err := pkcs12.DecodeTrustStore(p12, TrustStorePassword)
	if err != nil {
		t.Fatal(err)
	}
	hasNew := false
	for _, cert := range ts {
		if cert.Equal(a.ca.Cert) {
			t.Error("the old CA is still in the truststore")
		}
		hasNew = hasNew || cert.Equal(c.ca.Cert)
	}
	if !hasNew {
		t.Error("the new CA is not in the truststore")
	}
}
