package env

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/registryclient"
	"github.com/esbtui/esbtui/stack"
)

// GC runs the registry's garbage collection (`registry garbage-collect
// --delete-untagged`): the real run stops the registry, sweeps, and starts
// it again healthy (so a re-push right after cannot hit the stale blob
// cache); dryRun only lists what would go. `esbtui prune --keep N` then GC
// is the retention policy. The real run is recorded in the audit log.
func (e *Env) GC(ctx context.Context, dryRun bool, sink progress.Sink) (*stack.GCResult, error) {
	eng, err := e.Engine(ctx)
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	res, err := eng.GarbageCollect(ctx, e.Cfg.Project, stack.GCOptions{DryRun: dryRun}, sink)
	if err != nil {
		e.Log.Error("registry gc", "project", e.Cfg.Project, "dry_run", dryRun, "error", err.Error())
		if !dryRun {
			e.record("registry.gc.failed", map[string]any{"project": e.Cfg.Project, "error": err.Error()})
		}
		return nil, fmt.Errorf("gc: %w", err)
	}
	if !dryRun {
		e.record("registry.gc", map[string]any{
			"project": e.Cfg.Project, "bytes_reclaimed": res.BytesReclaimed,
			"manifests": len(res.Manifests), "blobs": len(res.Blobs),
			"gc_ms": res.GC.Milliseconds(), "downtime_ms": res.Downtime.Milliseconds(),
		})
	}
	return res, nil
}

// MetricsURL is the registry's Prometheus endpoint: its debug server,
// published on loopback at the registry port + 1.
func (e *Env) MetricsURL() string {
	return fmt.Sprintf("http://127.0.0.1:%d/metrics", e.debugPort())
}

// ScrapeMetrics reads the registry's counters once. The TUI polls it and
// feeds consecutive samples to registryclient.ComputeMetrics for live
// rates.
func (e *Env) ScrapeMetrics(ctx context.Context) (*registryclient.MetricsSample, error) {
	c, err := e.Registry()
	if err != nil {
		return nil, err
	}
	return c.ScrapeMetrics(ctx, e.MetricsURL())
}

// Metrics are the registry's request rate, error rate, p95 latency and
// bytes in/out: over interval (two scrapes that far apart), or since the
// registry started when interval is 0.
func (e *Env) Metrics(ctx context.Context, interval time.Duration) (*registryclient.Metrics, error) {
	first, err := e.ScrapeMetrics(ctx)
	if err != nil {
		return nil, err
	}
	if interval <= 0 {
		m := registryclient.ComputeMetrics(nil, first)
		return &m, nil
	}
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("metrics: %w", ctx.Err())
	case <-time.After(interval):
	}
	second, err := e.ScrapeMetrics(ctx)
	if err != nil {
		return nil, err
	}
	m := registryclient.ComputeMetrics(first, second)
	return &m, nil
}

// AuthStatus describes the registry's basic auth.
type AuthStatus struct {
	Enabled bool   `json:"enabled"`
	User    string `json:"user,omitempty"`
	// PasswordFile holds the password (0600); it is never printed.
	PasswordFile string `json:"password_file,omitempty"`
	HTPasswd     string `json:"htpasswd,omitempty"`
	// Login is where the client login is stored: a config.json path or a
	// docker-credential-* helper.
	Login string `json:"login,omitempty"`
	// Verified is set by rotate when the registry accepted the new password
	// and refused the old one.
	Verified bool `json:"verified,omitempty"`
}

// BindNeedsAuthError is a non-loopback --bind without basic auth, or a
// compose file that publishes the registry (or a service holding one of
// esbtui's keys) beyond loopback without it (Exposure set; see exposure.go).
type BindNeedsAuthError struct {
	Bind     string
	Exposure *stack.Exposure
	Files    []string
}

func (e *BindNeedsAuthError) Error() string {
	if e.Exposure != nil {
		return e.exposureError()
	}
	return fmt.Sprintf("up: refusing to publish the registry on %s without authentication: anyone who can reach this machine could push and delete images; add --auth (`esbtui up --auth --bind %s`), or leave --bind out to stay on 127.0.0.1", e.Bind, e.Bind)
}

// AuthOffError is `auth rotate` while auth is off.
type AuthOffError struct{}

func (AuthOffError) Error() string {
	return "auth: basic auth is off for this registry: turn it on with `esbtui up --auth`"
}

func (e *Env) authDir() string      { return filepath.Join(e.Cfg.Home, "auth") }
func (e *Env) htpasswdDir() string  { return filepath.Join(e.authDir(), "registry") }
func (e *Env) passwordFile() string { return filepath.Join(e.authDir(), "password") }

// AuthEnabled reports whether the registry runs with basic auth (the
// htpasswd file exists; `esbtui up --auth` creates it, --auth=false
// removes it).
func (e *Env) AuthEnabled() bool {
	_, err := os.Stat(filepath.Join(e.htpasswdDir(), stack.HTPasswdFile))
	return err == nil
}

