package registryclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
)

// Ping is what a successful probe learned.
type Ping struct {
	Registry   string        `json:"registry"`
	Auth       string        `json:"auth,omitempty"` // WWW-Authenticate scheme when /v2/ says 401
	APIVersion string        `json:"api_version,omitempty"`
	Latency    time.Duration `json:"latency_ns"`
}

// Probe checks each link to the registry in order (name lookup, TCP, TLS
// with our roots, GET /v2/) and returns *UnreachableError naming the first
// that fails and the likely fix.
func (c *Client) Probe(ctx context.Context, registry string) (*Ping, error) {
	reg, err := ParseRegistry(registry)
	if err != nil {
		return nil, err
	}
	return c.probeOnce(ctx, reg)
}

// probe runs the staged check once per registry per probeTTL; a failure is
// never cached.
func (c *Client) probe(ctx context.Context, reg name.Registry) (*Ping, error) {
	c.mu.Lock()
	p, ok := c.probed[reg.RegistryStr()]
	c.mu.Unlock()
	if ok && time.Since(p.at) < probeTTL {
		return p.ping, nil
	}
	ping, err := c.probeOnce(ctx, reg)
	if err == nil {
		c.mu.Lock()
		c.probed[reg.RegistryStr()] = probed{ping: ping, at: time.Now()}
		c.mu.Unlock()
	}
	return ping, err
}

const probeTTL = 30 * time.Second

// forget drops reg's cached probe: after a registry stopped answering, the
// next call checks each link again (and names the broken one).
func (c *Client) forget(reg name.Registry) {
	c.mu.Lock()
	delete(c.probed, reg.RegistryStr())
	c.mu.Unlock()
}

type probed struct {
	ping *Ping
	at   time.Time
}

func (c *Client) probeOnce(ctx context.Context, reg name.Registry) (*Ping, error) {
	start := time.Now()
	addr := reg.RegistryStr()
	hostport := addr
	if _, _, err := net.SplitHostPort(addr); err != nil {
		// no port: HTTPS's ("[::1]" is host ::1)
		hostport = net.JoinHostPort(strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]"), "443")
	}
	host, _, _ := net.SplitHostPort(hostport)
	fail := func(st Stage, status int, reason, fix string, err error) (*Ping, error) {
		return nil, &UnreachableError{Registry: addr, Stage: st, Status: status, Reason: reason, Fix: fix, Err: err}
	}
	upFix := "start the stack with `esbtui up` (or the in-process registry with `esbtui serve`), or set ESB_REGISTRY to the right address"

	if net.ParseIP(host) == nil {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err := net.DefaultResolver.LookupHost(rctx, host)
		cancel()
		if err != nil {
			return fail(StageDNS, 0, err.Error(), "check the registry name (ESB_REGISTRY) and your DNS", err)
		}
	}

	dctx, cancel := context.WithTimeout(ctx, DefaultDialTimeout)
	raw, err := c.opts.dial(dctx, "tcp", hostport)
	cancel()
	if err != nil {
		return fail(StageTCP, 0, shortNetErr(err), "nothing answers at "+hostport+": "+upFix, err)
	}
	tconn, err := clientHandshake(ctx, raw, tlsConfig(c.roots, host), c.opts.HandshakeTimeout)
	if err != nil {
		var ue *UnreachableError
		if errors.As(err, &ue) { // accepted TCP, then silence
			ue.Registry = addr
			return nil, ue
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("registryclient: probe %s: %w", addr, ctx.Err())
		}
		reason, fix := classifyTLS(hostport, c.opts.CACertFile, err)
		return fail(StageTLS, 0, reason, fix, err)
	}
	tconn.Close()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+addr+"/v2/", nil)
	if err != nil {
		return nil, fmt.Errorf("registryclient: probe %s: %w", addr, err)
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	resp, err := (&http.Client{Transport: c.rt}).Do(req)
	if err != nil {
		var ue *UnreachableError
		if errors.As(err, &ue) {
			ue.Registry = addr
			return nil, ue
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("registryclient: probe %s: %w", addr, ctx.Err())
		}
		return fail(StageHTTP, 0, err.Error(), "the registry accepted TLS but did not answer HTTP: restart it with `esbtui down && esbtui up`", err)
	}
	drain(resp)
	p := &Ping{Registry: addr, APIVersion: resp.Header.Get("Docker-Distribution-API-Version"), Latency: time.Since(start)}
	switch resp.StatusCode {
	case http.StatusOK:
		return p, nil
	case http.StatusUnauthorized:
		p.Auth = resp.Header.Get("WWW-Authenticate")
		return p, nil
	case http.StatusNotFound:
		return fail(StageHTTP, resp.StatusCode, "GET /v2/ returned 404 Not Found: this HTTPS server is not a container registry",
			"another service holds "+hostport+"? check with `esbtui status`, free the port, then `esbtui up`", nil)
	}
	return fail(StageHTTP, resp.StatusCode, "GET /v2/ returned "+resp.Status,
		"see the registry's log (`docker logs esb-registry`) and restart it with `esbtui up`", nil)
}

func shortNetErr(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err.Error()
	}
	return err.Error()
}
