package pki

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"io/fs"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esbtui/esbtui/internal/progress"
)

func ensure(t *testing.T, s *Store, o Options) *Result {
	t.Helper()
	res, err := s.Ensure(context.Background(), o, progress.Discard)
	if err != nil {
		t.Fatalf("Ensure: %v", err)
	}
	return res
}

func read(t *testing.T, s *Store, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(s.Path(name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func certOf(t *testing.T, s *Store, name string) *x509.Certificate {
	t.Helper()
	c, err := ParseCertPEM(read(t, s, name))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newStore(t *testing.T) *Store {
	t.Helper()
	return NewStore(filepath.Join(t.TempDir(), "certs"))
}

func TestEnsureCreatesCleanCA(t *testing.T) {
	s := newStore(t)
	res := ensure(t, s, Options{})
	if !res.CACreated || !res.LeafIssued || res.LeafReason != "missing" {
		t.Fatalf("result = %+v", res)
	}
	ca := certOf(t, s, CACertFile)
	if !ca.IsCA || ca.MaxPathLen != -1 && !(ca.MaxPathLen == 0 && !ca.MaxPathLenZero) {
		t.Errorf("basic constraints: IsCA=%v MaxPathLen=%d", ca.IsCA, ca.MaxPathLen)
	}
	if got := KeyDescription(ca.PublicKey); got != "RSA 4096" {
		t.Errorf("CA key = %s", got)
	}
	if ca.SignatureAlgorithm != x509.SHA256WithRSA {
		t.Errorf("CA signature = %v", ca.SignatureAlgorithm)
	}
	if ca.KeyUsage != x509.KeyUsageCertSign|x509.KeyUsageCRLSign {
		t.Errorf("CA key usage = %v", ca.KeyUsage)
	}
	if len(ca.ExtKeyUsage) != 0 {
		t.Errorf("CA has EKU %v", ca.ExtKeyUsage)
	}
	if years := ca.NotAfter.Sub(ca.NotBefore).Hours() / 24 / 365.25; years < 9.99 || years > 10.01 {
		t.Errorf("CA validity %.2f years", years)
	}
	if d := time.Since(ca.NotBefore); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("CA notBefore %v ago, want 1h", d)
	}
	if ca.SerialNumber.Cmp(new(big.Int).Lsh(big.NewInt(1), 64)) < 0 || ca.SerialNumber.Sign() <= 0 {
		t.Errorf("serial %v too small", ca.SerialNumber)
	}
	if len(ca.SubjectKeyId) != 20 || !bytes.Equal(ca.SubjectKeyId, ca.AuthorityKeyId) {
		t.Errorf("SKI %x AKI %x", ca.SubjectKeyId, ca.AuthorityKeyId)
	}
	if len(ca.Subject.Country) != 1 || len(ca.Subject.Organization) != 1 || !strings.Contains(ca.Subject.CommonName, "@") {
		t.Errorf("subject %v", ca.Subject)
	}
	critical := map[string]bool{}
	for _, e := range ca.Extensions {
		critical[e.Id.String()] = e.Critical
	}
	for oid, name := range map[string]string{"2.5.29.15": "KeyUsage", "2.5.29.19": "BasicConstraints", "2.5.29.30": "NameConstraints"} {
		if c, ok := critical[oid]; !ok || !c {
			t.Errorf("%s present=%v critical=%v", name, ok, c)
		}
	}
	leaf := certOf(t, s, ServerCertFile)
	if leaf.NotAfter.Sub(leaf.NotBefore) >= 199*24*time.Hour {
		t.Errorf("leaf validity %v exceeds 199 days", leaf.NotAfter.Sub(leaf.NotBefore))
	}
	if len(leaf.Subject.Names) != 0 {
		t.Errorf("leaf subject %v, want empty", leaf.Subject)
	}
	for _, e := range leaf.Extensions {
		if e.Id.Equal(asn1.ObjectIdentifier{2, 5, 29, 17}) && !e.Critical {
			t.Error("SAN must be critical with an empty subject")
		}
	}
	if leaf.IsCA || leaf.KeyUsage != x509.KeyUsageDigitalSignature || len(leaf.ExtKeyUsage) != 1 || leaf.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth {
		t.Errorf("leaf usage: IsCA=%v KU=%v EKU=%v", leaf.IsCA, leaf.KeyUsage, leaf.ExtKeyUsage)
	}
	if !bytes.Equal(leaf.AuthorityKeyId, ca.SubjectKeyId) {
		t.Error("leaf AKI != CA SKI")
	}
	if got := KeyDescription(leaf.PublicKey); got != "ECDSA P-256" {
		t.Errorf("leaf key = %s", got)
	}
	want := []string{"localhost", "esb-registry", "host.docker.internal", "esb-gateway"}
	for _, w := range want {
		if !strings.Contains(strings.Join(leaf.DNSNames, ","), w) {
			t.Errorf("SAN misses %s: %v", w, leaf.DNSNames)
		}
	}
	if len(leaf.IPAddresses) != 2 {
		t.Errorf("IP SANs %v", leaf.IPAddresses)
	}
	chain := read(t, s, ServerChainFile)
	certs, err := ParseCertsPEM(chain)
	if err != nil || len(certs) != 2 || !certs[1].Equal(ca) || !certs[0].Equal(leaf) {
		t.Errorf("server-chain.crt: %d certs, err %v", len(certs), err)
	}
}

func TestPermissions(t *testing.T) {
	s := newStore(t)
	ensure(t, s, Options{})
	want := map[string]fs.FileMode{CAKeyFile: 0o600, ServerKeyFile: 0o600, CACertFile: 0o644, ServerCertFile: 0o644, ServerChainFile: 0o644}
	for name, mode := range want {
		st, err := os.Stat(s.Path(name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != mode {
			t.Errorf("%s mode %#o, want %#o", name, st.Mode().Perm(), mode)
		}
	}
	st, _ := os.Stat(s.Dir)
	if st.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %#o", st.Mode().Perm())
	}
	left, _ := filepath.Glob(filepath.Join(s.Dir, "*.pending"))
	tmps, _ := filepath.Glob(filepath.Join(s.Dir, ".*tmp-*"))
	if len(left)+len(tmps) != 0 {
		t.Errorf("leftover temp files: %v %v", left, tmps)
	}
}

func TestIdempotent(t *testing.T) {
	s := newStore(t)
	ensure(t, s, Options{})
	before := map[string][]byte{}
	for _, n := range []string{CAKeyFile, CACertFile, ServerKeyFile, ServerCertFile} {
		before[n] = read(t, s, n)
	}
	res := ensure(t, s, Options{})
	if res.CACreated || res.LeafIssued {
		t.Fatalf("second run changed something: %+v", res)
	}
	for n, b := range before {
		if !bytes.Equal(b, read(t, s, n)) {
			t.Errorf("%s changed on a second run", n)
		}
	}
}

func TestReissueReasons(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(t *testing.T, s *Store) Options
		reason string
	}{
		{"expiring", func(t *testing.T, s *Store) Options {
			return Options{Now: func() time.Time { return time.Now().Add(180 * 24 * time.Hour) }}
		}, "expires in"},
		{"expired", func(t *testing.T, s *Store) Options {
			return Options{Now: func() time.Time { return time.Now().Add(300 * 24 * time.Hour) }}
		}, "expired on"},
		{"new name", func(t *testing.T, s *Store) Options { return Options{Names: []string{"api.test"}} }, "does not cover api.test"},
		{"key type", func(t *testing.T, s *Store) Options { return Options{KeyType: KeyRSA2048} }, "requested"},
		{"key mismatch", func(t *testing.T, s *Store) Options {
			other := newStore(t)
			ensure(t, other, Options{})
			writeFile(t, s.Path(ServerKeyFile), read(t, other, ServerKeyFile), 0o600)
			return Options{}
		}, "key does not match"},
		{"other CA", func(t *testing.T, s *Store) Options {
			other := newStore(t)
			ensure(t, other, Options{})
			writeFile(t, s.Path(ServerKeyFile), read(t, other, ServerKeyFile), 0o600)
			writeFile(t, s.Path(ServerCertFile), read(t, other, ServerCertFile), 0o644)
			return Options{}
		}, "not signed by the current CA"},
		{"missing cert", func(t *testing.T, s *Store) Options {
			os.Remove(s.Path(ServerCertFile))
			return Options{}
		}, "missing"},
		{"garbage cert", func(t *testing.T, s *Store) Options {
			writeFile(t, s.Path(ServerCertFile), []byte("garbage"), 0o644)
			return Options{}
		}, "not a readable certificate"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			ensure(t, s, Options{})
			caBefore := read(t, s, CACertFile)
			o := tc.mutate(t, s)
			res := ensure(t, s, o)
			if !res.LeafIssued || !strings.Contains(res.LeafReason, tc.reason) {
				t.Fatalf("reason %q, want %q (issued=%v)", res.LeafReason, tc.reason, res.LeafIssued)
			}
			if !bytes.Equal(caBefore, read(t, s, CACertFile)) {
				t.Fatal("CA changed")
			}
			now := time.Now()
			if o.Now != nil {
				now = o.Now()
			}
			if r := s.Inspect(now); !r.Server.OK() {
				t.Fatalf("after reissue: %v", r.Server.Problems)
			}
		})
	}
}

func TestRotateKeepsExtraNames(t *testing.T) {
	s := newStore(t)
	ensure(t, s, Options{Names: []string{"api.test", "10.1.2.3"}})
	oldKey := read(t, s, ServerKeyFile)
	res, err := s.Rotate(context.Background(), Options{}, progress.Discard)
	if err != nil || !res.LeafIssued || res.LeafReason != "rotation requested" {
		t.Fatalf("rotate: %+v %v", res, err)
	}
	if bytes.Equal(oldKey, read(t, s, ServerKeyFile)) {
		t.Error("rotate kept the old key")
	}
	leaf := certOf(t, s, ServerCertFile)
	if !strings.Contains(strings.Join(leaf.DNSNames, ","), "api.test") || !hasIP(leaf, "10.1.2.3") {
		t.Errorf("rotation dropped extra names: %v %v", leaf.DNSNames, leaf.IPAddresses)
	}
}

func hasIP(c *x509.Certificate, s string) bool {
	for _, ip := range c.IPAddresses {
		if ip.Equal(net.ParseIP(s)) {
			return true
		}
	}
	return false
}

func writeFile(t *testing.T, p string, b []byte, mode fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(p, b, mode); err != nil {
		t.Fatal(err)
	}
	os.Chmod(p, mode)
}

func TestCAIsNeverOverwritten(t *testing.T) {
	cases := []struct {
		name   string
		break_ func(s *Store)
		want   string
		check  string // file whose bytes must be unchanged
	}{
		{"corrupt cert", func(s *Store) {
			os.WriteFile(s.Path(CACertFile), []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0o644)
		}, "rootCA.crt", CAKeyFile},
		{"cert missing", func(s *Store) { os.Remove(s.Path(CACertFile)) }, "restore rootCA.crt", CAKeyFile},
		{"key missing", func(s *Store) { os.Remove(s.Path(CAKeyFile)) }, "rootCA.key is missing", CACertFile},
		{"corrupt key", func(s *Store) { os.WriteFile(s.Path(CAKeyFile), []byte("nope"), 0o600) }, "rootCA.key", CACertFile},
		{"key world-readable", func(s *Store) { os.Chmod(s.Path(CAKeyFile), 0o644) }, "chmod 600", CAKeyFile},
		{"key of another CA", func(s *Store) {
			o := NewStore(s.Dir + "-other")
			o.Ensure(context.Background(), Options{}, nil)
			b, _ := os.ReadFile(o.Path(CAKeyFile))
			os.WriteFile(s.Path(CAKeyFile), b, 0o600)
		}, "does not match", CACertFile},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			ensure(t, s, Options{})
			tc.break_(s)
			keep, _ := os.ReadFile(s.Path(tc.check))
			_, err := s.Ensure(context.Background(), Options{}, progress.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want mention of %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), s.Dir) {
				t.Errorf("error does not name the file: %v", err)
			}
			after, _ := os.ReadFile(s.Path(tc.check))
			if !bytes.Equal(keep, after) {
				t.Fatalf("%s was changed", tc.check)
			}
			if r := s.Inspect(time.Now()); r.OK() {
				t.Error("Inspect says OK for a broken CA")
			}
		})
	}
}

