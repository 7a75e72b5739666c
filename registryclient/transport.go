package registryclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Timeouts of one exchange with a registry. None of them bounds a body
// transfer: a multi-GiB layer uploads or downloads for as long as bytes move.
const (
	// DefaultDialTimeout bounds the TCP connect.
	DefaultDialTimeout = 5 * time.Second
	// DefaultHandshakeTimeout bounds the TLS handshake. A registry that
	// accepted the TCP connection but says nothing within it (a paused
	// container behind docker-proxy, an overloaded host, a non-TLS server)
	// fails with an *UnreachableError that says so.
	DefaultHandshakeTimeout = 10 * time.Second
	// DefaultResponseTimeout bounds the wait for the response headers of a
	// GET or HEAD (the /v2/ ping, manifests, blobs, catalog and tags pages),
	// measured from the moment the request is written. A local registry
	// answers those in milliseconds, even under load.
	DefaultResponseTimeout = 10 * time.Second
	// uploadResponseTimeout bounds the wait for the response headers of
	// every other request (POST, PATCH, PUT, DELETE), measured after the
	// whole body has been sent: committing a big blob can make the registry
	// re-read it before it answers.
	uploadResponseTimeout = 2 * time.Minute
)

// roots is what a Client trusts: esbtui's CA, then the system pool, which
// is loaded (~150 files parsed, ~10 ms) only the first time a server's
// chain does not verify against the CA — so talking to the local registry
// never pays for it.
type roots struct {
	fixed  *x509.CertPool // Options.Roots: exactly these
	ca     *x509.CertPool // CACertFile's certificates (nil: none)
	caList []*x509.Certificate
	system func() *x509.CertPool
}

// parseOneCA is the one CA certificate of esbtui's rootCA.crt: a file
// holding anything else (a second certificate appended, a leaf, a key, a
// truncated block) widens or breaks trust, so it is refused, never
// partly used.
func parseOneCA(data []byte) (*x509.Certificate, error) {
	b, rest := pem.Decode(data)
	if b == nil || b.Type != "CERTIFICATE" {
		return nil, errors.New("holds no PEM certificate")
	}
	if len(bytes.TrimSpace(rest)) > 0 {
		return nil, errors.New("holds more than the CA certificate (something follows its PEM block); trusting it would trust that too")
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if !c.IsCA {
		return nil, errors.New("is not a CA certificate")
	}
	return c, nil
}

// loadRoots reads caFile (missing: system roots only).
func loadRoots(caFile string) (*roots, error) {
	r := &roots{system: sync.OnceValue(func() *x509.CertPool {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		return pool
	})}
	if caFile == "" {
		return r, nil
	}
	data, err := os.ReadFile(caFile)
	if os.IsNotExist(err) {
		return r, nil
	}
	if err != nil {
		return nil, fmt.Errorf("registryclient: read CA %s: %w (check its permissions, or run `esbtui init`)", caFile, err)
	}
	ca, err := parseOneCA(data)
	if err != nil {
		return nil, fmt.Errorf("registryclient: CA %s: %w; run `esbtui status` to inspect it", caFile, err)
	}
	r.caList = []*x509.Certificate{ca}
	r.ca = x509.NewCertPool()
	for _, c := range r.caList {
		r.ca.AddCert(c)
	}
	return r, nil
}

// verifier returns the check of a server's chain for host, the host that
// was dialled (a DNS name, or an IPv4 or IPv6 address without brackets).
// The name is never taken from the handshake: crypto/tls sends no SNI for
// an IP literal, so the ConnectionState's ServerName is empty for
// 127.0.0.1 or ::1, and an empty name would skip the host check. host ""
// is only for the proxy path (net/http fills the config's ServerName with
// the target host, and SNI carries it for a DNS name); there an empty
// ServerName fails closed.
func (r *roots) verifier(host string) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		name := host
		if name == "" {
			name = cs.ServerName
		}
		if name == "" {
			return &tls.CertificateVerificationError{UnverifiedCertificates: cs.PeerCertificates,
				Err: errors.New("registryclient: no host name to check the certificate against (an IP-literal registry reached through an HTTPS proxy): add the registry to NO_PROXY")}
		}
		return r.verify(cs.PeerCertificates, name)
	}
}

