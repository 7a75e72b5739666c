package flows

import (
	"context"
	"crypto/tls"
	"crypto/x509"
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
	e := New(sandboxConfig(t.TempDir()))
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
// update-ca-certificates concatenates them, and points SSL_CERT_FILE at it
// (the process's, for in-process clients, and e's configuration).
func bundleWith(t *testing.T, e *Env, pems ...string) {
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
	useSystemBundle(t, e, f)
}

// useSystemBundle points SSL_CERT_FILE at f, in the process and in e's
// configuration (read once in config.Load in a real run).
func useSystemBundle(t *testing.T, e *Env, f string) {
	t.Setenv("SSL_CERT_FILE", f)
	if e.Cfg.RuntimeCAEnv == nil {
		e.Cfg.RuntimeCAEnv = map[string]string{}
	}
	e.Cfg.RuntimeCAEnv["SSL_CERT_FILE"] = f
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
	useSystemBundle(t, e, filepath.Join(os.Getenv(EnvTrustRoot), "etc/ssl/certs/ca-certificates.crt"))
	r := e.Doctor(context.Background(), progress.Discard)
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
	bundleWith(t, e, filepath.Join(other, pki.CACertFile)) // a bundle without our CA
	r := e.Doctor(context.Background(), progress.Discard)
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
	bundleWith(t, e, e.Certs.Path(pki.CACertFile))
	if c := statusOf(e.Doctor(context.Background(), progress.Discard), "TLS to registry (system roots)"); c.Status != CheckFail || !strings.Contains(c.Why, "not issued by our CA") {
		t.Fatalf("TLS check %+v", c)
	}
}

func TestDoctorNoCAAndExpired(t *testing.T) {
	t.Setenv(EnvTrustRoot, t.TempDir())
	e := New(sandboxConfig(t.TempDir()))
	f, ok := e.Doctor(context.Background(), progress.Discard).FirstFailure()
	if !ok || f.Name != "root CA" || f.Fix != "esbtui init" {
		t.Fatalf("no CA: %+v", f)
	}
	e = newTestEnv(t)
	e.Now = func() time.Time { return time.Now().Add(250 * 24 * time.Hour) }
	f, ok = e.Doctor(context.Background(), progress.Discard).FirstFailure()
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
	if c := statusOf(e.Doctor(context.Background(), progress.Discard), "TLS to registry (system roots)"); c.Status != CheckFail || !strings.Contains(c.Why, "nothing answers") || !strings.Contains(c.Fix, "esbtui up") {
		t.Fatalf("%+v", c)
	}
}

// TestRegistryClientFollowsTheCA: a client made before `init` must trust the
// CA init creates (a dashboard started on a fresh machine).
func TestRegistryClientFollowsTheCA(t *testing.T) {
	t.Setenv(EnvTrustRoot, testutil.DebianTrustSandbox(t))
	e := New(sandboxConfig(t.TempDir()))
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

// TestDoctorReportsEachLinkAsItGoes: the sink gets, for every link in chain
// order, one Start and then one terminal event naming the same link, the
// last one for the alerts; the terminal events agree with the report. The
// engine is out of reach (a socket nobody listens on), so the stack and
// probe links are skipped while the TLS links pass.
func TestDoctorReportsEachLinkAsItGoes(t *testing.T) {
	e := newTestEnv(t)
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(t.TempDir(), "no-engine.sock"))
	t.Setenv("DOCKER_CONTEXT", "")
	e.Cfg.Registry = serveRegistryAPI(t, e.Cfg.CertDir)
	bundleWith(t, e, e.Certs.Path(pki.CACertFile))
	var c progress.Collector
	r := e.Doctor(context.Background(), &c)
	links := []string{"root CA", "server certificate", "trust", "container engine", "engine certs.d", "stack services", "containers trust the CA", "TLS to registry (system roots)", "registry API /v2/", "probe push → pull → run", "alerts", "engine uses the mirror", "mirror reaches its upstream"}
	ev := c.Events()
	if len(ev) != 2*len(links) {
		t.Fatalf("%d events for %d links:\n%+v", len(ev), len(links), ev)
	}
	want := map[CheckStatus]progress.Status{CheckOK: progress.Done, CheckWarn: progress.Warning, CheckFail: progress.Failed, CheckSkipped: progress.Skipped}
	for i, name := range links {
		start, end := ev[2*i], ev[2*i+1]
		if start.Op != "doctor" || start.Step != name || start.Status != progress.Start || start.Time.IsZero() {
			t.Errorf("event %d: %+v, want the start of %q", 2*i, start, name)
		}
		if end.Op != "doctor" || end.Step != name || end.Status == progress.Start || end.Status == progress.Update {
			t.Errorf("event %d: %+v, want the end of %q", 2*i+1, end, name)
		}
		if end.Time.Before(start.Time) {
			t.Errorf("%s ended (%v) before it started (%v)", name, end.Time, start.Time)
		}
		if name == "trust" {
			if !strings.Contains(end.Message, "system ") {
				t.Errorf("trust's end does not name the stores: %+v", end)
			}
			continue
		}
		if name == "alerts" {
			// No metrics from this registry: every alert is unknown, not ok.
			if end.Status != progress.Skipped || !strings.Contains(end.Message, "storage skipped") {
				t.Errorf("alerts' end: %+v, want every alert skipped (unknown)", end)
			}
			continue
		}
		chk := statusOf(r, name)
		if end.Status != want[chk.Status] {
			t.Errorf("%s: event %s, report %s (%s)", name, end.Status, chk.Status, chk.Why)
		}
		if chk.Status == CheckFail {
			if !strings.Contains(end.Err, chk.Why) || (chk.Fix != "" && !strings.Contains(end.Err, chk.Fix)) {
				t.Errorf("%s: failed event %+v lacks why/fix of %+v", name, end, chk)
			}
		} else if end.Message != chk.Why {
			t.Errorf("%s: event message %q, report why %q", name, end.Message, chk.Why)
		}
	}
	for name, st := range map[string]progress.Status{"root CA": progress.Done, "container engine": progress.Failed, "stack services": progress.Skipped, "TLS to registry (system roots)": progress.Done, "probe push → pull → run": progress.Skipped} {
		for i := 1; i < len(ev); i += 2 {
			if ev[i].Step == name && ev[i].Status != st {
				t.Errorf("%s ended %s, want %s: %+v", name, ev[i].Status, st, ev[i])
			}
		}
	}
	if last := ev[len(ev)-1]; last.Step != "mirror reaches its upstream" {
		t.Errorf("last event %+v, want the last link's end", last)
	}
}

// TestDoctorTLSReadsTheSandboxBundle: under ESB_TRUST_ROOT (and no
// SSL_CERT_FILE/DIR) the TLS link verifies against the bundle inside the
// sandbox: failing before a sandboxed `trust install` (the sandbox has no
// bundle yet; the machine's is not read), ok right after it, in the same
// process.
func TestDoctorTLSReadsTheSandboxBundle(t *testing.T) {
	e := newTestEnv(t)
	t.Setenv("SSL_CERT_FILE", "")
	t.Setenv("SSL_CERT_DIR", "")
	e.Cfg.Registry = serveRegistryAPI(t, e.Cfg.CertDir)
	const tlsLink = "TLS to registry (system roots)"
	root := os.Getenv(EnvTrustRoot)
	before := statusOf(e.Doctor(context.Background(), progress.Discard), tlsLink)
	if before.Status != CheckFail || !strings.Contains(before.Why, "does not trust our CA") || !strings.Contains(before.Why, root) || before.Fix != "esbtui trust install" {
		t.Fatalf("TLS before the sandboxed install: %+v", before)
	}
	if _, err := e.ApplyTrust(context.Background(), trust.OpInstall, []string{"system"}, progress.Discard); err != nil {
		t.Fatal(err)
	}
	r := e.Doctor(context.Background(), progress.Discard)
	for _, n := range []string{"trust: system", tlsLink, "registry API /v2/"} {
		if c := statusOf(r, n); c.Status != CheckOK {
			t.Errorf("%s after the sandboxed install: %+v", n, c)
		}
	}
	// The machine's own bundle does not trust this fresh CA: the pass
	// above came from the sandbox.
	pool, err := freshSystemPool("", "", "")
	if err != nil {
		t.Fatal(err)
	}
	ca, err := e.Certs.LoadCA()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ca.Cert.Verify(x509.VerifyOptions{Roots: pool}); err == nil {
		t.Fatal("the machine's bundle trusts the test CA: the sandbox was not what made TLS pass")
	}
}

// sandboxConfig is config.FromHome with the trust root the test set in
// ESB_TRUST_ROOT (config.Load reads it; FromHome reads no environment), so
// no test reaches the machine's real trust stores.
func sandboxConfig(home string) config.Config {
	c := config.FromHome(home)
	c.TrustRoot = os.Getenv(EnvTrustRoot)
	return c
}
