package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// stackAEADSuites are the TLS 1.2 suites the stack's registry must offer,
// in compose.yaml's order (registryserver/tlsserver.go holds the same list).
var stackAEADSuites = []string{
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
}

// tlsDial handshakes with addr and returns the negotiated state.
func tlsDial(addr string, cfg *tls.Config) (tls.ConnectionState, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := (&tls.Dialer{Config: cfg}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer c.Close()
	return c.(*tls.Conn).ConnectionState(), nil
}

// opensslConnect runs `openssl s_client` against addr with args and
// returns its output and whether the handshake completed.
func opensslConnect(t *testing.T, addr, caFile string, args ...string) (string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	all := append([]string{"s_client", "-connect", addr, "-servername", "localhost", "-CAfile", caFile, "-verify_return_error"}, args...)
	cmd := exec.CommandContext(ctx, "openssl", all...)
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("openssl %v: %v", all, ctx.Err())
	}
	return string(out), err == nil
}

// Issue 13 item 12: the stack's registry container (compose.yaml's
// REGISTRY_HTTP_TLS_* on the fixture image, distribution v3.1.2) offers
// TLS 1.2 with ECDHE AEAD suites and TLS 1.3 only: a client with nothing
// but CBC suites, or at most TLS 1.1, gets no connection, from Go and from
// OpenSSL alike; and the registry says it took the configured suites.
func TestStackRegistryOffersAEADOnly(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	mustCLI(t, s.Env, "up", "--no-tui")
	addr := fmt.Sprintf("127.0.0.1:%d", s.Port)
	pem, err := os.ReadFile(s.CACert())
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	base := func() *tls.Config { return &tls.Config{RootCAs: roots, ServerName: "localhost"} }

	cbc := base()
	cbc.MaxVersion = tls.VersionTLS12
	cbc.CipherSuites = []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
		tls.TLS_RSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_256_CBC_SHA,
	}
	if st, err := tlsDial(addr, cbc); err == nil {
		t.Errorf("Go, TLS 1.2 with CBC suites only: connected with %s", tls.CipherSuiteName(st.CipherSuite))
	}
	old := base()
	old.MinVersion, old.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
	if st, err := tlsDial(addr, old); err == nil {
		t.Errorf("Go, TLS 1.0-1.1: connected with %s", tls.VersionName(st.Version))
	}
	v12 := base()
	v12.MaxVersion = tls.VersionTLS12
	st, err := tlsDial(addr, v12)
	if err != nil || st.Version != tls.VersionTLS12 || !slices.Contains(stackAEADSuites, tls.CipherSuiteName(st.CipherSuite)) {
		t.Errorf("Go, TLS 1.2: %v, negotiated %s; want one of %v", err, tls.CipherSuiteName(st.CipherSuite), stackAEADSuites)
	}
	v13 := base()
	v13.MinVersion = tls.VersionTLS13
	if st, err := tlsDial(addr, v13); err != nil || st.Version != tls.VersionTLS13 {
		t.Errorf("Go, TLS 1.3: %v (%s)", err, tls.VersionName(st.Version))
	}

	// A second implementation: OpenSSL. The server key is ECDSA (esbtui's
	// default), so the ECDSA suites are the ones to ask for.
	for _, cipher := range []string{"ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA", "ECDHE-ECDSA-AES128-SHA256"} {
		if out, ok := opensslConnect(t, addr, s.CACert(), "-tls1_2", "-cipher", cipher); ok {
			t.Errorf("openssl -tls1_2 -cipher %s: handshake completed:\n%s", cipher, out)
		}
	}
	if out, ok := opensslConnect(t, addr, s.CACert(), "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"); ok {
		t.Errorf("openssl -tls1_1: handshake completed:\n%s", out)
	}
	for _, tc := range []struct{ args []string }{
		{[]string{"-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"}},
		{[]string{"-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"}},
		{[]string{"-tls1_3"}},
	} {
		out, ok := opensslConnect(t, addr, s.CACert(), tc.args...)
		if !ok || !strings.Contains(out, "Verify return code: 0 (ok)") {
			t.Errorf("openssl %v: handshake failed:\n%s", tc.args, out)
		}
	}

	// The image took compose.yaml's list, not its own defaults.
	logs, _ := exec.Command("docker", "logs", s.Project+"-registry").CombinedOutput()
	if want := "restricting TLS cipher suites to: " + strings.Join(stackAEADSuites, ","); !strings.Contains(string(logs), want) {
		t.Errorf("registry log does not say %q:\n%s", want, logs)
	}
	if !strings.Contains(string(logs), "restricting TLS version to tls1.2 or higher") {
		t.Errorf("registry log does not give the minimum TLS version:\n%s", logs)
	}
}