// verify checks a server's chain for host: against the CA first, then the
// system pool (plus the CA, for a chain that needs both). host is always
// checked (x509 compares an IP literal with the IP SANs, a name with the
// DNS SANs); errors are what crypto/tls gives for its own verification.
func (r *roots) verify(certs []*x509.Certificate, host string) error {
	if len(certs) == 0 {
		return errors.New("tls: the server sent no certificate")
	}
	if host == "" {
		return &tls.CertificateVerificationError{UnverifiedCertificates: certs, Err: errors.New("registryclient: no host name to check the certificate against")}
	}
	opts := x509.VerifyOptions{DNSName: host, Intermediates: x509.NewCertPool()}
	for _, c := range certs[1:] {
		opts.Intermediates.AddCert(c)
	}
	if r.ca != nil {
		opts.Roots = r.ca
		if _, err := certs[0].Verify(opts); err == nil {
			return nil
		}
	}
	opts.Roots = r.system()
	if r.ca != nil {
		opts.Roots = opts.Roots.Clone()
		for _, c := range r.caList {
			opts.Roots.AddCert(c)
		}
	}
	if _, err := certs[0].Verify(opts); err != nil {
		return &tls.CertificateVerificationError{UnverifiedCertificates: certs, Err: err}
	}
	return nil
}

// tlsConfig is the client configuration for a connection to host, the
// host that was dialled: the certificate must be valid for exactly it.
func tlsConfig(r *roots, host string) *tls.Config {
	cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
	if r.fixed != nil {
		// crypto/tls checks the chain against ServerName, IP literals included.
		cfg.RootCAs = r.fixed
		return cfg
	}
	// The chain is verified in VerifyConnection (standard pattern from the
	// crypto/tls docs): same checks, the system pool loaded only if needed.
	cfg.InsecureSkipVerify = true
	cfg.VerifyConnection = r.verifier(host)
	return cfg
}

// dialFunc opens the TCP connection to addr (host:port).
type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// netDial is the dialFunc of a Client: net.Dialer with DefaultDialTimeout.
func netDial() dialFunc {
	return (&net.Dialer{Timeout: DefaultDialTimeout, KeepAlive: 30 * time.Second}).DialContext
}

// newTransport is HTTP/1.1 only (bulk uploads over HTTP/2 share one
// flow-controlled connection and run 1.4–1.6× slower) with enough idle
// connections per host for jobs concurrent uploads. It dials TLS itself so
// that a handshake nobody answers fails within handshake with an error
// saying so (see clientHandshake).
func newTransport(roots *roots, jobs int, dial dialFunc, handshake time.Duration) *http.Transport {
	return &http.Transport{
		Proxy:       http.ProxyFromEnvironment,
		DialContext: dial,
		DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			raw, err := dial(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				host = addr
			}
			tc, err := clientHandshake(ctx, raw, tlsConfig(roots, host), handshake)
			if err != nil {
				var ue *UnreachableError
				if errors.As(err, &ue) {
					ue.Registry = addr
				}
				return nil, err
			}
			return tc, nil
		},
		// Used for HTTPS through a proxy (CONNECT), where DialTLSContext is not.
		TLSClientConfig:       tlsConfig(roots, ""),
		TLSNextProto:          map[string]func(string, *tls.Conn) http.RoundTripper{},
		ForceAttemptHTTP2:     false,
		MaxIdleConns:          4 * jobs,
		MaxIdleConnsPerHost:   2 * jobs,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   handshake,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: uploadResponseTimeout,
		WriteBufferSize:       256 << 10,
		ReadBufferSize:        256 << 10,
	}
}

// countConn counts the bytes the server sent.
type countConn struct {
	net.Conn
	n atomic.Int64
}

