// Package registryclient talks to OCI/Docker registries over TLS that trusts
// the esbtui CA (plus the system pool): catalog and tags with correct
// pagination, inspect, delete, retention (prune), copy, pull, and a fast push
// of a docker-save tarball (each layer compressed once, in parallel, uploaded
// concurrently over HTTP/1.1, with a diffID → digest cache so an unchanged
// layer is never compressed again).
//
// It builds on go-containerregistry but pages the catalog itself (ggcr's
// pagination rejects the Link header of registries named localhost or a
// private IP) and never imports ggcr's daemon package.
package registryclient

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/esbtui/esbtui/internal/config"
)

// Defaults.
const (
	DefaultJobs     = 4
	DefaultPageSize = 1000
	// MaxPageSize is the largest n distribution accepts on /v2/_catalog.
	MaxPageSize = 1000
)

// Options configure a Client. The zero value works: system roots only,
// the Docker keychain, no layer cache.
type Options struct {
	// CACertFile is a PEM file of extra roots (esbtui's rootCA.crt). A missing
	// file is not an error: the system pool alone is used.
	CACertFile string
	// Roots, when set, is used instead of the system pool plus CACertFile.
	Roots *x509.CertPool
	// Keychain resolves credentials; nil means authn.DefaultKeychain
	// (~/.docker/config.json and its credential helpers).
	Keychain authn.Keychain
	// Jobs is the number of concurrent blob uploads (and connections).
	Jobs int
	// PageSize is n for catalog and tags pages (1..1000).
	PageSize int
	// CacheDir holds the layer cache (layers.json) and push temp files; empty
	// disables the cache and uses the system temp dir.
	CacheDir string
	// Platform picks the image of an index on pull and inspect; nil means
	// linux/GOARCH.
	Platform *v1.Platform
	// UserAgent is sent with every request.
	UserAgent string
	// HandshakeTimeout bounds each TLS handshake (default
	// DefaultHandshakeTimeout); ResponseTimeout bounds the wait for the
	// response headers of each GET and HEAD (default DefaultResponseTimeout).
	// Neither bounds a body transfer.
	HandshakeTimeout time.Duration
	ResponseTimeout  time.Duration

	// dial opens TCP connections (nil: net.Dialer). Tests set it to reach
	// a server on another port than the address names, e.g. "127.0.0.1"
	// (port 443).
	dial dialFunc
}

// Client is safe for concurrent use.
type Client struct {
	opts  Options
	roots *roots
	tr    *http.Transport
	// rt is tr with the response-header bound of boundedTransport, HTTPS
	// only: every request to a registry (ggcr's and ours) goes through it.
	rt    http.RoundTripper
	cache *layerCache

	mu     sync.Mutex
	probed map[string]probed
	// counters for tests and the closing report
	stats statsBox
}

