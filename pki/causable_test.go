package pki

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/esbtui/esbtui/internal/progress"
)

// writeCA puts a CA made from esbtui's template, changed by mutate, and its
// key into s, the way a CA from another tool, an old esbtui or a clock
// jump would look on disk.
func writeCA(t *testing.T, s *Store, mutate func(*x509.Certificate)) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := caTemplate(Names{}, key.Public(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	mutate(tpl)
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err = encodeKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM = encodeCert(der)
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, s.Path(CAKeyFile), keyPEM, 0o600)
	writeFile(t, s.Path(CACertFile), certPEM, 0o644)
	return certPEM, keyPEM
}

var badCAs = map[string]struct {
	mutate func(*x509.Certificate)
	says   string
}{
	"expired": {func(c *x509.Certificate) {
		c.NotBefore, c.NotAfter = time.Now().AddDate(-2, 0, 0), time.Now().AddDate(0, 0, -1)
	}, "expired on"},
	"not yet valid": {func(c *x509.Certificate) {
		c.NotBefore, c.NotAfter = time.Now().AddDate(0, 0, 2), time.Now().AddDate(5, 0, 0)
	}, "not valid before"},
	"no CertSign": {func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageDigitalSignature }, "keyCertSign"},
	"unconstrained": {func(c *x509.Certificate) {
		c.PermittedDNSDomains, c.PermittedIPRanges, c.PermittedDNSDomainsCritical = nil, nil, false
	}, "not name-constrained for DNS names"},
	"permits 0.0.0.0/0": {func(c *x509.Certificate) {
		c.PermittedIPRanges = append(c.PermittedIPRanges, &net.IPNet{IP: net.IPv4zero.To4(), Mask: net.CIDRMask(0, 32)})
	}, "permits the public address range 0.0.0.0/0"},
	"permits com": {func(c *x509.Certificate) {
		c.PermittedDNSDomains = append(c.PermittedDNSDomains, "com")
	}, "permits the public suffix com"},
}

// TestBadCAStopsInit: init (Ensure) on an expired, not-yet-valid, no-CertSign,
// unconstrained or public-suffix CA fails naming the file and the way to a
// new CA, issues no server certificate and leaves the CA files as they were.
func TestBadCAStopsInit(t *testing.T) {
	for name, bad := range badCAs {
		t.Run(name, func(t *testing.T) {
			s := newStore(t)
			certPEM, keyPEM := writeCA(t, s, bad.mutate)
			_, err := s.Ensure(context.Background(), Options{}, progress.Discard)
			var ue *UnusableCAError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), s.Path(CACertFile)) ||
				!strings.Contains(err.Error(), bad.says) || !strings.Contains(err.Error(), "start a new CA") || !strings.Contains(err.Error(), "esbtui init") {
				t.Fatalf("err = %v", err)
			}
			if _, err := os.Stat(s.Path(ServerCertFile)); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a server certificate was issued from a bad CA (%v)", err)
			}
			if !bytes.Equal(certPEM, read(t, s, CACertFile)) || !bytes.Equal(keyPEM, read(t, s, CAKeyFile)) {
				t.Fatal("CA files changed")
			}
		})
	}
}

// TestInspectReportsBadCA: status and doctor read Inspect. Validity and
// CertSign are problems (✗); missing or public-suffix constraints are
// warnings, never a silent ✓.
func TestInspectReportsBadCA(t *testing.T) {
	for name, bad := range badCAs {
		t.Run(name, func(t *testing.T) {
			s := newStore(t)
			writeCA(t, s, bad.mutate)
			ca := s.Inspect(time.Now()).CA
			all := strings.Join(append(append([]string(nil), ca.Problems...), ca.Warnings...), "\n")
			if !strings.Contains(all, bad.says) || !strings.Contains(all, "start a new CA") {
				t.Fatalf("problems %q warnings %q", ca.Problems, ca.Warnings)
			}
			constraintCase := name == "unconstrained" || strings.HasPrefix(name, "permits ")
			if constraintCase && (len(ca.Warnings) == 0 || len(ca.Problems) != 0) {
				t.Fatalf("want a warning only: problems %q warnings %q", ca.Problems, ca.Warnings)
			}
			if !constraintCase && ca.OK() {
				t.Fatalf("a %s CA is OK: %+v", name, ca)
			}
		})
	}
}

// TestLoadUsableCARefusesWhatIsNotTheCA: appended certificates, a foreign
// CA or a leaf over rootCA.crt are refused with the file; what passes is
// exactly one certificate, re-encoded.
func TestLoadUsableCARefusesWhatIsNotTheCA(t *testing.T) {
	s := newStore(t)
	ensure(t, s, Options{})
	crt := read(t, s, CACertFile)
	foreign := policyCA(t, Names{})
	cases := map[string][]byte{
		"second certificate appended": append(append([]byte(nil), crt...), foreign.CertPEM...),
		"foreign CA":                  foreign.CertPEM,
		"leaf over rootCA.crt":        read(t, s, ServerCertFile),
		"trailing text":               append(append([]byte(nil), crt...), "junk\n"...),
	}
	for name, data := range cases {
		writeFile(t, s.Path(CACertFile), data, 0o644)
		_, err := s.LoadUsableCA(time.Now())
		if err == nil || !strings.Contains(err.Error(), s.Path(CACertFile)) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	writeFile(t, s.Path(CACertFile), append([]byte("\n"), crt...), 0o644)
	ca, err := s.LoadUsableCA(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if certs, err := ParseCertsPEM(ca.CertPEM); err != nil || len(certs) != 1 || !bytes.Equal(ca.CertPEM, crt) {
		t.Fatalf("re-encoded CA: %d certs, %v", len(certs), err)
	}
}

// TestLeafNeverOutlivesCA: a CA with 100 days left gets a server
// certificate that ends with it (and says so), verified by Go and OpenSSL;
// the next init does not reissue it every time.
func TestLeafNeverOutlivesCA(t *testing.T) {
	s := newStore(t)
	caEnd := time.Now().Add(100 * 24 * time.Hour).UTC().Truncate(time.Second)
	certPEM, _ := writeCA(t, s, func(c *x509.Certificate) { c.NotAfter = caEnd })
	res := ensure(t, s, Options{})
	leaf := certOf(t, s, ServerCertFile)
	if leaf.NotAfter.After(caEnd) {
		t.Fatalf("leaf ends %s, after its CA (%s)", leaf.NotAfter, caEnd)
	}
	if len(res.Warnings) == 0 || !strings.Contains(res.Warnings[0], "the CA expires on") {
		t.Fatalf("no warning: %q", res.Warnings)
	}
	if out, ok := opensslVerify(t, certPEM, read(t, s, ServerCertFile), "localhost"); !ok {
		t.Fatalf("openssl: %s", out)
	}
	if res := ensure(t, s, Options{}); res.LeafIssued {
		t.Fatalf("reissued a leaf that cannot last longer: %s", res.LeafReason)
	}
	// 80 days on, inside the renewal window, still no churn; once the CA
	// has expired, init stops with the new-CA fix.
	later := time.Now().Add(80 * 24 * time.Hour)
	if res := ensure(t, s, Options{Now: func() time.Time { return later }}); res.LeafIssued {
		t.Fatalf("reissued at +80 days: %s", res.LeafReason)
	}
	after := caEnd.Add(time.Hour)
	var ue *UnusableCAError
	if _, err := s.Ensure(context.Background(), Options{Now: func() time.Time { return after }}, nil); !errors.As(err, &ue) {
		t.Fatalf("expired CA: %v", err)
	}
}
