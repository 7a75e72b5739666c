// Package hubquota reads Docker Hub's remaining pull quota without spending
// it: a token for the rate-limit preview repository, then a HEAD of its
// manifest, which Docker Hub answers with the ratelimit-* headers and does
// not count as a pull.
package hubquota

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Docker Hub's endpoints and the repository Docker documents for reading
// the limit.
const (
	DefaultAuthURL     = "https://auth.docker.io/token"
	DefaultRegistryURL = "https://registry-1.docker.io"
	PreviewRepository  = "ratelimitpreview/test"
	service            = "registry.docker.io"
)

// DefaultTimeout bounds one Read (both requests).
const DefaultTimeout = 10 * time.Second

// maxBody bounds the token response read.
const maxBody = 64 << 10

// Options say where to ask and as whom.
type Options struct {
	// AuthURL is the token endpoint; RegistryURL the registry (tests point
	// them at their own servers). Empty: Docker Hub's.
	AuthURL, RegistryURL string
	// Username and Password (or a token) from the developer's Docker
	// credentials; empty: anonymous (the quota of this IP address).
	Username, Password string
	Client             *http.Client
	Timeout            time.Duration
}

// Quota is what Docker Hub says is left.
type Quota struct {
	// Limit and Remaining are pulls per Window.
	Limit     int           `json:"limit"`
	Remaining int           `json:"remaining"`
	Window    time.Duration `json:"window_ns"`
	// Source is docker-ratelimit-source: the IP address or account counted
	// (cleaned; it is not secret but is shown only in --json).
	Source string `json:"source,omitempty"`
	// Authenticated: the quota is an account's, not the IP address's.
	Authenticated bool `json:"authenticated"`
	// Unlimited: Docker Hub sent no limit (a paid account).
	Unlimited bool `json:"unlimited"`
	// Low: fewer than 10 % or fewer than 5 pulls left.
	Low bool `json:"low"`
	// CheckedAt is when it was read.
	CheckedAt time.Time `json:"checked_at"`
}

// String says it for people: "76/100 pulls left per 6h0m0s (anonymous)".
func (q Quota) String() string {
	if q.Unlimited {
		return "no pull limit (authenticated)"
	}
	who := "anonymous, per IP address"
	if q.Authenticated {
		who = "authenticated"
	}
	s := fmt.Sprintf("%d/%d pulls left per %s (%s)", q.Remaining, q.Limit, q.Window, who)
	if q.Low {
		s += ": LOW — pulls through the mirror spend none once cached"
	}
	return s
}

// Error is a quota that could not be read: which request, and why.
type Error struct {
	Step string // "token" or "manifest HEAD"
	URL  string
	Err  error
}

