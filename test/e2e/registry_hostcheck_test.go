package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esbtui/esbtui/pki"
)

// Issue 13 item 1, from the binary: with ESB_REGISTRY set to an IP
// literal (with and without brackets, with a port) and Docker credentials
// for it in DOCKER_CONFIG, `esbtui catalog` against a server whose
// certificate esbtui's own CA signed for other.test fails on the host
// name, and the server never sees a request, let alone the credentials.
func TestCLIRefusesACertificateForAnotherHost(t *testing.T) {
	t.Parallel()
	home := newHome(t)
	mustCLI(t, []string{"ESB_HOME=" + home}, "init", "--skip-trust", "--no-tui")
	ca, err := pki.NewStore(filepath.Join(home, "certs")).LoadCA()
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(42), NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		DNSNames: []string{"other.test"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature},
		ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ listen, host string }{{"127.0.0.1:0", "127.0.0.1"}, {"[::1]:0", "::1"}} {
		t.Run(tc.host, func(t *testing.T) {
			var requests, auths atomic.Int64
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				requests.Add(1)
				if r.Header.Get("Authorization") != "" {
					auths.Add(1)
				}
				w.Header().Set("WWW-Authenticate", `Basic realm="esb"`)
				w.WriteHeader(http.StatusUnauthorized)
			}))
			ln, err := net.Listen("tcp", tc.listen)
			if err != nil {
				t.Fatal(err)
			}
			srv.Listener.Close()
			srv.Listener = ln
			srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
			srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der, ca.Cert.Raw}, PrivateKey: key}}}
			srv.StartTLS()
			t.Cleanup(srv.Close)
			_, port, _ := net.SplitHostPort(ln.Addr().String())
			registry := net.JoinHostPort(tc.host, port)

			dockerCfg := t.TempDir()
			auth := base64.StdEncoding.EncodeToString([]byte("esb:secret-password"))
			if err := os.WriteFile(filepath.Join(dockerCfg, "config.json"), fmt.Appendf(nil, `{"auths":{%q:{"auth":%q}}}`, registry, auth), 0o600); err != nil {
				t.Fatal(err)
			}
			res := runCLI(t, []string{"ESB_HOME=" + home, "ESB_REGISTRY=" + registry, "DOCKER_CONFIG=" + dockerCfg}, "catalog", "--no-tui")
			out := res.Stdout + res.Stderr
			if res.Code == 0 || !strings.Contains(out, "TLS handshake failed") || !strings.Contains(out, "does not cover "+registry) {
				t.Errorf("esbtui catalog against %s with a certificate for other.test: %s\nwant a failure on the host name", registry, res)
			}
			if n, a := requests.Load(), auths.Load(); n != 0 || a != 0 {
				t.Errorf("the wrong-name server at %s got %d requests, %d with credentials; want none", registry, n, a)
			}
		})
	}
}
