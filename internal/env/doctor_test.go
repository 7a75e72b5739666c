package env

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esbtui/esbtui/internal/config"
	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/internal/testutil"
	"github.com/esbtui/esbtui/pki"
	"github.com/esbtui/esbtui/trust"
)

// newTestEnv makes an Env with a fresh certificate store in a temp ESB_HOME
// and every trust store in a sandbox (ESB_TRUST_ROOT), never the machine's.
func newTestEnv(t *testing.T) *Env {
	t.Helper()
	t.Setenv(EnvTrustRoot, testutil.DebianTrustSandbox(t))
	e := New(config.FromHome(t.TempDir()))
	t.Cleanup(func() { e.Close() })
	if _, err := e.InitCerts(context.Background(), pki.Options{}, progress.Discard); err != nil {
		t.Fatal(err)
	}
	return e
}

// serveRegistryAPI starts a real HTTPS server on 127.0.0.1 presenting the
// store's server certificate and answering /v2/ like a registry.
func serveRegistryAPI(t *testing.T, certDir string) string {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(filepath.Join(certDir, pki.ServerChainFile), filepath.Join(certDir, pki.ServerKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Docker-Distribution-Api-Version", "registry/2.0")
		w.Write([]byte("{}"))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	return "localhost:" + port
}

// bundleWith writes a system bundle holding the given PEM files, the way
// update-ca-certificates concatenates them, and points SSL_CERT_FILE at it.
func bundleWith(t *testing.T, pems ...string) {
	t.Helper()
	var all []byte
	for _, p := range pems {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	f := filepath.Join(t.TempDir(), "ca-certificates.crt")
	os.WriteFile(f, all, 0o644)
	t.Setenv("SSL_CERT_FILE", f)
}

func statusOf(r DoctorReport, name string) Check {
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	return Check{}
}

func TestDoctorHealthyTLSChain(t *testing.T) {
	e := newTestEnv(t)
	e.Cfg.Registry = serveRegistryAPI(t, e.Cfg.CertDir)
	// Trust the CA in the sandboxed Debian store with the real
	// update-ca-certificates, and verify against the bundle it generated.
	if _, err := e.ApplyTrust(context.Background(), trust.OpInstall, []string{"system"}, progress.Discard); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSL_CERT_FILE", filepath.Join(os.Getenv(EnvTrustRoot), "etc/ssl/certs/ca-certificates.crt"))
	r := e.Doctor(context.Background())
	for _, n := range []string{"root CA", "server certificate", "trust: system", "TLS to registry (system roots)", "registry API /v2/"} {
		if c := statusOf(r, n); c.Status != CheckOK {
			t.Errorf("%s: %+v", n, c)
		}
	}
}

func TestDoctorCANotInSystemStore(t *testing.T) {
	e := newTestEnv(t)
	e.Cfg.Registry = serveRegistryAPI(t, e.Cfg.CertDir)
	other := t.TempDir()
	pki.NewStore(other).Ensure(context.Background(), pki.Options{}, nil)
	bundleWith(t, filepath.Join(other, pki.CACertFile)) // a bundle without our CA
	r := e.Doctor(context.Background())
	f, ok := r.FirstFailure()
	if !ok || f.Name != "trust: system" || f.Fix != "esbtui trust install --store system" {
		t.Fatalf("first failure %+v", f)
	}
	if c := statusOf(r, "TLS to registry (system roots)"); c.Status != CheckFail || c.Fix != "esbtui trust install" || !strings.Contains(c.Why, "does not trust our CA") {
		t.Fatalf("TLS check %+v", c)
	}
	if c := statusOf(r, "registry API /v2/"); c.Status != CheckSkipped {
		t.Errorf("/v2/ after a TLS failure: %+v", c)
	}
}

func TestDoctorForeignCertificate(t *testing.T) {
	e := newTestEnv(t)
	other := newTestEnv(t)
	e.Cfg.Registry = serveRegistryAPI(t, other.Cfg.CertDir) // serves another CA's cert
	bundleWith(t, e.Certs.Path(pki.CACertFile))
	if c := statusOf(e.Doctor(context.Background()), "TLS to registry (system roots)"); c.Status != CheckFail || !strings.Contains(c.Why, "not issued by our CA") {
		t.Fatalf("TLS check %+v", c)
	}
}

func TestDoctorNoCAAndExpired(t *testing.T) {
	t.Setenv(EnvTrustRoot, t.TempDir())
	e := New(config.FromHome(t.TempDir()))
	f, ok := e.Doctor(context.Background()).FirstFailure()
	if !ok || f.Name != "root CA" || f.Fix != "esbtui init" {
		t.Fatalf("no CA: %+v", f)
	}
	e = newTestEnv(t)
	e.Now = func() time.Time { return time.Now().Add(250 * 24 * time.Hour) }
	f, ok = e.Doctor(context.Background()).FirstFailure()
	if !ok || f.Name != "server certificate" || !strings.Contains(f.Why, "expired") || f.Fix != "esbtui cert rotate" {
		t.Fatalf("expired: %+v", f)
	}
}

func TestDoctorNothingListening(t *testing.T) {
	e := newTestEnv(t)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	e.Cfg.Registry = addr
	if c := statusOf(e.Doctor(context.Background()), "TLS to registry (system roots)"); c.Status != CheckFail || !strings.Contains(c.Why, "nothing answers") || !strings.Contains(c.Fix, "esbtui up") {
		t.Fatalf("%+v", c)
	}
}

// TestRegistryClientFollowsTheCA: a client made before `init` must trust the
// CA init creates (a dashboard started on a fresh machine).
func TestRegistryClientFollowsTheCA(t *testing.T) {
	t.Setenv(EnvTrustRoot, testutil.DebianTrustSandbox(t))
	e := New(config.FromHome(t.TempDir()))
	defer e.Close()
	before, err := e.Registry()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.InitCerts(context.Background(), pki.Options{}, progress.Discard); err != nil {
		t.Fatal(err)
	}
	e.Cfg.Registry = serveRegistryAPI(t, e.Cfg.CertDir)
	after, err := e.Registry()
	if err != nil {
		t.Fatal(err)
	}
	if after == before {
		t.Fatal("the registry client was not renewed after the CA appeared")
	}
	if _, err := after.Probe(context.Background(), e.Cfg.Registry); err != nil {
		t.Fatalf("probe with the new CA: %v", err)
	}
}
