package registryserver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds on every connection the mirror makes upstream: an unreachable
// upstream (no network, a black hole) fails a pull in seconds, not after
// the kernel's minutes-long TCP timeout.
const (
	mirrorDialTimeout      = 5 * time.Second
	mirrorTLSTimeout       = 5 * time.Second
	mirrorHeaderTimeout    = 30 * time.Second
	mirrorBreakerCoolDown  = 10 * time.Second
	mirrorProbeTimeout     = 5 * time.Second
	maxUpstreamErrorLength = 300
)

// upstreamTransport is the mirror's only way upstream: distribution's
// proxy uses http.DefaultTransport, which the mirror's entrypoint sets to
// it. It trusts only the mirror's CA bundle, bounds dial, handshake and
// response headers, counts requests, remembers the last failure and, for
// mirrorBreakerCoolDown after a failure to connect, fails at once instead
// of dialling again (so a pull during an outage costs one timeout, not one
// per request).
type upstreamTransport struct {
	base     *http.Transport
	upstream string // "docker.io (https://registry-1.docker.io)"
	name     string // "docker.io"
	hasLogin bool

	requests atomic.Uint64
	tags     tagChecks

	mu        sync.Mutex
	lastErr   string
	lastErrAt time.Time
	lastOK    time.Time
	downUntil time.Time
	reachable *bool
	// loginMissing says the upstream asks for a login the cache lacks.
	loginMissing string
	checkedAt    time.Time
	now          func() time.Time
}

func newUpstreamTransport(s MirrorSettings, roots *x509.CertPool, hasLogin bool) *upstreamTransport {
	d := &net.Dialer{Timeout: mirrorDialTimeout, KeepAlive: 30 * time.Second}
	base := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           d.DialContext,
		TLSClientConfig:       &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   mirrorTLSTimeout,
		ResponseHeaderTimeout: mirrorHeaderTimeout,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   16,
		ForceAttemptHTTP2:     false,
	}
	return &upstreamTransport{
		base:     base,
		upstream: fmt.Sprintf("%s (%s)", s.Upstream, s.RemoteURL),
		name:     s.Upstream,
		hasLogin: hasLogin,
		now:      time.Now,
	}
}

// UpstreamDownError is a request the mirror could not send upstream.
type UpstreamDownError struct {
	Upstream string // "docker.io (https://registry-1.docker.io)"
	Err      error
}

func (e *UpstreamDownError) Error() string {
	return fmt.Sprintf("upstream %s unreachable: %v", e.Upstream, e.Err)
}

func (e *UpstreamDownError) Unwrap() error { return e.Err }

// upstreamNote collects what went wrong upstream while serving one client
// request (the proxy passes the request's context to every upstream
// call), so the answer to that request can say it.
type upstreamNote struct {
	mu  sync.Mutex
	msg string
}

type upstreamNoteKey struct{}

// freshKey marks a request that must reach the upstream (a probe), never
// answered from the recent checks.
type freshKey struct{}

func withUpstreamNote(ctx context.Context) (context.Context, *upstreamNote) {
	n := &upstreamNote{}
	return context.WithValue(ctx, upstreamNoteKey{}, n), n
}

func (n *upstreamNote) set(msg string) {
	n.mu.Lock()
	n.msg = msg
	n.mu.Unlock()
}

func (n *upstreamNote) get() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.msg
}

func (t *upstreamTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	note, _ := r.Context().Value(upstreamNoteKey{}).(*upstreamNote)
	tell := func(msg string) {
		if note != nil {
			note.set(msg)
		}
	}
	t.mu.Lock()
	until := t.downUntil
	last := t.lastErr
	t.mu.Unlock()
	if t.now().Before(until) {
		err := &UpstreamDownError{Upstream: t.upstream, Err: fmt.Errorf("%s (not retried for %s)", last, mirrorBreakerCoolDown)}
		tell(shortError(err))
		return nil, err
	}
	if _, fresh := r.Context().Value(freshKey{}).(bool); !fresh {
		if resp := t.tags.lookup(r, t.now()); resp != nil {
			return resp, nil
		}
	}
	t.requests.Add(1)
	resp, err := t.base.RoundTrip(r)
	if err == nil {
		t.tags.store(r, resp, t.now())
	}
	if err != nil {
		t.failed(err, connectFailure(err))
		err := &UpstreamDownError{Upstream: t.upstream, Err: err}
		tell(shortError(err))
		return nil, err
	}
	refused := func(why string) error {
		return fmt.Errorf("upstream %s refused %s %s: HTTP %d%s", t.upstream, r.Method, redactURL(r.URL), resp.StatusCode, why)
	}
	switch {
	case resp.StatusCode >= 500:
		err := refused("")
		t.failed(err, false)
		tell(shortError(err))
	case resp.StatusCode == http.StatusUnauthorized && r.URL.Path == "/v2/":
		// The challenge every client gets first: not a failure, unless it
		// asks for a password and the cache has none.
		if !t.hasLogin && strings.HasPrefix(strings.ToLower(resp.Header.Get("WWW-Authenticate")), "basic") {
			err := refused(": it asks for a login and the cache has none (run `docker login " + t.name + "`, then `esbtui up`)")
			t.reached(err)
			t.setLoginMissing(shortError(err))
			tell(shortError(err))
		} else {
			t.reached(nil)
			t.setLoginMissing("")
		}
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests:
		// Reached, but refused: worth saying (quota, a wrong login).
		err := refused(": check the login for it in your Docker config (`docker login " + t.name + "`), or its pull limit")
		t.reached(err)
		tell(shortError(err))
	default:
		t.reached(nil)
		if r.URL.Path == "/v2/" {
			t.setLoginMissing("")
		}
	}
	return resp, nil
}

