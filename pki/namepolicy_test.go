package pki

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/esbtui/esbtui/internal/progress"
)

// TestCANamePolicyRefusesPublicSuffixes: a public suffix (ICANN or private
// section of the list), a wildcard of one, or a TLD whose children are all
// public suffixes is refused with why and what to use instead.
func TestCANamePolicyRefusesPublicSuffixes(t *testing.T) {
	for _, bad := range []string{
		"com", "COM.", "co.uk", "*.com", ".com", "*.co.uk", "github.io", "*.github.io",
		"dev", "app", "google", "ck", "*.ck", "xn--p1ai", "s3.amazonaws.com", "0.0.0.0", "::", "224.0.0.1",
	} {
		_, err := ParseNames([]string{bad})
		var ne *NameError
		if !errors.As(err, &ne) {
			t.Errorf("%q accepted (err %v)", bad, err)
			continue
		}
		if net := strings.Contains(bad, ":") || strings.HasPrefix(bad, "0.") || strings.HasPrefix(bad, "224."); !net &&
			(!strings.Contains(err.Error(), "public suffix") || !strings.Contains(err.Error(), ".test")) {
			t.Errorf("%q: the error does not say why and what instead: %v", bad, err)
		}
	}
	for _, ok := range []string{
		"dev.mycompany.com", "mycompany.com", "*.dev.mycompany.com", "x.github.io", "myhost", "foo.corp",
		"api.test", "*.svc.internal", "8.8.4.4", "10.1.2.3", "nas.home.arpa",
	} {
		if _, err := ParseNames([]string{ok}); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
}

// TestEnsureRefusesPublicSuffixWithOrigin: the CA is never created with a
// refused name, and the error names where the name was written.
func TestEnsureRefusesPublicSuffixWithOrigin(t *testing.T) {
	s := newStore(t)
	_, err := s.Ensure(context.Background(), Options{
		Names:   []string{"api.test", "com"},
		Origins: map[string]string{"com": "/proj/esb.yaml:4"},
	}, progress.Discard)
	if err == nil || !strings.Contains(err.Error(), "/proj/esb.yaml:4") || !strings.Contains(err.Error(), `"com"`) {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(s.Path(CAKeyFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a CA key was written for a refused name: %v", err)
	}
}

// TestWideningWarnings: a public registrable name or a public IP is allowed
// at CA creation with a warning saying what a leaked key could sign; local
// names and private addresses give none.
func TestWideningWarnings(t *testing.T) {
	s := newStore(t)
	res := ensure(t, s, Options{Names: []string{"dev.mycompany.com", "8.8.4.4", "api.test", "10.0.0.5"}})
	all := strings.Join(res.Warnings, "\n")
	if len(res.Warnings) != 2 || !strings.Contains(all, "dev.mycompany.com and every name under it") ||
		!strings.Contains(all, "8.8.4.4 is a public IP") || !strings.Contains(all, CAKeyFile+" leaks") {
		t.Fatalf("warnings: %q", res.Warnings)
	}
	if res := ensure(t, newStore(t), Options{Names: []string{"api.test", "10.0.0.5", "myhost"}}); len(res.Warnings) != 0 {
		t.Fatalf("local names warned: %q", res.Warnings)
	}
}

// policyCA makes a CA following esbtui's template for extra, with a fast
// ECDSA key (the policy is in the template, not in the key type).
func policyCA(t testing.TB, extra Names) *CA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := caTemplate(extra, key.Public(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &CA{Cert: c, CertPEM: encodeCert(der), Key: crypto.Signer(key)}
}

// leafVerifies issues a leaf for dns signed by ca and verifies it with Go.
func leafVerifies(t testing.TB, ca *CA, dns string) (certPEM []byte, err error) {
	t.Helper()
	certPEM, _, err = issueLeaf(ca, Names{DNS: []string{dns}}, KeyECDSAP256, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c, _ := ParseCertPEM(certPEM)
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	_, err = c.Verify(x509.VerifyOptions{Roots: pool, DNSName: dns, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	return certPEM, err
}

var (
	policyLabels   = []string{"dev", "api", "www", "mycompany", "a1", "x-y", "corp", "internal", "local", "test", "com", "io", "github", "uk", "co", "ck", "arpa", "home", "app"}
	publicSuffixes = []string{"com", "net", "org", "co.uk", "github.io", "dev", "app", "de", "jp", "kawasaki.jp", "blogspot.com", "ck", "arpa"}
)

// randomName builds a name of 1–3 labels, sometimes a wildcard or an IP.
func randomName(r *mrand.Rand) string {
	switch r.IntN(8) {
	case 0:
		return fmt.Sprintf("%d.%d.%d.%d", r.IntN(256), r.IntN(256), r.IntN(256), 1+r.IntN(254))
	case 1:
		return "*." + randomName(r)
	}
	n := 1 + r.IntN(3)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = policyLabels[r.IntN(len(policyLabels))]
	}
	if r.IntN(2) == 0 {
		parts = append(parts, publicSuffixes[r.IntN(len(publicSuffixes))])
	}
	return strings.Join(parts, ".")
}

// foreignSite is a registrable domain under a public suffix, with a host
// label in front: what an attacker with the CA key would want to sign.
func foreignSite(r *mrand.Rand) string {
	return fmt.Sprintf("www.site%d.%s", r.IntN(1_000_000), publicSuffixes[r.IntN(len(publicSuffixes))])
}

// userNamed: one of the constraints is the site's registrable domain or a
// name under it, and covers the site. A constraint above the registrable
// domain (com, co.uk) does not count: no user owns those.
func userNamed(constraints []string, site string) bool {
	reg, err := publicsuffix.EffectiveTLDPlusOne(site)
	if err != nil {
		return false
	}
	for _, c := range constraints {
		c = strings.TrimPrefix(c, ".")
		if dnsPermitted([]string{c}, site) && (c == reg || strings.HasSuffix(c, "."+reg)) {
			return true
		}
	}
	return false
}

// checkForeignRejected: for names the policy accepted, leaves for
// www.google.com and a random foreign site (not under any accepted name)
// signed by a CA created with them are rejected by Go; with openssl set,
// also by OpenSSL.
func checkForeignRejected(t *testing.T, r *mrand.Rand, accepted Names, openssl bool) {
	t.Helper()
	ca := policyCA(t, accepted)
	dns, _ := constraintsFor(accepted)
	for _, site := range []string{"www.google.com", foreignSite(r), foreignSite(r)} {
		if userNamed(dns, site) {
			continue // e.g. accepted mycompany.com, site www.mycompany.com
		}
		leafPEM, err := leafVerifies(t, ca, site)
		if openssl {
			if out, ok := opensslVerify(t, ca.CertPEM, leafPEM, site); ok {
				t.Errorf("CA created with %v signs %s for OpenSSL:\n%s", accepted.Strings(), site, out)
			}
		}
		if err == nil {
			t.Fatalf("CA created with %v signs %s for Go", accepted.Strings(), site)
		}
	}
}

// TestPolicyNeverCoversForeignSites is the property: whatever mix of names
// the CA-creation policy accepts, the CA cannot sign for a public site the
// user did not name. Go checks 300 random CAs, OpenSSL the first 25.
func TestPolicyNeverCoversForeignSites(t *testing.T) {
	r := mrand.New(mrand.NewPCG(13, uint64(time.Now().UnixNano())))
	accepted := 0
	for i := 0; accepted < 300 && i < 5000; i++ {
		var in []string
		for range 1 + r.IntN(4) {
			in = append(in, randomName(r))
		}
		names, err := ParseNames(in)
		if err != nil {
			continue
		}
		checkForeignRejected(t, r, names, accepted < 25)
		accepted++
	}
	if accepted < 300 {
		t.Fatalf("only %d random name sets were accepted: the generator is broken", accepted)
	}
}

// FuzzCANamePolicy: any single name the policy accepts leaves www.google.com
// and other foreign sites outside the CA.
func FuzzCANamePolicy(f *testing.F) {
	for _, s := range []string{"com", "*.com", "dev.mycompany.com", "google.com", "myhost", "ck", "*.ck", "x.github.io", "8.8.8.8", "co.uk", ".com", "api.test"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		names, err := ParseNames([]string{name})
		if err != nil {
			return
		}
		checkForeignRejected(t, mrand.New(mrand.NewPCG(uint64(len(name)), 7)), names, false)
	})
}

// opensslVerify runs `openssl verify` on leafPEM against caPEM for host and
// reports whether it accepted.
func opensslVerify(t testing.TB, caPEM, leafPEM []byte, host string) (string, bool) {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Fatal("openssl is needed (test/run installs it)")
	}
	dir := t.TempDir()
	caFile, leafFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "leaf.pem")
	if err := os.WriteFile(caFile, caPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(leafFile, leafPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("openssl", "verify", "-x509_strict", "-purpose", "sslserver", "-verify_hostname", host, "-CAfile", caFile, leafFile).CombinedOutput()
	return string(out), err == nil && strings.Contains(string(out), ": OK")
}

// TestOpenSSLRefusesPublicNamesFromARealCA: a CA made by Ensure (RSA 4096)
// with a registrable domain and a public IP: OpenSSL, as a second verifier,
// accepts the named domain's hosts and rejects www.google.com.
func TestOpenSSLRefusesPublicNamesFromARealCA(t *testing.T) {
	s := newStore(t)
	ensure(t, s, Options{Names: []string{"dev.mycompany.com", "8.8.4.4"}})
	ca, err := s.LoadUsableCA(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]bool{"x.dev.mycompany.com": true, "api.test": true, "www.google.com": false, "mycompany.com": false, "com": false} {
		leafPEM, _, err := issueLeaf(ca, Names{DNS: []string{host}}, KeyECDSAP256, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if out, ok := opensslVerify(t, ca.CertPEM, leafPEM, host); ok != want {
			t.Errorf("openssl verify %s: accepted=%v, want %v\n%s", host, ok, want, out)
		}
	}
}