// Auth is the current auth state.
func (e *Env) Auth() AuthStatus {
	if !e.AuthEnabled() {
		return AuthStatus{}
	}
	return AuthStatus{Enabled: true, User: stack.AuthUser, PasswordFile: e.passwordFile(), HTPasswd: filepath.Join(e.htpasswdDir(), stack.HTPasswdFile)}
}

// opsEnv is what LoadStack injects for bind, auth and notifications.
func (e *Env) opsEnv(o StackOptions) map[string]string {
	os.MkdirAll(e.htpasswdDir(), 0o700) // mounted at /auth even when auth is off
	bind := o.Bind
	if bind == "" {
		bind = "127.0.0.1"
	}
	m := map[string]string{"ESB_AUTH_DIR": e.htpasswdDir(), "ESB_REGISTRY_BIND": bind}
	if e.AuthEnabled() {
		m["ESB_REGISTRY_AUTH"] = stack.AuthConfigYAML()
	}
	m["ESB_REGISTRY_NOTIFICATIONS"] = e.notificationsYAML()
	return m
}

// prepareOps runs before `up` loads the project: it turns auth on or off
// as asked, refuses a non-loopback bind without auth, and makes sure the
// client login matches the password.
func (e *Env) prepareOps(ctx context.Context, o StackOptions, rep progress.Reporter) error {
	if o.Auth != nil {
		if *o.Auth {
			if _, err := e.AuthEnable(ctx, rep.Sink); err != nil {
				return err
			}
		} else if e.AuthEnabled() {
			if err := e.AuthDisable(ctx, rep.Sink); err != nil {
				return err
			}
		}
	}
	if !loopbackBind(o.Bind) && !e.AuthEnabled() {
		return &BindNeedsAuthError{Bind: o.Bind}
	}
	if e.AuthEnabled() && (o.Auth == nil || !*o.Auth) {
		// A wiped config.json must not lock our own client out.
		if _, err := e.AuthEnable(ctx, rep.Sink); err != nil {
			return err
		}
	}
	return nil
}

func loopbackBind(bind string) bool {
	if bind == "" || bind == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(bind, "[]"))
	return ip != nil && ip.IsLoopback()
}

// AuthEnable creates the registry user (random password, bcrypt htpasswd,
// both 0600 under $ESB_HOME/auth) when there is none and logs the Docker
// CLI and esbtui's client in (config.json or its credential helper). The
// registry picks it up on the next `up`.
func (e *Env) AuthEnable(ctx context.Context, sink progress.Sink) (*AuthStatus, error) {
	rep := progress.Reporter{Op: "auth", Sink: sink}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	password, err := stack.ReadSecret(e.passwordFile())
	created := false
	if err != nil || password == "" || !e.AuthEnabled() {
		if password, err = stack.NewPassword(); err != nil {
			return nil, err
		}
		if err := stack.WriteSecret(e.passwordFile(), password); err != nil {
			return nil, fmt.Errorf("auth: %w", err)
		}
		if err := stack.WriteHTPasswd(e.htpasswdDir(), stack.AuthUser, password); err != nil {
			return nil, fmt.Errorf("auth: %w", err)
		}
		created = true
		rep.Step("user", progress.Done, fmt.Sprintf("registry user %s created; password in %s (0600)", stack.AuthUser, e.passwordFile()))
	}
	where, err := stack.DockerLogin(e.Cfg.Registry, stack.AuthUser, password)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	rep.Step("login", progress.Done, fmt.Sprintf("logged in to %s as %s (%s)", e.Cfg.Registry, stack.AuthUser, where))
	st := e.Auth()
	st.Login = where
	if created {
		e.record("registry.auth.enabled", map[string]any{"user": stack.AuthUser, "htpasswd": st.HTPasswd, "login": where, "registry": e.Cfg.Registry})
	}
	return &st, nil
}

// AuthDisable removes the registry user, its password and the client
// login; the registry runs without auth from the next `up`.
func (e *Env) AuthDisable(ctx context.Context, sink progress.Sink) error {
	rep := progress.Reporter{Op: "auth", Sink: sink}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := stack.DockerLogout(e.Cfg.Registry); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	for _, f := range []string{filepath.Join(e.htpasswdDir(), stack.HTPasswdFile), e.passwordFile()} {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("auth: remove %s: %w", f, err)
		}
	}
	rep.Step("user", progress.Done, "basic auth off; logged out of "+e.Cfg.Registry)
	e.record("registry.auth.disabled", map[string]any{"registry": e.Cfg.Registry})
	return nil
}

