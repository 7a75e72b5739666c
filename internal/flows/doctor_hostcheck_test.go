package flows

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/pki"
)

// Issue 13 item 1, doctor's side: the TLS link checks the certificate
// against the host in ESB_REGISTRY for every address form. A server whose
// certificate our CA signed for other.test fails the link ("does not
// cover") whether the registry is a name, 127.0.0.1 or [::1], and the
// /v2/ check, which would come next, never sends it a request.
func TestDoctorTLSChecksTheRegistryHost(t *testing.T) {
	e := newTestEnv(t)
	bundleWith(t, e, e.Certs.Path(pki.CACertFile))
	ca, err := e.Certs.LoadCA()
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := time.Now()
	der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(7), NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		DNSNames: []string{"other.test"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature},
		ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ listen, host string }{{"127.0.0.1:0", "localhost"}, {"127.0.0.1:0", "127.0.0.1"}, {"[::1]:0", "::1"}} {
		t.Run(tc.host, func(t *testing.T) {
			var requests atomic.Int64
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { requests.Add(1) }))
			ln, err := net.Listen("tcp", tc.listen)
			if err != nil {
				t.Fatal(err)
			}
			srv.Listener.Close()
			srv.Listener = ln
			srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der, ca.Cert.Raw}, PrivateKey: key}}}
			srv.StartTLS()
			t.Cleanup(srv.Close)
			_, port, _ := net.SplitHostPort(ln.Addr().String())
			e.Cfg.Registry = net.JoinHostPort(tc.host, port)
			r := e.Doctor(context.Background(), progress.Discard)
			c := statusOf(r, "TLS to registry (system roots)")
			if c.Status != CheckFail || !strings.Contains(c.Why, "does not cover "+tc.host) {
				t.Errorf("registry %s with a certificate for other.test: %+v; want a failure saying it does not cover %s", e.Cfg.Registry, c, tc.host)
			}
			if n := requests.Load(); n != 0 {
				t.Errorf("registry %s: %d requests reached the wrong-name server", e.Cfg.Registry, n)
			}
		})
	}
}
