package flows

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esbtui/esbtui/internal/config"
	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/pki"
	"github.com/esbtui/esbtui/trust"
)

// anchorFiles lists the CA files the sandboxed system store holds.
func anchorFiles(t *testing.T, e *Env) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(e.Cfg.TrustRoot, "usr/local/share/ca-certificates", "*"))
	return m
}

// TestTrustInstallsExactlyTheVerifiedCA: whatever sits in rootCA.crt besides
// esbtui's own CA (an appended certificate, a foreign CA, a leaf, an
// expired CA) is refused before any store is planned, naming the file;
// the clean CA installs as exactly one certificate, through the real
// update-ca-certificates in the sandbox.
func TestTrustInstallsExactlyTheVerifiedCA(t *testing.T) {
	e := newTestEnv(t)
	other := newTestEnv(t)
	caFile := e.Certs.Path(pki.CACertFile)
	good, _ := os.ReadFile(caFile)
	foreign, _ := os.ReadFile(other.Certs.Path(pki.CACertFile))
	leaf, _ := os.ReadFile(e.Certs.Path(pki.ServerCertFile))
	cases := map[string][]byte{
		"a second certificate appended": append(append([]byte(nil), good...), foreign...),
		"a foreign CA":                  foreign,
		"a leaf":                        leaf,
	}
	for name, data := range cases {
		if err := os.WriteFile(caFile, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := e.PlanTrust(context.Background(), trust.OpInstall, []string{"system"})
		if err == nil || !strings.Contains(err.Error(), caFile) {
			t.Errorf("%s: planned (err %v)", name, err)
		}
		if _, err := e.ApplyTrust(context.Background(), trust.OpInstall, []string{"system"}, progress.Discard); err == nil {
			t.Errorf("%s: installed", name)
		}
		if got := anchorFiles(t, e); len(got) != 0 {
			t.Fatalf("%s: anchors written: %v", name, got)
		}
	}
	if err := os.WriteFile(caFile, good, 0o644); err != nil {
		t.Fatal(err)
	}
	e.Now = func() time.Time { return time.Now().AddDate(11, 0, 0) }
	if _, err := e.PlanTrust(context.Background(), trust.OpInstall, []string{"system"}); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired CA planned (err %v)", err)
	}
	e.Now = time.Now
	if _, err := e.ApplyTrust(context.Background(), trust.OpInstall, []string{"system"}, progress.Discard); err != nil {
		t.Fatal(err)
	}
	anchors := anchorFiles(t, e)
	if len(anchors) != 1 {
		t.Fatalf("anchors: %v", anchors)
	}
	data, _ := os.ReadFile(anchors[0])
	if certs, err := pki.ParseCertsPEM(data); err != nil || len(certs) != 1 || strings.Count(string(data), "BEGIN") != 1 {
		t.Fatalf("anchor holds %d certificates (%v)", len(certs), err)
	}
	// Once the CA has expired it cannot be installed again, but it can be
	// taken out: uninstall loads the same single certificate without the
	// validity check.
	e.Now = func() time.Time { return time.Now().AddDate(11, 0, 0) }
	if _, err := e.ApplyTrust(context.Background(), trust.OpUninstall, []string{"system"}, progress.Discard); err != nil {
		t.Fatalf("uninstall of the expired CA: %v", err)
	}
	if got := anchorFiles(t, e); len(got) != 0 {
		t.Fatalf("anchor left after uninstall: %v", got)
	}
}

// writeUnconstrainedCA puts a CA without name constraints (what mkcert or
// an old tool makes) and its key into the store.
func writeUnconstrainedCA(t *testing.T, s *pki.Store) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "someone else's dev CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().AddDate(5, 0, 0),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	os.MkdirAll(s.Dir, 0o700)
	os.WriteFile(s.Path(pki.CAKeyFile), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600)
	os.WriteFile(s.Path(pki.CACertFile), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

// TestDoctorWarnsOnUnconstrainedCA: a CA without name constraints is never
// a ✓ ("name-constrained to 0 local names"); init refuses to sign with it.
func TestDoctorWarnsOnUnconstrainedCA(t *testing.T) {
	t.Setenv(EnvTrustRoot, t.TempDir())
	e := New(sandboxConfig(t.TempDir()))
	t.Cleanup(func() { e.Close() })
	writeUnconstrainedCA(t, e.Certs)
	c := statusOf(e.Doctor(context.Background(), progress.Discard), "root CA")
	if c.Status != CheckWarn || !strings.Contains(c.Why, "not name-constrained") {
		t.Fatalf("root CA check: %+v", c)
	}
	_, err := e.InitCerts(context.Background(), pki.Options{}, progress.Discard)
	if err == nil || !strings.Contains(err.Error(), e.Certs.Path(pki.CACertFile)) || !strings.Contains(err.Error(), "start a new CA") {
		t.Fatalf("init: %v", err)
	}
}

// TestDoctorFailsOnExpiredCA: the fix names a new CA, not a backup of the
// expired one.
func TestDoctorFailsOnExpiredCA(t *testing.T) {
	e := newTestEnv(t)
	e.Now = func() time.Time { return time.Now().AddDate(11, 0, 0) }
	c := statusOf(e.Doctor(context.Background(), progress.Discard), "root CA")
	if c.Status != CheckFail || !strings.Contains(c.Why, "expired") || !strings.Contains(c.Why, "start a new CA") {
		t.Fatalf("root CA check: %+v", c)
	}
}

// TestProjectFileNamesErrorsNameTheLine: a public suffix in esb.yaml's
// names stops init with esb.yaml:LINE, before any CA is made.
func TestProjectFileNamesErrorsNameTheLine(t *testing.T) {
	t.Setenv(EnvTrustRoot, t.TempDir())
	path := filepath.Join(t.TempDir(), "esb.yaml")
	pf, err := config.ParseProjectFile(path, []byte("registry: localhost:5000\nnames:\n  - api.test\n  - com\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := sandboxConfig(t.TempDir())
	cfg.Names, cfg.NameOrigins = pf.Names, pf.NameOrigins
	e := New(cfg)
	t.Cleanup(func() { e.Close() })
	_, err = e.InitCerts(context.Background(), pki.Options{}, progress.Discard)
	if err == nil || !strings.Contains(err.Error(), path+":4") || !strings.Contains(err.Error(), "public suffix") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(e.Certs.Path(pki.CAKeyFile)); err == nil {
		t.Fatal("a CA was created")
	}
}

// TestCAPoolTrustsOnlyTheCA: the pool `up` and auth rotation verify the
// registry with refuses a rootCA.crt with another CA appended (that CA's
// server certificate would otherwise pass).
func TestCAPoolTrustsOnlyTheCA(t *testing.T) {
	e := newTestEnv(t)
	other := newTestEnv(t)
	caFile := e.Certs.Path(pki.CACertFile)
	mine, _ := os.ReadFile(caFile)
	foreign, _ := os.ReadFile(other.Certs.Path(pki.CACertFile))
	if err := os.WriteFile(caFile, append(append([]byte(nil), mine...), foreign...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := e.CAPool(); err == nil || !strings.Contains(err.Error(), caFile) {
		t.Fatalf("CAPool with a foreign CA appended: %v", err)
	}
	if err := os.WriteFile(caFile, mine, 0o644); err != nil {
		t.Fatal(err)
	}
	pool, err := e.CAPool()
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := pki.ParseCertPEM(mustReadFile(t, other.Certs.Path(pki.ServerCertFile)))
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool}); err == nil {
		t.Fatal("another CA's server certificate verifies against the pool")
	}
}

func mustReadFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
