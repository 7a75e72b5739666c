package registryserver

import (
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
)

// A pull asks for the same tag several times (docker: HEAD then GET; a
// compose project: every service on the same base image), and
// distribution's proxy asks the upstream each time (a HEAD of the tag's
// manifest, to follow a moving tag). The mirror answers a repeated HEAD
// of the same tag, with the same Accept, from the upstream's answer of at
// most tagCheckWindow ago: a tag that moves upstream is seen at most that
// much later, and a burst of pulls costs one round trip.
const (
	tagCheckWindow = 30 * time.Second
	maxTagChecks   = 4096
)

// tagManifestPath is /v2/<name>/manifests/<tag> (a tag, not a digest).
var tagManifestPath = regexp.MustCompile(`^/v2/.+/manifests/[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)

type tagCheck struct {
	at     time.Time
	header http.Header
}

type tagChecks struct {
	mu sync.Mutex
	m  map[string]tagCheck
	// byPath is the last answer for a tag path, whatever the Accept.
	byPath map[string]tagCheck
}

// pingKey is the key of distribution's ping of the upstream's /v2/.
// distribution pings before every upstream request while it has no auth
// challenge from the upstream (an upstream without auth answers 200 with
// none), and never drains the answer, so each ping is a new TLS
// connection: ~10 ms on every tag request. A 200 is kept for the window.
const pingKey = "GET /v2/"

func tagCheckKey(r *http.Request) (string, bool) {
	if r.Method == http.MethodGet && r.URL.Path == "/v2/" && r.URL.RawQuery == "" {
		return r.URL.Host + " " + pingKey, true
	}
	if r.Method != http.MethodHead || !tagManifestPath.MatchString(r.URL.Path) || r.URL.RawQuery != "" {
		return "", false
	}
	// distribution lists its media types from a map: the same set comes
	// in any order.
	var accept []string
	for _, v := range r.Header.Values("Accept") {
		for _, t := range strings.Split(v, ",") {
			accept = append(accept, strings.TrimSpace(t))
		}
	}
	sort.Strings(accept)
	return r.URL.Host + r.URL.Path + "\n" + strings.Join(accept, ","), true
}

// lookup answers r from a recent upstream answer, or returns nil.
func (c *tagChecks) lookup(r *http.Request, now time.Time) *http.Response {
	key, ok := tagCheckKey(r)
	if !ok {
		return nil
	}
	c.mu.Lock()
	tc, ok := c.m[key]
	c.mu.Unlock()
	if !ok || now.Sub(tc.at) > tagCheckWindow || now.Before(tc.at) {
		return nil
	}
	resp := &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: tc.header.Clone(), Body: http.NoBody, ContentLength: headerLength(tc.header), Request: r,
	}
	if r.Method == http.MethodGet {
		resp.Body, resp.ContentLength = io.NopCloser(strings.NewReader("{}")), 2
		resp.Header.Set("Content-Length", "2")
	}
	return resp
}

// store keeps a successful HEAD of a tag that carries its digest.
func (c *tagChecks) store(r *http.Request, resp *http.Response, now time.Time) {
	key, ok := tagCheckKey(r)
	if !ok || resp.StatusCode != http.StatusOK {
		return
	}
	ping := r.Method == http.MethodGet
	if !ping && resp.Header.Get("Docker-Content-Digest") == "" {
		return
	}
	if ping && resp.Header.Get("WWW-Authenticate") != "" {
		return
	}
	h := http.Header{}
	for _, k := range []string{"Content-Type", "Content-Length", "Docker-Content-Digest", "Etag", "Docker-Distribution-Api-Version"} {
		if v := resp.Header.Get(k); v != "" {
			h.Set(k, v)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxTagChecks {
		c.m = map[string]tagCheck{}
		c.byPath = map[string]tagCheck{}
	}
	c.m[key] = tagCheck{at: now, header: h}
	if !ping {
		c.byPath[r.URL.Path] = tagCheck{at: now, header: h}
	}
}

// fresh is the digest and media type the upstream gave for the tag at
// path (/v2/<name>/manifests/<tag>) within the window.
func (c *tagChecks) fresh(path string, now time.Time) (digest.Digest, string, bool) {
	c.mu.Lock()
	tc, ok := c.byPath[path]
	c.mu.Unlock()
	if !ok || now.Sub(tc.at) > tagCheckWindow || now.Before(tc.at) {
		return "", "", false
	}
	d, err := digest.Parse(tc.header.Get("Docker-Content-Digest"))
	if err != nil {
		return "", "", false
	}
	mt, _, _ := strings.Cut(tc.header.Get("Content-Type"), ";")
	return d, strings.TrimSpace(mt), true
}

func headerLength(h http.Header) int64 {
	n, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// clear forgets every check (the upstream failed: nothing it said stands).
func (c *tagChecks) clear() {
	c.mu.Lock()
	c.m, c.byPath = nil, nil
	c.mu.Unlock()
}
