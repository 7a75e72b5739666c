package trust

import (
	"context"
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/pki"
)

// testPKI is a CA made by pki in a temp dir: the material trust receives.
type testPKI struct {
	dir string
	ca  CA
}

var (
	pkiOnce  sync.Once
	pkiPair  [2]*testPKI
	pkiErr   error
	pkiRoot  string
	pkiMutex sync.Mutex
)

// testCAs returns two CAs made by pki on this machine (same subject, so the
// first is a stale CA for the second), created once per test binary.
func testCAs(t testing.TB) (*testPKI, *testPKI) {
	t.Helper()
	pkiMutex.Lock()
	defer pkiMutex.Unlock()
	pkiOnce.Do(func() {
		pkiRoot, pkiErr = os.MkdirTemp("", "esbtui-trust-pki-")
		if pkiErr != nil {
			return
		}
		for i := range pkiPair {
			dir := filepath.Join(pkiRoot, []string{"a", "b"}[i])
			st := pki.NewStore(dir)
			if _, pkiErr = st.Ensure(context.Background(), pki.Options{}, progress.Discard); pkiErr != nil {
				return
			}
			var ca *pki.CA
			if ca, pkiErr = st.LoadCA(); pkiErr != nil {
				return
			}
			pkiPair[i] = &testPKI{dir: dir, ca: CA{Cert: ca.Cert, PEM: ca.CertPEM, File: st.Path(pki.CACertFile)}}
		}
	})
	if pkiErr != nil {
		t.Fatalf("make test CAs with pki: %v", pkiErr)
	}
	return pkiPair[0], pkiPair[1]
}

func TestMain(m *testing.M) {
	if h := os.Getenv(helperEnv); h != "" {
		os.Exit(runHelper(h))
	}
	code := m.Run()
	if pkiRoot != "" {
		os.RemoveAll(pkiRoot)
	}
	os.Exit(code)
}

// helperEnv makes the test binary act as a helper process (a verifier with
// its own SSL_CERT_FILE, or an install inside a read-only mount).
const helperEnv = "ESB_TRUST_TEST_HELPER"

func runHelper(kind string) int {
	switch kind {
	case "get":
		// Go's default client verifies with the system pool, which reads
		// SSL_CERT_FILE: this is what every Go tool on the machine sees.
		resp, err := http.Get(os.Getenv("ESB_TRUST_TEST_URL"))
		if err != nil {
			os.Stderr.WriteString(err.Error())
			return 1
		}
		resp.Body.Close()
		return 0
	case "readonly":
		return readOnlyHelper()
	case "sudo":
		return sudoHelper()
	}
	return 2
}

// tlsServer serves HTTPS on 127.0.0.1 with the server certificate pki
// issued for p, and returns https://localhost:PORT/.
func tlsServer(t *testing.T, p *testPKI) string {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(filepath.Join(p.dir, pki.ServerChainFile), filepath.Join(p.dir, pki.ServerKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler:   http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("{}")) }),
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}},
		ErrorLog:  log.New(io.Discard, "", 0),
	}
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close() })
	return "https://localhost:" + strings.TrimPrefix(ln.Addr().String(), "127.0.0.1:") + "/"
}

// goGet fetches url in a subprocess whose only roots are bundle.
func goGet(t *testing.T, bundle, url string) error {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=get", "ESB_TRUST_TEST_URL="+url,
		"SSL_CERT_FILE="+bundle, "SSL_CERT_DIR="+filepath.Join(t.TempDir(), "none"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return &ToolError{Argv: []string{"go-client", url}, ExitCode: cmd.ProcessState.ExitCode(), Stderr: string(out), Err: err}
	}
	return nil
}

// curlGet fetches url with curl trusting only bundle.
func curlGet(t *testing.T, bundle, url string) error {
	t.Helper()
	cmd := exec.Command("curl", "-fsS", "--max-time", "10", "--cacert", bundle, "--capath", filepath.Join(t.TempDir(), "none"), url)
	cmd.Env = append(os.Environ(), "CURL_CA_BUNDLE="+bundle)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return &ToolError{Argv: cmd.Args, ExitCode: cmd.ProcessState.ExitCode(), Stderr: string(out), Err: err}
	}
	return nil
}

func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func mkdirs(t testing.TB, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// debianRoot builds a sandbox Debian tree: the machine's os-release,
// ca-certificates.conf and Mozilla certificates, empty local and etc dirs
// and an empty hooks dir (so Debian's Java hook never touches the machine).
func debianRoot(t testing.TB) string {
	t.Helper()
	r := t.TempDir()
	copyFile(t, "/etc/os-release", filepath.Join(r, "etc/os-release"))
	copyFile(t, "/etc/ca-certificates.conf", filepath.Join(r, "etc/ca-certificates.conf"))
	mkdirs(t, filepath.Join(r, "etc/ssl/certs"), filepath.Join(r, "usr/local/share/ca-certificates"),
		filepath.Join(r, "etc/ca-certificates/update.d"), filepath.Join(r, "usr/share"))
	if err := os.Symlink("/usr/share/ca-certificates", filepath.Join(r, "usr/share/ca-certificates")); err != nil {
		t.Fatal(err)
	}
	return r
}

func stepsOf(p Plan) []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, strings.Join(strings.Fields(s.String()), " "))
	}
	return out
}

func equalLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s:\n got:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}
