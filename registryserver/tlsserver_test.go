package registryserver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/pki"
)

// cbcSuites are every TLS 1.2 CBC suite Go can still offer.
var cbcSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	tls.TLS_RSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_256_CBC_SHA,
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
	tls.TLS_RSA_WITH_AES_128_CBC_SHA256,
}

// startServe runs `esbtui serve`'s server on a free loopback port with a
// certificate from a real pki store and returns its address and CA.
func startServe(t *testing.T, kt pki.KeyType) (addr string, roots *x509.CertPool) {
	t.Helper()
	dir := t.TempDir()
	store := pki.NewStore(filepath.Join(dir, "certs"))
	if _, err := store.Ensure(context.Background(), pki.Options{KeyType: kt}, progress.Discard); err != nil {
		t.Fatal(err)
	}
	ca, err := store.LoadCA()
	if err != nil {
		t.Fatal(err)
	}
	roots = x509.NewCertPool()
	roots.AddCert(ca.Cert)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, ServeOptions{Addr: "127.0.0.1:0", DataDir: filepath.Join(dir, "registry"),
			CertFile: store.Path(pki.ServerCertFile), KeyFile: store.Path(pki.ServerKeyFile),
			Ready: func(a string) { ready <- a }})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	return addr, roots
}

// handshake connects to addr with cfg and returns the negotiated state.
func handshake(addr string, cfg *tls.Config) (tls.ConnectionState, error) {
	d := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 5 * time.Second}, Config: cfg}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer c.Close()
	return c.(*tls.Conn).ConnectionState(), nil
}

// Issue 13 item 12: `esbtui serve` speaks TLS 1.2 with ECDHE AEAD suites
// and TLS 1.3; a client offering only CBC suites, or at most TLS 1.1, gets
// no connection.
func TestServeOffersAEADOnly(t *testing.T) {
	for _, kt := range []pki.KeyType{pki.KeyECDSAP256, pki.KeyRSA2048} {
		t.Run(string(kt), func(t *testing.T) { testServeOffersAEADOnly(t, kt) })
	}
}

func testServeOffersAEADOnly(t *testing.T, kt pki.KeyType) {
	addr, roots := startServe(t, kt)
	base := func() *tls.Config { return &tls.Config{RootCAs: roots, ServerName: "localhost"} }

	for _, suite := range cbcSuites {
		cfg := base()
		cfg.MaxVersion, cfg.CipherSuites = tls.VersionTLS12, []uint16{suite}
		if st, err := handshake(addr, cfg); err == nil {
			t.Errorf("TLS 1.2 with only %s: connected (%s)", tls.CipherSuiteName(suite), tls.CipherSuiteName(st.CipherSuite))
		}
	}
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		cfg := base()
		cfg.MinVersion, cfg.MaxVersion = v, v
		if _, err := handshake(addr, cfg); err == nil {
			t.Errorf("%s: connected", tls.VersionName(v))
		}
	}

	// Every AEAD suite of the key's family works in TLS 1.2.
	family := "ECDSA"
	if kt == pki.KeyRSA2048 {
		family = "RSA"
	}
	tried := 0
	for _, suite := range ServerCipherSuites() {
		if !strings.Contains(tls.CipherSuiteName(suite), "ECDHE_"+family+"_") {
			continue
		}
		tried++
		cfg := base()
		cfg.MaxVersion, cfg.CipherSuites = tls.VersionTLS12, []uint16{suite}
		if st, err := handshake(addr, cfg); err != nil || st.CipherSuite != suite || st.Version != tls.VersionTLS12 {
			t.Errorf("TLS 1.2 with %s: %v (negotiated %s)", tls.CipherSuiteName(suite), err, tls.CipherSuiteName(st.CipherSuite))
		}
	}
	if tried != 3 {
		t.Errorf("%d AEAD suites for %s keys, want 3", tried, family)
	}
	cfg := base()
	cfg.MinVersion = tls.VersionTLS13
	if st, err := handshake(addr, cfg); err != nil || st.Version != tls.VersionTLS13 {
		t.Errorf("TLS 1.3: %v (%s)", err, tls.VersionName(st.Version))
	}
}
