package flows

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/registryclient"
	"github.com/esbtui/esbtui/registryserver"
	"github.com/esbtui/esbtui/stack"
)

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

func (e *Env) authDir() string { return filepath.Join(e.Cfg.Home, "auth") }

func (e *Env) htpasswdDir() string { return filepath.Join(e.authDir(), "registry") }

func (e *Env) passwordFile() string { return filepath.Join(e.authDir(), "password") }

// AuthEnabled reports whether the registry runs with basic auth (the
// htpasswd file exists; `esbtui up --auth` creates it, --auth=false
// removes it).
func (e *Env) AuthEnabled() bool {
	_, err := os.Stat(filepath.Join(e.htpasswdDir(), registryserver.HTPasswdFile))
	return err == nil
}

// Auth is the current auth state.
func (e *Env) Auth() AuthStatus {
	if !e.AuthEnabled() {
		return AuthStatus{}
	}
	return AuthStatus{Enabled: true, User: registryserver.AuthUser, PasswordFile: e.passwordFile(), HTPasswd: filepath.Join(e.htpasswdDir(), registryserver.HTPasswdFile)}
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
	password, err := registryserver.ReadSecret(e.passwordFile())
	created := false
	if err != nil || password == "" || !e.AuthEnabled() {
		if password, err = registryserver.NewPassword(); err != nil {
			return nil, err
		}
		if err := registryserver.WriteSecret(e.passwordFile(), password); err != nil {
			return nil, fmt.Errorf("auth: %w", err)
		}
		if err := registryserver.WriteHTPasswd(e.htpasswdDir(), registryserver.AuthUser, password); err != nil {
			return nil, fmt.Errorf("auth: %w", err)
		}
		created = true
		rep.Step("user", progress.Done, fmt.Sprintf("registry user %s created; password in %s (0600)", registryserver.AuthUser, e.passwordFile()))
	}
	where, err := registryclient.DockerLogin(e.Cfg.Registry, registryserver.AuthUser, password)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	rep.Step("login", progress.Done, fmt.Sprintf("logged in to %s as %s (%s)", e.Cfg.Registry, registryserver.AuthUser, where))
	st := e.Auth()
	st.Login = where
	if created {
		e.record("registry.auth.enabled", map[string]any{"user": registryserver.AuthUser, "htpasswd": st.HTPasswd, "login": where, "registry": e.Cfg.Registry})
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
	if err := registryclient.DockerLogout(e.Cfg.Registry); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	for _, f := range []string{filepath.Join(e.htpasswdDir(), registryserver.HTPasswdFile), e.passwordFile()} {
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
	old, _ := registryserver.ReadSecret(e.passwordFile())
	password, err := registryserver.NewPassword()
	if err != nil {
		return nil, err
	}
	if err := registryserver.WriteSecret(e.passwordFile(), password); err != nil {
		return nil, fmt.Errorf("auth rotate: %w", err)
	}
	if err := registryserver.WriteHTPasswd(e.htpasswdDir(), registryserver.AuthUser, password); err != nil {
		return nil, fmt.Errorf("auth rotate: %w (the new password is in %s: run `esbtui auth rotate` again)", err, e.passwordFile())
	}
	rep.Step("htpasswd", progress.Done, "new password for "+registryserver.AuthUser+" in "+e.passwordFile())
	if err := e.refreshRegistryAuthFile(ctx); err != nil {
		return nil, fmt.Errorf("auth rotate: %w (the new password is in %s: run `esbtui auth rotate` again, or `esbtui up`)", err, e.passwordFile())
	}
	where, err := registryclient.DockerLogin(e.Cfg.Registry, registryserver.AuthUser, password)
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
	e.record("registry.auth.rotated", map[string]any{"user": registryserver.AuthUser, "htpasswd": st.HTPasswd, "login": where, "verified": st.Verified})
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
		req.SetBasicAuth(registryserver.AuthUser, pw)
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
