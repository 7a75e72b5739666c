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
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/pki"
	"github.com/esbtui/esbtui/trust"
)

// writeServerCertWithSANs replaces server.crt with a certificate naming
// sans: what an attacker who can write the cert dir (or a hostile issuer)
// would put there.
func writeServerCertWithSANs(t *testing.T, certDir string, sans ...string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "x"}, DNSNames: sans,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(certDir, pki.ServerCertFile), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTrustNamesComeFromConfig: a server certificate whose SAN is
// ../../../../tmp/x never becomes a path: the certs.d entries are made for
// the configured registry address, the default names and esb.yaml's names
// only, each checked as a host name.
func TestTrustNamesComeFromConfig(t *testing.T) {
	e := newTestEnv(t)
	root := os.Getenv(EnvTrustRoot)
	if err := os.MkdirAll(filepath.Join(root, "etc/docker"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeServerCertWithSANs(t, e.Cfg.CertDir, "../../../../tmp/x", "from-cert.test")
	e.Cfg.Names = []string{"dev.test", "*.dev.test"}
	tp, err := e.PlanTrust(context.Background(), trust.OpInstall, []string{"docker"})
	if err != nil {
		t.Fatal(err)
	}
	if len(tp.Items) != 1 || tp.Items[0].Plan == nil {
		t.Fatalf("docker plan: %+v", tp.Items)
	}
	base := filepath.Join(root, "etc/docker/certs.d")
	var dirs []string
	for _, f := range tp.Items[0].Plan.Files() {
		if filepath.Dir(filepath.Dir(f)) != base {
			t.Errorf("planned %s, outside %s", f, base)
		}
		dirs = append(dirs, filepath.Base(filepath.Dir(f)))
	}
	want := []string{"esb-registry:5000", "host.docker.internal:5000", "dev.test:5000"}
	if !slices.Equal(dirs, want) {
		t.Fatalf("certs.d entries planned for %q, want %q (from the configuration, not the certificate)", dirs, want)
	}
}

// TestTrustInstallRecordsTheCA: an install records the CA's fingerprint in
// ESB_HOME (0600), the record later uninstalls go by.
func TestTrustInstallRecordsTheCA(t *testing.T) {
	e := newTestEnv(t)
	if _, err := e.ApplyTrust(context.Background(), trust.OpInstall, []string{"system"}, progress.Discard); err != nil {
		t.Fatal(err)
	}
	ca, err := e.Certs.LoadCA()
	if err != nil {
		t.Fatal(err)
	}
	rec := e.trustRecord()
	fi, err := os.Stat(rec.Path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", rec.Path, fi.Mode().Perm())
	}
	got, err := rec.Read()
	if err != nil || !slices.Contains(got, trust.Fingerprint(ca.Cert)) {
		t.Fatalf("record after install: %q %v, want %s", got, err, trust.Fingerprint(ca.Cert))
	}
	cfg, err := e.TrustConfig()
	if err != nil || !slices.Contains(cfg.Installed, trust.Fingerprint(ca.Cert)) {
		t.Fatalf("trust config does not carry the record: %v %v", cfg, err)
	}
	if err := os.WriteFile(rec.Path, []byte(strings.Repeat("x", 10)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := e.PlanTrust(context.Background(), trust.OpUninstall, nil); err == nil || !strings.Contains(err.Error(), rec.Path) {
		t.Fatalf("a corrupt record: %v, want an error naming %s", err, rec.Path)
	}
}
