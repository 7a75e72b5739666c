package registryclient

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/esbtui/esbtui/pki"
)

// staticKeychain hands the same credentials to every registry, as a
// docker login would for the registry the user named.
type staticKeychain struct{}

func (staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) {
	return authn.FromConfig(authn.AuthConfig{Username: "esb", Password: "secret-password"}), nil
}

// credServer is a registry front that wants Basic credentials and counts
// every request and every Authorization header that reaches it.
type credServer struct {
	srv      *httptest.Server
	requests atomic.Int64
	auths    atomic.Int64
}

func (s *credServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if r.Header.Get("Authorization") == "" {
		w.Header().Set("WWW-Authenticate", `Basic realm="esb"`)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	s.auths.Add(1)
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	if r.URL.Path == "/v2/_catalog" {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"repositories":[]}`))
	}
}

// leafFromStoreCA issues a server certificate for dns and ips signed by
// the CA in certDir (esbtui's own CA: name-constrained to local names).
func leafFromStoreCA(t *testing.T, dns []string, ips []net.IP) tls.Certificate {
	t.Helper()
	ca, err := pki.NewStore(certDir).LoadCA()
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(now.UnixNano()), Subject: pkix.Name{CommonName: "leaf"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), DNSNames: dns, IPAddresses: ips,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der, ca.Cert.Raw}, PrivateKey: key}
}

// startCredServer serves HTTPS with cert on a loopback address of the
// given network ("tcp4": 127.0.0.1, "tcp6": [::1]).
func startCredServer(t *testing.T, network string, cert tls.Certificate) *credServer {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "tcp6" {
		addr = "[::1]:0"
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &credServer{}
	s.srv = httptest.NewUnstartedServer(s)
	s.srv.Listener.Close()
	s.srv.Listener = ln
	s.srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	s.srv.Config.ErrorLog = nilLogger()
	s.srv.StartTLS()
	t.Cleanup(s.srv.Close)
	return s
}

// hostForm is one way to write the registry address.
type hostForm struct {
	registry string // ESB_REGISTRY as the user writes it; "PORT" is the server's port
	network  string // where the server listens
	dialled  string // the host:port the client must dial ("PORT" as above)
	host     string // the host the certificate must cover
}

var hostForms = []hostForm{
	{"localhost:PORT", "tcp4", "localhost:PORT", "localhost"},
	{"localhost", "tcp4", "localhost:443", "localhost"},
	{"127.0.0.1:PORT", "tcp4", "127.0.0.1:PORT", "127.0.0.1"},
	{"127.0.0.1", "tcp4", "127.0.0.1:443", "127.0.0.1"},
	{"[::1]:PORT", "tcp6", "[::1]:PORT", "::1"},
	{"[::1]", "tcp6", "[::1]:443", "::1"},
}

// clientFor is a client with the Docker credentials staticKeychain gives
// whose TCP connections for f.dialled go to the server (an address
// without a port means 443, which the test cannot listen on); any other
// address fails the test.
func clientFor(t *testing.T, f hostForm, s *credServer) (c *Client, registry string) {
	t.Helper()
	_, port, _ := net.SplitHostPort(s.srv.Listener.Addr().String())
	want := strings.ReplaceAll(f.dialled, "PORT", port)
	var d net.Dialer
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr != want {
			t.Errorf("%s: dialled %s, want %s", f.registry, addr, want)
			return nil, errors.New("unexpected address")
		}
		return d.DialContext(ctx, network, s.srv.Listener.Addr().String())
	}
	return newClient(t, Options{Keychain: staticKeychain{}, dial: dial}), strings.ReplaceAll(f.registry, "PORT", port)
}

// Issue 13 item 1: whatever form the registry address takes (a DNS name,
// an IPv4 or IPv6 literal, with or without a port), a server whose
// certificate esbtui's CA signed for another name is refused during the
// handshake with the error a DNS-name mismatch gives, and not one request
// (so no credential) reaches it, neither through the probe nor through
// go-containerregistry's own connections.
func TestClientChecksTheDialledHost(t *testing.T) {
	wrong := leafFromStoreCA(t, []string{"other.test"}, nil)
	for _, f := range hostForms {
		t.Run(f.registry, func(t *testing.T) {
			s := startCredServer(t, f.network, wrong)
			c, reg := clientFor(t, f, s)
			ctx := ctxT(t)

			_, err := c.Catalog(ctx, reg)
			var ue *UnreachableError
			var hn x509.HostnameError
			if !errors.As(err, &ue) || ue.Stage != StageTLS || !errors.As(err, &hn) || hn.Host != f.host {
				t.Errorf("catalog of %s (certificate for other.test): %v; want an *UnreachableError at the TLS stage wrapping x509.HostnameError for %s", reg, err, f.host)
			} else if want := "the server certificate does not cover"; !strings.Contains(ue.Fix, want) {
				t.Errorf("catalog of %s: the fix %q does not say %q", reg, ue.Fix, want)
			}

			// go-containerregistry's connections (a re-push starts there,
			// without a probe) check the host too.
			ref, err := name.ParseReference(reg + "/app:latest")
			if err != nil {
				t.Fatal(err)
			}
			_, err = remote.Head(ref, c.remoteOptions(ctx)...)
			if err == nil || hn.Certificate == nil || !strings.Contains(err.Error(), hn.Error()) {
				t.Errorf("HEAD %s through ggcr: %v; want the host mismatch %q", ref, err, hn.Error())
			}

			if n, a := s.requests.Load(), s.auths.Load(); n != 0 || a != 0 {
				t.Errorf("%s: the wrong-name server got %d requests, %d with Authorization; want none", reg, n, a)
			}
		})
	}
}

// The control for TestClientChecksTheDialledHost: the same servers with a
// certificate for the dialled host are accepted and get the credentials,
// so the zero counts above are the host check's doing.
func TestClientAcceptsTheDialledHost(t *testing.T) {
	right := leafFromStoreCA(t, []string{"localhost"}, []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback})
	for _, f := range hostForms {
		t.Run(f.registry, func(t *testing.T) {
			s := startCredServer(t, f.network, right)
			c, reg := clientFor(t, f, s)
			if _, err := c.Catalog(ctxT(t), reg); err != nil {
				t.Fatalf("catalog of %s: %v", reg, err)
			}
			if s.auths.Load() == 0 {
				t.Errorf("%s: no request carried the credentials", reg)
			}
		})
	}
}

// go-containerregistry retries a localhost or private-address registry
// over plain HTTP when HTTPS fails; esbtui never lets that request out, so
// credentials never travel in the clear to a server nothing verified.
func TestClientNeverFallsBackToPlainHTTP(t *testing.T) {
	s := &credServer{}
	s.srv = httptest.NewUnstartedServer(s)
	s.srv.Config.ErrorLog = nilLogger()
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	reg := s.srv.Listener.Addr().String()
	c := newClient(t, Options{Keychain: staticKeychain{}})
	ref, err := name.ParseReference(reg + "/app:latest")
	if err != nil {
		t.Fatal(err)
	}
	_, err = remote.Head(ref, c.remoteOptions(ctxT(t))...)
	var pe *PlainHTTPError
	if !errors.As(err, &pe) && (err == nil || !strings.Contains(err.Error(), "refusing plain HTTP")) {
		t.Errorf("HEAD %s on a plain-HTTP server: %v; want the plain-HTTP refusal", ref, err)
	}
	if n, a := s.requests.Load(), s.auths.Load(); n != 0 || a != 0 {
		t.Errorf("the plain-HTTP server got %d requests, %d with Authorization; want none", n, a)
	}
}

// Through an HTTPS proxy net/http runs the handshake with its own copy of
// the configuration: the host comes from the ServerName it sets, and with
// none (an IP literal sends no SNI) the check fails closed instead of
// skipping the name.
func TestProxyPathVerifierNeedsAName(t *testing.T) {
	r, err := loadRoots(certDir + "/" + pki.CACertFile)
	if err != nil {
		t.Fatal(err)
	}
	leaf := leafFromStoreCA(t, []string{"other.test"}, nil)
	var chain []*x509.Certificate
	for _, der := range leaf.Certificate {
		c, _ := x509.ParseCertificate(der)
		chain = append(chain, c)
	}
	check := tlsConfig(r, "").VerifyConnection
	if err := check(tls.ConnectionState{PeerCertificates: chain}); err == nil || !strings.Contains(err.Error(), "NO_PROXY") {
		t.Errorf("no server name: %v, want a refusal naming NO_PROXY", err)
	}
	var hn x509.HostnameError
	if err := check(tls.ConnectionState{ServerName: "registry.test", PeerCertificates: chain}); !errors.As(err, &hn) {
		t.Errorf("other.test's certificate for registry.test: %v, want x509.HostnameError", err)
	}
	if err := check(tls.ConnectionState{ServerName: "other.test", PeerCertificates: chain}); err != nil {
		t.Errorf("other.test's certificate for other.test: %v", err)
	}
}