// New builds a Client. It reads CACertFile once.
func New(o Options) (*Client, error) {
	if o.Jobs <= 0 {
		o.Jobs = DefaultJobs
	}
	if o.PageSize <= 0 || o.PageSize > MaxPageSize {
		o.PageSize = DefaultPageSize
	}
	if o.Keychain == nil {
		o.Keychain = authn.DefaultKeychain
	}
	if o.Platform == nil {
		o.Platform = &v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	}
	if o.UserAgent == "" {
		o.UserAgent = "esbtui"
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if o.ResponseTimeout <= 0 {
		o.ResponseTimeout = DefaultResponseTimeout
	}
	roots := &roots{fixed: o.Roots}
	if o.Roots == nil {
		var err error
		roots, err = loadRoots(o.CACertFile)
		if err != nil {
			return nil, err
		}
	}
	if o.dial == nil {
		o.dial = netDial()
	}
	tr := newTransport(roots, o.Jobs, o.dial, o.HandshakeTimeout)
	rt := httpsOnly{base: &boundedTransport{base: tr, headers: o.ResponseTimeout}}
	c := &Client{opts: o, roots: roots, tr: tr, rt: rt, probed: map[string]probed{}}
	if o.CacheDir != "" {
		c.cache = newLayerCache(filepath.Join(o.CacheDir, "layers.json"))
	}
	return c, nil
}

// Close drops idle connections.
func (c *Client) Close() { c.tr.CloseIdleConnections() }

// Transport is the HTTP/1.1 transport trusting the configured roots; tests
// and benchmarks reuse it. It bounds the dial and the TLS handshake; the
// client's own requests also bound the wait for GET/HEAD response headers.
func (c *Client) Transport() *http.Transport { return c.tr }

// regErr wraps err from an operation on reg as "registryclient: OP: err".
// When a registry stopped answering (an *UnreachableError somewhere in
// err, e.g. inside ggcr's ping errors), that error alone is kept, without
// the URL noise around it, and reg is probed again on the next call.
func (c *Client) regErr(reg name.Registry, op string, err error) error {
	if ue := unreachableIn(err); ue != err {
		c.forget(reg)
		return cleanErr(fmt.Errorf("registryclient: %s: %w", op, ue))
	}
	return cleanErr(fmt.Errorf("registryclient: %s: %w", op, err))
}

// unreachableIn returns the *UnreachableError inside err, or err.
func unreachableIn(err error) error {
	var ue *UnreachableError
	if errors.As(err, &ue) {
		return ue
	}
	return err
}

// remoteOptions are the ggcr options every call uses.
func (c *Client) remoteOptions(ctx context.Context, extra ...remote.Option) []remote.Option {
	o := []remote.Option{
		remote.WithContext(ctx),
		remote.WithTransport(c.rt),
		remote.WithAuthFromKeychain(c.opts.Keychain),
		remote.WithJobs(c.opts.Jobs),
		remote.WithUserAgent(c.opts.UserAgent),
		remote.WithPlatform(*c.opts.Platform),
	}
	return append(o, extra...)
}

func (c *Client) tempDir() string {
	if c.opts.CacheDir != "" {
		d := filepath.Join(c.opts.CacheDir, "tmp")
		if os.MkdirAll(d, 0o700) == nil {
			return d
		}
	}
	return os.TempDir()
}

// ParseReference parses an image reference. A reference without a registry
// host ("app:1", "team/app") is taken to be in defaultRegistry, never Docker
// Hub, so `esbtui inspect app` means the local registry.
func ParseReference(s, defaultRegistry string) (name.Reference, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, &BadReferenceError{Ref: s, Err: fmt.Errorf("empty reference")}
	}
	opts, err := defaultRegistryOpt(defaultRegistry)
	if err != nil {
		return nil, err
	}
	ref, err := name.ParseReference(s, opts...)
	if err != nil {
		return nil, &BadReferenceError{Ref: s, Err: err}
	}
	return ref, nil
}

// ParseRepository parses a repository name ("app", "localhost:5000/team/app").
func ParseRepository(s, defaultRegistry string) (name.Repository, error) {
	s = strings.TrimSpace(s)
	opts, err := defaultRegistryOpt(defaultRegistry)
	if err != nil {
		return name.Repository{}, err
	}
	repo, err := name.NewRepository(s, opts...)
	if err != nil {
		return name.Repository{}, &BadReferenceError{Ref: s, Err: err}
	}
	return repo, nil
}

// defaultRegistryOpt checks defaultRegistry with the rule ESB_REGISTRY
// follows (config.CheckRegistry): a registry ImageRef can put in front of
// a name and name parsing still reads as the registry.
func defaultRegistryOpt(defaultRegistry string) ([]name.Option, error) {
	if defaultRegistry == "" {
		return nil, nil
	}
	if err := config.CheckRegistry(defaultRegistry); err != nil {
		return nil, &BadReferenceError{Ref: defaultRegistry, Err: err, Registry: true}
	}
	return []name.Option{name.WithDefaultRegistry(defaultRegistry)}, nil
}

// ParseRegistry parses a registry address (host[:port]) that follows
// config.CheckRegistry.
func ParseRegistry(s string) (name.Registry, error) {
	s = strings.TrimSpace(s)
	if err := config.CheckRegistry(s); err != nil {
		return name.Registry{}, &BadReferenceError{Ref: s, Err: err, Registry: true}
	}
	reg, err := name.NewRegistry(s)
	if err != nil {
		return name.Registry{}, &BadReferenceError{Ref: s, Err: err, Registry: true}
	}
	return reg, nil
}

// ImageRef maps a function name to its image reference: "<registry>/<name>:latest"
// when a registry is configured, the bare "<name>:latest" otherwise (the rule
// the agent uses). A name that already carries a tag or digest keeps it.
// registry must pass config.CheckRegistry (config.Load checks it), or the
// reference would name a Docker Hub repository.
func ImageRef(registry, fn string) string {
	fn = strings.ToLower(strings.TrimSpace(fn))
	ref := fn
	if registry != "" {
		ref = strings.TrimSuffix(registry, "/") + "/" + fn
	}
	last := ref[strings.LastIndex(ref, "/")+1:]
	if !strings.Contains(last, ":") && !strings.Contains(last, "@") {
		ref += ":latest"
	}
	return ref
}