func TestServerKeyPermissionIsReported(t *testing.T) {
	s := newStore(t)
	ensure(t, s, Options{})
	os.Chmod(s.Path(ServerKeyFile), 0o640)
	_, err := s.Ensure(context.Background(), Options{}, progress.Discard)
	var pe *PermError
	if !errors.As(err, &pe) || pe.Path != s.Path(ServerKeyFile) {
		t.Fatalf("err = %v", err)
	}
}

func TestConcurrentEnsureMakesOneCA(t *testing.T) {
	s := newStore(t)
	var wg sync.WaitGroup
	results := make([]*Result, 6)
	errs := make([]error, 6)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i], errs[i] = NewStore(s.Dir).Ensure(context.Background(), Options{}, nil)
		}(i)
	}
	wg.Wait()
	created := 0
	for i, r := range results {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if r.CACreated {
			created++
		}
	}
	if created != 1 {
		t.Fatalf("%d CAs created", created)
	}
}

// TestConcurrentProcesses runs the test binary itself as several processes
// racing to init the same directory.
func TestConcurrentProcesses(t *testing.T) {
	if dir := os.Getenv("ESB_PKI_CHILD_DIR"); dir != "" {
		res, err := NewStore(dir).Ensure(context.Background(), Options{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.CACreated {
			os.WriteFile(filepath.Join(dir, "..", "created-"+strings.ReplaceAll(time.Now().String(), " ", "_")), nil, 0o600)
		}
		return
	}
	base := t.TempDir()
	dir := filepath.Join(base, "certs")
	var cmds []*exec.Cmd
	for range 4 {
		c := exec.Command(os.Args[0], "-test.run=^TestConcurrentProcesses$")
		c.Env = append(os.Environ(), "ESB_PKI_CHILD_DIR="+dir)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, c)
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	marks, _ := filepath.Glob(filepath.Join(base, "created-*"))
	if len(marks) != 1 {
		t.Fatalf("%d processes created a CA", len(marks))
	}
}

func TestRecoverInterruptedCA(t *testing.T) {
	// Simulate a kill between installing rootCA.key and rootCA.crt.
	s := newStore(t)
	os.MkdirAll(s.Dir, 0o700)
	certPEM, keyPEM, err := newCA(Names{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, s.Path(CAKeyFile), keyPEM, 0o600)
	writeFile(t, s.Path(CACertFile+pendingSuffix), certPEM, 0o644)
	res := ensure(t, s, Options{})
	if res.CACreated || !res.CARecovered {
		t.Fatalf("result %+v", res)
	}
	if !bytes.Equal(read(t, s, CACertFile), certPEM) {
		t.Fatal("recovered CA differs from the one whose key was installed")
	}
	// Simulate a kill before the key was installed: nothing was in use, a
	// fresh CA is made and the stale pending files are gone.
	s2 := newStore(t)
	os.MkdirAll(s2.Dir, 0o700)
	writeFile(t, s2.Path(CAKeyFile+pendingSuffix), keyPEM, 0o600)
	writeFile(t, s2.Path(CACertFile+pendingSuffix), certPEM, 0o644)
	res = ensure(t, s2, Options{})
	if !res.CACreated {
		t.Fatal("no CA created")
	}
	if m, _ := filepath.Glob(filepath.Join(s2.Dir, "*.pending")); len(m) != 0 {
		t.Errorf("pending files left: %v", m)
	}
}

func TestNameConstraints(t *testing.T) {
	s := newStore(t)
	ensure(t, s, Options{})
	ca, err := s.LoadCA()
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	verify := func(dns string, ip string) error {
		n := Names{}
		if dns != "" {
			n.DNS = []string{dns}
		}
		if ip != "" {
			n.IPs = []net.IP{net.ParseIP(ip)}
		}
		certPEM, _, err := issueLeaf(ca, n, KeyECDSAP256, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		c, _ := ParseCertPEM(certPEM)
		_, err = c.Verify(x509.VerifyOptions{Roots: pool})
		return err
	}
	for _, ok := range []string{"localhost", "a.localhost", "esb-registry", "x.test", "host.docker.internal", "printer.local"} {
		if err := verify(ok, ""); err != nil {
			t.Errorf("%s rejected: %v", ok, err)
		}
	}
	for _, bad := range []string{"example.com", "google.com", "localhost.com", "test"} {
		if err := verify(bad, ""); err == nil {
			t.Errorf("%s accepted: the CA must not sign for public names", bad)
		}
	}
	for _, ok := range []string{"127.0.0.1", "::1", "10.9.8.7", "192.168.1.1", "172.20.0.1"} {
		if err := verify("", ok); err != nil {
			t.Errorf("%s rejected: %v", ok, err)
		}
	}
	for _, bad := range []string{"8.8.8.8", "2001:4860::8888"} {
		if err := verify("", bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	// An existing CA refuses a public name with an actionable error...
	_, err = s.Ensure(context.Background(), Options{Names: []string{"dev.example.com"}}, nil)
	var npe *NotPermittedError
	if !errors.As(err, &npe) || !strings.Contains(err.Error(), "dev.example.com") {
		t.Fatalf("err = %v", err)
	}
	// ...while a new CA created with it permits exactly that name.
	s2 := newStore(t)
	ensure(t, s2, Options{Names: []string{"dev.example.com", "8.8.4.4"}})
	if r := s2.Inspect(time.Now()); !r.OK() {
		t.Fatalf("inspect: %+v", r.Server.Problems)
	}
	ca2, _ := s2.LoadCA()
	if notCovered(ca2.Cert, mustNames([]string{"other.example.com"})) == nil {
		t.Error("extra name widened the constraints beyond itself")
	}
}

func TestBadNames(t *testing.T) {
	for _, bad := range []string{"https://x.test", "x.test:5000", "a..b", "-a.test", "a b", "x.test/path"} {
		if _, err := ParseNames([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	n, err := ParseNames([]string{"API.Test.", "[::1]", "api.test", "*.svc.test"})
	if err != nil || len(n.DNS) != 2 || len(n.IPs) != 1 {
		t.Fatalf("%+v %v", n, err)
	}
}

// TestTLSHandshake serves HTTPS with the issued pair and connects as a client
// that trusts only our CA, by every default name.
func TestTLSHandshake(t *testing.T) {
	s := newStore(t)
	ensure(t, s, Options{})
	pair, err := tls.LoadX509KeyPair(s.Path(ServerChainFile), s.Path(ServerKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	srv.StartTLS()
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(read(t, s, CACertFile))
	for _, name := range []string{"localhost", "esb-registry", "host.docker.internal"} {
		cl := &http.Client{Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: name},
		}}
		resp, err := cl.Get("https://127.0.0.1:" + port + "/")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		resp.Body.Close()
	}
	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := cl.Get("https://127.0.0.1:" + port + "/")
	if err != nil {
		t.Fatalf("by IP: %v", err)
	}
	resp.Body.Close()
}

// TestOpenSSLVerifies checks the chain with a second, independent verifier.
func TestOpenSSLVerifies(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Fatal("openssl is needed (test/run installs it)")
	}
	s := newStore(t)
	ensure(t, s, Options{})
	out, err := exec.Command("openssl", "verify", "-x509_strict", "-purpose", "sslserver", "-verify_hostname", "esb-registry",
		"-CAfile", s.Path(CACertFile), s.Path(ServerCertFile)).CombinedOutput()
	if err != nil || !strings.Contains(string(out), ": OK") {
		t.Fatalf("openssl verify: %v\n%s", err, out)
	}
}

func TestInspectFreshAndExpiring(t *testing.T) {
	s := newStore(t)
	r := s.Inspect(time.Now())
	if r.OK() || r.CA.Present || !strings.Contains(strings.Join(r.CA.Problems, " "), "esbtui init") {
		t.Fatalf("fresh store: %+v", r.CA)
	}
	ensure(t, s, Options{})
	r = s.Inspect(time.Now().Add(180 * 24 * time.Hour))
	if !r.OK() || len(r.Server.Warnings) == 0 || r.Server.DaysLeft > 30 {
		t.Fatalf("expiring: ok=%v warnings=%v days=%d", r.OK(), r.Server.Warnings, r.Server.DaysLeft)
	}
	r = s.Inspect(time.Now().Add(400 * 24 * time.Hour))
	if r.OK() || r.Server.DaysLeft >= 0 {
		t.Fatalf("expired: %+v", r.Server)
	}
}

func TestCertFileWithKeyIsRejected(t *testing.T) {
	s := newStore(t)
	ensure(t, s, Options{})
	mixed := append(read(t, s, ServerKeyFile), read(t, s, ServerCertFile)...)
	if _, err := ParseCertPEM(mixed); err == nil {
		t.Fatal("a certificate file holding a private key was accepted")
	}
}

func (s *Store) nowForTest() time.Time { return time.Now() }

func errorsIsErrno(err error, target error) bool { return errors.Is(err, target) }

func TestTruncatedAndNonCA(t *testing.T) {
	s := newStore(t)
	ensure(t, s, Options{})
	key := read(t, s, CAKeyFile)
	crt := read(t, s, CACertFile)
	// A truncated CA certificate: error names the file, the key is untouched.
	writeFile(t, s.Path(CACertFile), crt[:len(crt)/2], 0o644)
	_, err := s.Ensure(context.Background(), Options{}, nil)
	if err == nil || !strings.Contains(err.Error(), s.Path(CACertFile)) {
		t.Fatalf("truncated CA cert: %v", err)
	}
	if !bytes.Equal(key, read(t, s, CAKeyFile)) {
		t.Fatal("CA key changed")
	}
	// A truncated CA key.
	writeFile(t, s.Path(CACertFile), crt, 0o644)
	writeFile(t, s.Path(CAKeyFile), key[:len(key)/2], 0o600)
	_, err = s.Ensure(context.Background(), Options{}, nil)
	if err == nil || !strings.Contains(err.Error(), s.Path(CAKeyFile)) {
		t.Fatalf("truncated CA key: %v", err)
	}
	writeFile(t, s.Path(CAKeyFile), key, 0o600)
	// A "CA" without CA:TRUE: use the server certificate as rootCA.crt.
	leaf := read(t, s, ServerCertFile)
	writeFile(t, s.Path(CACertFile), leaf, 0o644)
	_, err = s.Ensure(context.Background(), Options{}, nil)
	if err == nil || !strings.Contains(err.Error(), "not a CA certificate") {
		t.Fatalf("non-CA: %v", err)
	}
	if !bytes.Equal(leaf, read(t, s, CACertFile)) || !bytes.Equal(key, read(t, s, CAKeyFile)) {
		t.Fatal("files changed")
	}
}

func TestExportPKCS12WithKeytool(t *testing.T) {
	keytool, err := exec.LookPath("keytool")
	if err != nil {
		t.Fatal("keytool is needed (test/run installs a JRE)")
	}
	s := newStore(t)
	ensure(t, s, Options{})
	res, err := s.ExportPKCS12(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	pass := strings.TrimSpace(string(read(t, s, ServerP12PassFile)))
	for _, f := range []string{ServerP12File, ServerP12PassFile} {
		st, _ := os.Stat(s.Path(f))
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %#o", f, st.Mode().Perm())
		}
	}
	out, err := exec.Command(keytool, "-list", "-v", "-storetype", "PKCS12", "-keystore", res.KeyStore, "-storepass", pass).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "PrivateKeyEntry") || !strings.Contains(string(out), "Certificate chain length: 2") {
		t.Fatalf("keytool keystore: %v\n%s", err, out)
	}
	out, err = exec.Command(keytool, "-list", "-storetype", "PKCS12", "-keystore", res.TrustStore, "-storepass", res.TrustStorePassword).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "trustedCertEntry") {
		t.Fatalf("keytool truststore: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "PrivateKeyEntry") {
		t.Fatal("truststore holds a private key")
	}
}