func (c *countConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// clientHandshake runs the TLS handshake on raw within timeout (and ctx).
// When the server accepted the TCP connection but sent not one byte before
// the deadline, the error is an *UnreachableError (StageTLS, Silent) saying
// so; a real handshake failure (unknown CA, plain HTTP, reset) is returned
// as it is, for classifyTLS. raw is closed on failure.
func clientHandshake(ctx context.Context, raw net.Conn, cfg *tls.Config, timeout time.Duration) (*tls.Conn, error) {
	cc := &countConn{Conn: raw}
	tc := tls.Client(cc, cfg)
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	err := tc.HandshakeContext(hctx)
	if err == nil {
		return tc, nil
	}
	raw.Close()
	if cc.n.Load() == 0 && isTimeout(err) && !errors.Is(ctx.Err(), context.Canceled) {
		after := time.Since(start)
		if ctx.Err() == nil { // our bound, not the caller's deadline
			after = timeout
		}
		return nil, silentTLS(raw.RemoteAddr().String(), after, err)
	}
	return nil, err
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var nerr net.Error
	return errors.As(err, &nerr) && nerr.Timeout()
}

// silentFix is what to do about a registry that accepts connections but
// does not answer.
const silentFix = "check `esbtui status` / `docker ps` (a paused container shows as Paused), restart it with `esbtui up`"

func silentTLS(addr string, after time.Duration, err error) *UnreachableError {
	return &UnreachableError{Registry: addr, Stage: StageTLS, Silent: true,
		Reason: "it accepted the TCP connection but did not answer the TLS handshake within " + roundDur(after) + ": it is paused, overloaded or not a TLS server",
		Fix:    silentFix, Err: err}
}

func silentHTTP(addr, method, path string, after time.Duration, err error) *UnreachableError {
	return &UnreachableError{Registry: addr, Stage: StageHTTP, Silent: true,
		Reason: "it accepted " + method + " " + path + " but sent no response within " + roundDur(after) + ": it is paused, overloaded or hung",
		Fix:    silentFix, Err: err}
}

func roundDur(d time.Duration) string {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// httpsOnly refuses any request that is not HTTPS. go-containerregistry
// falls back to plain HTTP for registries named localhost, a loopback or a
// private address when HTTPS fails (its "insecure registry" rule), and
// follows a token realm wherever the registry points it: either would send
// the Docker credentials in the clear, to a server whose identity nothing
// checked. esbtui's registries always speak TLS.
type httpsOnly struct{ base http.RoundTripper }

func (t httpsOnly) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "https" {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, &PlainHTTPError{URL: req.URL.Redacted()}
	}
	return t.base.RoundTrip(req)
}

// boundedTransport bounds the wait for the response headers of GET and
// HEAD requests (from the moment the request is written) and reports a
// registry that stays silent as an *UnreachableError (Silent). Other
// methods keep the base transport's ResponseHeaderTimeout; bodies are never
// bounded. The error has no Temporary method, so ggcr's retry transport
// does not multiply the wait; the pager retries it on its own terms.
type boundedTransport struct {
	base    http.RoundTripper
	headers time.Duration
}

func (t *boundedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.headers <= 0 || (req.Method != http.MethodGet && req.Method != http.MethodHead) {
		return t.base.RoundTrip(req)
	}
	parent := req.Context()
	ctx, cancel := context.WithCancel(parent)
	w := &headerWatch{d: t.headers, cancel: cancel}
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: w.wrote, GotFirstResponseByte: w.gotByte})
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	fired, waiting, since := w.stop()
	if err == nil && !fired {
		resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
		return resp, nil
	}
	if err == nil {
		resp.Body.Close()
		err = context.Canceled
	}
	cancel()
	if fired {
		return nil, silentHTTP(req.URL.Host, req.Method, req.URL.Path, t.headers, err)
	}
	if waiting && errors.Is(parent.Err(), context.DeadlineExceeded) {
		return nil, silentHTTP(req.URL.Host, req.Method, req.URL.Path, since, err)
	}
	return nil, err
}

// headerWatch starts a timer when the request has been written and stops
// it at the first response byte; when it fires it cancels the request.
type headerWatch struct {
	d      time.Duration
	cancel context.CancelFunc

	mu      sync.Mutex
	timer   *time.Timer
	wroteAt time.Time
	got     bool
	fired   bool
	stopped bool
}

func (w *headerWatch) wrote(httptrace.WroteRequestInfo) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped || w.got {
		return
	}
	if w.timer != nil { // net/http resent the request on a fresh connection
		w.timer.Stop()
	}
	w.wroteAt = time.Now()
	w.timer = time.AfterFunc(w.d, func() {
		w.mu.Lock()
		if !w.got && !w.stopped {
			w.fired = true
			w.cancel()
		}
		w.mu.Unlock()
	})
}

func (w *headerWatch) gotByte() {
	w.mu.Lock()
	w.got = true
	if w.timer != nil {
		w.timer.Stop()
	}
	w.mu.Unlock()
}

// stop ends the watch: whether it fired, whether the request was still
// waiting for its answer, and for how long.
func (w *headerWatch) stop() (fired, waiting bool, since time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	if w.timer != nil {
		w.timer.Stop()
	}
	waiting = !w.wroteAt.IsZero() && !w.got
	if !w.wroteAt.IsZero() {
		since = time.Since(w.wroteAt)
	}
	return w.fired, waiting, since
}

// cancelBody releases the request's context when the body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