// setLoginMissing records (msg) or clears ("") that the upstream wants a
// login the cache does not have. distribution pings /v2/ without the
// client request's context, so the answer to that request learns it here.
func (t *upstreamTransport) setLoginMissing(msg string) {
	t.mu.Lock()
	t.loginMissing = msg
	t.mu.Unlock()
}

// problem is why requests to the upstream fail now, "" when they should
// not: unreachable, or a login it asks for and the cache lacks.
func (t *upstreamTransport) problem() string {
	if down, why := t.down(); down {
		if !strings.HasPrefix(why, "upstream ") {
			why = "upstream " + t.upstream + " unreachable: " + why
		}
		return why
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.loginMissing
}

// connectFailure: the upstream could not be reached at all (as opposed to
// an answer that was an error).
func connectFailure(err error) bool {
	var ne net.Error
	var oe *net.OpError
	var de *net.DNSError
	return errors.As(err, &oe) || errors.As(err, &de) || (errors.As(err, &ne) && ne.Timeout()) ||
		strings.Contains(err.Error(), "tls:") || strings.Contains(err.Error(), "x509:")
}

func (t *upstreamTransport) failed(err error, connect bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	t.lastErr, t.lastErrAt = shortError(err), now
	if connect {
		t.tags.clear()
		no := false
		t.reachable, t.checkedAt = &no, now
		t.downUntil = now.Add(mirrorBreakerCoolDown)
	}
}

func (t *upstreamTransport) reached(refusal error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	yes := true
	t.reachable, t.checkedAt, t.lastOK = &yes, now, now
	t.downUntil = time.Time{}
	if refusal != nil {
		t.lastErr, t.lastErrAt = shortError(refusal), now
	}
}

// down reports whether the upstream is unreachable now (the last contact
// failed to connect), and the failure.
func (t *upstreamTransport) down() (bool, string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.reachable == nil || *t.reachable {
		return false, ""
	}
	return true, t.lastErr
}

// probe GETs the upstream's /v2/ (bounded): 200 and 401 both mean it
// answers.
func (t *upstreamTransport) probe(ctx context.Context, remote string) {
	ctx, cancel := context.WithTimeout(ctx, mirrorProbeTimeout)
	defer cancel()
	t.mu.Lock()
	t.downUntil = time.Time{} // an explicit probe always tries
	t.mu.Unlock()
	ctx = context.WithValue(ctx, freshKey{}, true)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(remote, "/")+"/v2/", nil)
	if err != nil {
		return
	}
	resp, err := t.RoundTrip(req)
	if err == nil {
		resp.Body.Close()
	}
}

type upstreamState struct {
	requests  uint64
	lastErr   string
	lastErrAt time.Time
	reachable *bool
	checkedAt time.Time
}

func (t *upstreamTransport) state() upstreamState {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := upstreamState{requests: t.requests.Load(), lastErr: t.lastErr, lastErrAt: t.lastErrAt, checkedAt: t.checkedAt}
	if t.reachable != nil {
		r := *t.reachable
		s.reachable = &r
	}
	return s
}

// shortError is err's text on one line, bounded, with any URL's user
// information and query removed (a token in a query never leaves).
func shortError(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	s = redactURLs(s)
	if len(s) > maxUpstreamErrorLength {
		s = s[:maxUpstreamErrorLength] + "…"
	}
	return s
}

func redactURL(u *url.URL) string {
	c := *u
	c.User, c.RawQuery, c.Fragment = nil, "", ""
	return c.String()
}

// redactURLs rewrites every http(s) URL in s without user info and query.
func redactURLs(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "http")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		s = s[i:]
		end := strings.IndexAny(s, " \"'")
		if end < 0 {
			end = len(s)
		}
		word := s[:end]
		if u, err := url.Parse(strings.TrimRight(word, ":,")); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			b.WriteString(redactURL(u))
			b.WriteString(word[len(strings.TrimRight(word, ":,")):])
		} else {
			b.WriteString(word)
		}
		s = s[end:]
	}
}