func (e *Error) Error() string {
	return fmt.Sprintf("hubquota: %s %s: %v", e.Step, e.URL, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Read asks Docker Hub (or the configured endpoints) for the quota.
func Read(ctx context.Context, o Options) (*Quota, error) {
	if o.AuthURL == "" {
		o.AuthURL = DefaultAuthURL
	}
	if o.RegistryURL == "" {
		o.RegistryURL = DefaultRegistryURL
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	hc := o.Client
	if hc == nil {
		hc = &http.Client{}
	}
	c := *hc
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	token, err := fetchToken(ctx, &c, o)
	if err != nil {
		return nil, err
	}
	u := strings.TrimSuffix(o.RegistryURL, "/") + "/v2/" + PreviewRepository + "/manifests/latest"
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, u, nil)
	if err != nil {
		return nil, &Error{Step: "manifest HEAD", URL: u, Err: err}
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json")
	resp, err := c.Do(req)
	if err != nil {
		return nil, &Error{Step: "manifest HEAD", URL: u, Err: err}
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &Error{Step: "manifest HEAD", URL: u, Err: fmt.Errorf("status %s", strconv.Itoa(resp.StatusCode))}
	}
	return parse(resp.Header, o.Username != "")
}

func fetchToken(ctx context.Context, c *http.Client, o Options) (string, error) {
	u, err := url.Parse(o.AuthURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
		return "", &Error{Step: "token", URL: o.AuthURL, Err: errors.New("not an http(s) URL")}
	}
	q := u.Query()
	q.Set("service", service)
	q.Set("scope", "repository:"+PreviewRepository+":pull")
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", &Error{Step: "token", URL: o.AuthURL, Err: err}
	}
	if o.Username != "" {
		req.SetBasicAuth(o.Username, o.Password)
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", &Error{Step: "token", URL: o.AuthURL, Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return "", &Error{Step: "token", URL: o.AuthURL, Err: err}
	}
	if resp.StatusCode != http.StatusOK {
		why := fmt.Errorf("status %d", resp.StatusCode)
		if resp.StatusCode == http.StatusUnauthorized && o.Username != "" {
			why = fmt.Errorf("status 401: Docker Hub refused the credentials of your Docker config (run `docker login`)")
		}
		return "", &Error{Step: "token", URL: o.AuthURL, Err: why}
	}
	if len(body) > maxBody {
		return "", &Error{Step: "token", URL: o.AuthURL, Err: fmt.Errorf("response over %d bytes", maxBody)}
	}
	var tr struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &tr); err != nil {
		return "", &Error{Step: "token", URL: o.AuthURL, Err: errors.New("the response is not a token document")}
	}
	t := tr.Token
	if t == "" {
		t = tr.AccessToken
	}
	if t == "" || len(t) > 16<<10 || strings.ContainsAny(t, " \t\r\n") {
		return "", &Error{Step: "token", URL: o.AuthURL, Err: errors.New("no usable token in the response")}
	}
	return t, nil
}

// parse reads ratelimit-limit / ratelimit-remaining ("100;w=21600") and
// docker-ratelimit-source. No limit header: unlimited. A header that is
// there but malformed is an error, never a guess.
func parse(h http.Header, authenticated bool) (*Quota, error) {
	q := &Quota{Authenticated: authenticated, CheckedAt: time.Now()}
	lim, rem := h.Values("Ratelimit-Limit"), h.Values("Ratelimit-Remaining")
	if len(lim) == 0 && len(rem) == 0 {
		q.Unlimited = true
		return q, nil
	}
	if len(lim) != 1 || len(rem) != 1 {
		return nil, &Error{Step: "manifest HEAD", URL: "ratelimit headers", Err: errors.New("missing or repeated ratelimit-limit/ratelimit-remaining")}
	}
	var err error
	var w1, w2 time.Duration
	if q.Limit, w1, err = parseCount(lim[0]); err != nil {
		return nil, &Error{Step: "manifest HEAD", URL: "ratelimit-limit", Err: err}
	}
	if q.Remaining, w2, err = parseCount(rem[0]); err != nil {
		return nil, &Error{Step: "manifest HEAD", URL: "ratelimit-remaining", Err: err}
	}
	if q.Remaining > q.Limit {
		return nil, &Error{Step: "manifest HEAD", URL: "ratelimit headers", Err: fmt.Errorf("remaining %d is over the limit %d", q.Remaining, q.Limit)}
	}
	q.Window = max(w1, w2)
	q.Source = cleanSource(h.Get("Docker-Ratelimit-Source"))
	q.Low = q.Remaining < 5 || q.Remaining*10 < q.Limit
	return q, nil
}

// maxCount bounds a count: Docker Hub's limits are hundreds to thousands.
const maxCount = 1_000_000

// parseCount reads "N" or "N;w=SECONDS".
func parseCount(v string) (int, time.Duration, error) {
	parts := strings.Split(strings.TrimSpace(v), ";")
	n, err := strconv.Atoi(strings.TrimSpace(parts[0]))
	if err != nil || n < 0 || n > maxCount {
		return 0, 0, fmt.Errorf("%q is not a pull count", clip(v))
	}
	var w time.Duration
	for _, p := range parts[1:] {
		k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || k != "w" {
			continue
		}
		s, err := strconv.Atoi(val)
		if err != nil || s <= 0 || s > 31*24*3600 {
			return 0, 0, fmt.Errorf("%q: window %q is not a number of seconds", clip(v), clip(val))
		}
		w = time.Duration(s) * time.Second
	}
	return n, w, nil
}

// cleanSource keeps an IP address or account id: printable ASCII without
// spaces, at most 64 bytes.
func cleanSource(s string) string {
	if len(s) > 64 {
		return ""
	}
	for _, r := range s {
		if r <= 0x20 || r >= 0x7f {
			return ""
		}
	}
	return s
}

func clip(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r > 0x7e {
			return '?'
		}
		return r
	}, s)
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
