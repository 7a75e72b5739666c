package registryclient

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// retryPolicy bounds retries of idempotent GETs on transient errors.
// Timeout bounds each attempt as a whole; inside it the transport's own
// bounds (TCP connect 5 s, TLS handshake and response headers 10 s each)
// end an attempt against a registry that stopped answering (paused,
// packets dropped) first, with an error that says so.
type retryPolicy struct {
	Attempts int
	Base     time.Duration
	Timeout  time.Duration
}

// listRetry: 4 attempts, 0.2 + 0.4 + 0.8 s apart. Against a registry that
// accepts connections but does not answer, each attempt ends after ~10 s
// (handshake or response-header bound), so a page that cannot be had fails
// within ~41.4 s (at most 4 × 12 + 1.4 = 49.4 s); within ~1.4 s when the
// connection is refused or reset.
var listRetry = retryPolicy{Attempts: 4, Base: 200 * time.Millisecond, Timeout: 12 * time.Second}

// pager walks a paginated list endpoint (/v2/_catalog, /v2/<repo>/tags/list).
// It follows the Link header itself (ggcr refuses it for localhost) and falls
// back to last=<final entry> when a registry sends full pages without one.
type pager struct {
	client *http.Client
	reg    name.Registry
	path   string // "/v2/_catalog"
	n      int
	retry  retryPolicy
	pages  int
}

// authClient returns an HTTP client authenticated for scopes on reg. The
// ping that ggcr's transport.NewWithContext sends (GET /v2/, then the token
// exchange) is retried like a page (listRetry).
func (c *Client) authClient(ctx context.Context, reg name.Registry, scopes []string) (*http.Client, error) {
	if _, err := c.probe(ctx, reg); err != nil {
		return nil, err
	}
	auth, err := authn.Resolve(ctx, c.opts.Keychain, reg)
	if err != nil {
		return nil, fmt.Errorf("registryclient: credentials for %s: %w (check ~/.docker/config.json and its credential helper)", reg.RegistryStr(), err)
	}
	var rt http.RoundTripper
	err = listRetry.do(ctx, func(actx context.Context) error {
		var err error
		rt, err = transport.NewWithContext(actx, reg, auth, transport.NewUserAgent(c.rt, c.opts.UserAgent), scopes)
		return unreachableIn(err)
	})
	if err != nil {
		c.forget(reg)
		return nil, fmt.Errorf("registryclient: connect to %s: %w", reg.RegistryStr(), err)
	}
	return &http.Client{Transport: rt}, nil
}

// do runs f until it succeeds, fails for good (not transient), or has had
// Attempts tries; each try gets a context bounded by Timeout.
func (r retryPolicy) do(ctx context.Context, f func(context.Context) error) error {
	var lastErr error
	start := time.Now()
	attempt := 0
	for ; attempt < max(1, r.Attempts); attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(r.Base << (attempt - 1)):
			}
		}
		actx, cancel := ctx, context.CancelFunc(func() {})
		if r.Timeout > 0 {
			actx, cancel = context.WithTimeout(ctx, r.Timeout)
		}
		err := f(actx)
		if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) && actx.Err() != nil {
			err = fmt.Errorf("no answer within %v: %w", r.Timeout, err)
		}
		cancel()
		if err == nil {
			return nil
		}
		lastErr = err
		if !transient(err) || ctx.Err() != nil {
			return err
		}
	}
	if attempt == 1 {
		return lastErr
	}
	return fmt.Errorf("gave up after %d attempts in %v: %w", attempt, time.Since(start).Round(time.Millisecond), lastErr)
}