// AuthRotate gives the registry user a new random password: the htpasswd
// is replaced atomically (the registry re-reads it on change, no restart),
// the client login updated, and, when the registry is up, checked: the new
// password is accepted and the old one refused.
func (e *Env) AuthRotate(ctx context.Context, sink progress.Sink) (*AuthStatus, error) {
	rep := progress.Reporter{Op: "auth-rotate", Sink: sink}
	if !e.AuthEnabled() {
		return nil, AuthOffError{}
	}
	old, _ := stack.ReadSecret(e.passwordFile())
	password, err := stack.NewPassword()
	if err != nil {
		return nil, err
	}
	if err := stack.WriteSecret(e.passwordFile(), password); err != nil {
		return nil, fmt.Errorf("auth rotate: %w", err)
	}
	if err := stack.WriteHTPasswd(e.htpasswdDir(), stack.AuthUser, password); err != nil {
		return nil, fmt.Errorf("auth rotate: %w (the new password is in %s: run `esbtui auth rotate` again)", err, e.passwordFile())
	}
	rep.Step("htpasswd", progress.Done, "new password for "+stack.AuthUser+" in "+e.passwordFile())
	where, err := stack.DockerLogin(e.Cfg.Registry, stack.AuthUser, password)
	if err != nil {
		return nil, fmt.Errorf("auth rotate: %w", err)
	}
	rep.Step("login", progress.Done, "login updated ("+where+")")
	st := e.Auth()
	st.Login = where
	rep.Step("verify", progress.Start, "checking the registry accepts only the new password")
	if err := e.verifyAuth(ctx, password, old); err != nil {
		rep.Step("verify", progress.Warning, err.Error())
	} else {
		st.Verified = true
		rep.Step("verify", progress.Done, "new password accepted, old one refused")
	}
	e.record("registry.auth.rotated", map[string]any{"user": stack.AuthUser, "htpasswd": st.HTPasswd, "login": where, "verified": st.Verified})
	return &st, nil
}

// verifyAuth GETs /v2/ with the new and the old password (for up to 5 s,
// the registry reloads the htpasswd on its next request).
func (e *Env) verifyAuth(ctx context.Context, password, old string) error {
	pool, err := e.CAPool()
	if err != nil {
		return err
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	status := func(pw string) (int, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+e.RegistryAddr()+"/v2/", nil)
		if err != nil {
			return 0, err
		}
		req.SetBasicAuth(stack.AuthUser, pw)
		resp, err := hc.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		newCode, err := status(password)
		if err != nil {
			return fmt.Errorf("the registry is not reachable to check the new password (%v): it applies when the stack is up", err)
		}
		oldCode := http.StatusUnauthorized
		if old != "" {
			if oldCode, err = status(old); err != nil {
				return err
			}
		}
		if newCode == http.StatusOK && oldCode == http.StatusUnauthorized {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the registry answers %d to the new password and %d to the old one: restart it (`esbtui down && esbtui up`)", newCode, oldCode)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// EventsPort is the host port esbtui's notification listener uses: the
// registry port + 2.
func (e *Env) EventsPort() int { return e.Cfg.RegistryPort + 2 }

func (e *Env) eventsTokenFile() string { return filepath.Join(e.authDir(), "events-token") }

// eventsToken is the bearer token the registry sends with notifications
// (created once, 0600).
func (e *Env) eventsToken() (string, error) {
	if t, err := stack.ReadSecret(e.eventsTokenFile()); err == nil && t != "" {
		return t, nil
	}
	t, err := stack.NewPassword()
	if err != nil {
		return "", err
	}
	if err := stack.WriteSecret(e.eventsTokenFile(), t); err != nil {
		return "", fmt.Errorf("events: %w", err)
	}
	return t, nil
}

// notificationsYAML is the registry's endpoint list: POST to esbtui's
// listener on the host, with the token. While no esbtui listens the
// registry queues events in memory and retries (every 5 s after 3
// failures), so a listener started later receives them. Blob pushes and
// pulls (media type application/octet-stream: about two thirds of all
// events, none of which esbtui shows) are dropped by the registry before
// its queue; blob deletes carry no media type and still arrive.
func (e *Env) notificationsYAML() string {
	token, err := e.eventsToken()
	if err != nil {
		e.Log.Warn("registry notifications off", "error", err.Error())
		return ""
	}
	return fmt.Sprintf(`[{name: esbtui, url: "http://host.docker.internal:%d%s", headers: {Authorization: ["Bearer %s"]}, timeout: 2s, threshold: 3, backoff: 5s, ignore: {mediatypes: [application/octet-stream]}}]`,
		e.EventsPort(), registryclient.EventsPath, token)
}

// WatchRegistryEvents listens for the registry's notifications (pushes,
// pulls, deletes by any client) until ctx is done, on the address
// containers reach as host.docker.internal at EventsPort. The channel
// closes when ctx ends. Only one listener per registry can run (the
// dashboard or `esbtui events`).
func (e *Env) WatchRegistryEvents(ctx context.Context) (<-chan registryclient.RegistryEvent, string, error) {
	token, err := e.eventsToken()
	if err != nil {
		return nil, "", err
	}
	host := os.Getenv("ESB_HOST_GATEWAY")
	if net.ParseIP(host) == nil {
		eng, err := e.Engine(ctx)
		if err != nil {
			return nil, "", err
		}
		gw, err := eng.HostGatewayIP(ctx)
		eng.Close()
		if err != nil {
			return nil, "", err
		}
		host = gw.IP.String()
		e.Log.Info("host gateway", "ip", host, "from", gw.Source)
	}
	l, err := registryclient.ListenEvents(ctx, net.JoinHostPort(host, strconv.Itoa(e.EventsPort())), token)
	if err != nil {
		return nil, "", err
	}
	e.Log.Info("registry events listener", "addr", l.Addr())
	return l.Events(), l.Addr(), nil
}