// all fetches every page and returns the concatenated field.
func (p *pager) all(ctx context.Context, field string) ([]string, error) {
	var out []string
	q := url.Values{"n": {strconv.Itoa(p.n)}}
	next := p.path + "?" + q.Encode()
	lastSeen := ""
	for next != "" {
		items, link, err := p.page(ctx, next, field)
		if err != nil {
			return out, err
		}
		p.pages++
		out = append(out, items...)
		switch {
		case link != "":
			next = link
		case len(items) >= p.n && items[len(items)-1] != lastSeen:
			// No Link header but a full page: ask for what follows.
			lastSeen = items[len(items)-1]
			next = p.path + "?" + url.Values{"n": {strconv.Itoa(p.n)}, "last": {lastSeen}}.Encode()
		default:
			next = ""
		}
	}
	return out, nil
}

// page GETs one page with bounded retries on transient errors.
func (p *pager) page(ctx context.Context, pathQuery, field string) (items []string, link string, err error) {
	u := "https://" + p.reg.RegistryStr() + pathQuery
	err = p.retry.do(ctx, func(actx context.Context) error {
		var err error
		items, link, err = p.fetch(actx, u, field)
		return err
	})
	return items, link, err
}

func (p *pager) fetch(ctx context.Context, u, field string) ([]string, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, "", unreachableIn(err) // without the URL: it names the registry and the request
	}
	defer resp.Body.Close()
	if err := transport.CheckError(resp, http.StatusOK); err != nil {
		return nil, "", err
	}
	var body map[string]json.RawMessage
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(&body); err != nil {
		return nil, "", fmt.Errorf("decode %s: %w", u, err)
	}
	var items []string
	if raw, ok := body[field]; ok && string(raw) != "null" {
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, "", fmt.Errorf("decode %s field %q: %w", u, field, err)
		}
	}
	link, err := nextLink(resp.Header.Get("Link"), p.reg)
	return items, link, err
}

// nextLink extracts the path and query of the rel="next" Link, refusing a
// link to another host (a registry must not send us elsewhere).
func nextLink(h string, reg name.Registry) (string, error) {
	if h == "" {
		return "", nil
	}
	for _, part := range strings.Split(h, ",") {
		part = strings.TrimSpace(part)
		if !strings.HasPrefix(part, "<") {
			continue
		}
		end := strings.Index(part, ">")
		if end < 0 {
			return "", fmt.Errorf("malformed Link header %q", h)
		}
		params := part[end+1:]
		if strings.Contains(params, "rel=") && !strings.Contains(params, `rel="next"`) && !strings.Contains(params, "rel=next") {
			continue
		}
		lu, err := url.Parse(part[1:end])
		if err != nil {
			return "", fmt.Errorf("malformed Link header %q: %w", h, err)
		}
		// A relative link ("0", "../x") is relative to the API root, never
		// glued to the host (found by FuzzNextLink: "<0>" went to port 50000).
		if lu.Path == "" && lu.Opaque == "" && lu.Host == "" {
			return "", nil
		}
		lu = (&url.URL{Scheme: "https", Host: reg.RegistryStr(), Path: "/v2/"}).ResolveReference(lu)
		if lu.Host != "" && lu.Host != reg.RegistryStr() {
			return "", fmt.Errorf("registry sent a next-page link to another host %q; refusing", lu.Host)
		}
		if lu.Path == "" {
			return "", nil
		}
		return lu.RequestURI(), nil
	}
	return "", nil
}

// transient reports errors worth retrying: connection resets, timeouts,
// unexpected EOFs and HTTP 429/5xx. TLS verification failures are not.
func transient(err error) bool {
	if err == nil {
		return false
	}
	var ue *UnreachableError
	if errors.As(err, &ue) {
		return ue.Silent // stopped answering: may come back; misconfigured: will not
	}
	var terr *transport.Error
	if errors.As(err, &terr) {
		return terr.StatusCode == http.StatusTooManyRequests || terr.StatusCode >= 500
	}
	var uerr x509.UnknownAuthorityError
	var herr x509.HostnameError
	if errors.As(err, &uerr) || errors.As(err, &herr) {
		return false
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, net.ErrClosed) {
		return true
	}
	var nerr net.Error
	return errors.As(err, &nerr) && nerr.Timeout()
}
