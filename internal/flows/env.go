// Package flows holds the application flows users run (init, trust, up,
// build, push, doctor, snapshot, gc, auth, events, metrics), one file per
// verb. The CLI and the TUI are two faces of this package: it sits above
// the domain packages (pki, trust, stack, stack/engine, registryclient),
// composes them, reports progress and records changes in the audit log;
// below them are internal/config, internal/progress, internal/termtext and
// internal/safefile. Env is the configured toolbox every flow runs with.
package flows

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/esbtui/esbtui/internal/config"
	"github.com/esbtui/esbtui/internal/safefile"
	"github.com/esbtui/esbtui/pki"
	"github.com/esbtui/esbtui/trust"
)

// Env is the configured toolbox every flow runs with.
type Env struct {
	Cfg   config.Config
	Certs *pki.Store
	Log   *slog.Logger
	Audit *Audit
	// Now is the clock; tests replace it.
	Now func() time.Time
	// NonInteractiveSudo makes privileged trust steps use `sudo -n`: the
	// dashboard sets it (it runs `sudo -v` in the foreground first), so sudo
	// never prompts while the TUI owns the terminal.
	NonInteractiveSudo bool
	// LogErr says why $ESB_HOME/logs/esbtui.log is not written (nil when it
	// is): a read-only home, or something that is not esbtui's log at that
	// path (a symbolic link is never followed).
	LogErr error
	// Sudo is the prefix privileged trust steps run through when esbtui is
	// not root; sudo reads any password from the terminal, never from
	// esbtui. nil: never elevate (the step fails and says how to run it).
	Sudo []string

	closeLog func() error
	// registry is the registry client, made on first use (Registry).
	registry registryCache
	// keystores caches Java keystore listings for this Env's trust checks.
	keystores *trust.KeystoreCache
	// hubQuota keeps Docker Hub's pull quota for a minute (HubQuota).
	hubQuota hubQuotaCache
}

// New opens an Env for cfg. The log goes to $ESB_HOME/logs/esbtui.log; when
// that cannot be opened (read-only home, a symbolic link planted there)
// logging is dropped, never sent to the terminal, and LogErr says why.
func New(cfg config.Config) *Env {
	certs := pki.NewStore(cfg.CertDir)
	certs.SudoUID = cfg.SudoUID
	e := &Env{
		Cfg:   cfg,
		Certs: certs,
		Audit: &Audit{Path: cfg.AuditLog(), User: cfg.Host.User},
		Now:   time.Now,
		Sudo:  []string{"sudo", "--"},

		keystores: trust.NewKeystoreCache(),
	}
	var w io.Writer = io.Discard
	if st, err := os.Lstat(cfg.LogDir()); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		// The file is opened without following links; its directory too.
		e.LogErr = fmt.Errorf("log: %w", &safefile.SymlinkError{Path: cfg.LogDir(), What: "log directory"})
	} else if err := os.MkdirAll(cfg.LogDir(), 0o700); err != nil {
		e.LogErr = fmt.Errorf("log: %w", err)
	} else if f, err := safefile.Open(filepath.Join(cfg.LogDir(), "esbtui.log"), "log file", os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600); err != nil {
		e.LogErr = fmt.Errorf("log: %w", err)
	} else {
		w = f
		e.closeLog = f.Close
	}
	e.Log = slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return e
}

// Close releases the registry client and the log file.
func (e *Env) Close() error {
	e.registry.close()
	if e.closeLog != nil {
		return e.closeLog()
	}
	return nil
}

// InitCerts makes the certificate store complete (CA once, server cert when
// needed) and records what changed.
func (e *Env) InitCerts(ctx context.Context, o pki.Options, sink progressSink) (*pki.Result, error) {
	o = e.certOptions(o)
	res, err := e.Certs.Ensure(ctx, o, sink)
	e.recordCerts("init", res, err)
	return res, err
}

// RotateSigning issues a new code-signing key and certificate.
func (e *Env) RotateSigning(ctx context.Context, sink progressSink) (*pki.SigningResult, error) {
	res, err := e.Certs.RotateSigning(ctx, e.certOptions(pki.Options{}), sink)
	if err != nil {
		e.Log.Error("certs rotate --signing", "dir", e.Cfg.CertDir, "error", err.Error())
		return nil, err
	}
	e.record("signing_cert.issued", map[string]any{"file": res.File, "reason": res.Reason})
	return res, nil
}

// RotateCerts reissues the server certificate with a new key.
func (e *Env) RotateCerts(ctx context.Context, o pki.Options, sink progressSink) (*pki.Result, error) {
	o = e.certOptions(o)
	res, err := e.Certs.Rotate(ctx, o, sink)
	e.recordCerts("rotate", res, err)
	return res, err
}

func (e *Env) recordCerts(op string, res *pki.Result, err error) {
	if err != nil {
		e.Log.Error("certs "+op, "dir", e.Cfg.CertDir, "error", err.Error())
		return
	}
	if res == nil {
		return
	}
	if res.CACreated {
		e.record("ca.created", map[string]any{"file": e.Certs.Path(pki.CACertFile)})
	}
	if res.LeafIssued {
		e.record("server_cert.issued", map[string]any{"file": e.Certs.Path(pki.ServerCertFile), "reason": res.LeafReason})
	}
	if res.SigningIssued {
		e.record("signing_cert.issued", map[string]any{"file": e.Certs.Path(pki.SigningCertFile), "reason": res.SigningReason})
	}
}

func (e *Env) record(action string, fields map[string]any) {
	if err := e.Audit.Append(action, fields); err != nil {
		e.Log.Warn("audit append", "action", action, "error", err.Error())
	}
	e.Log.Info(action, "fields", fmt.Sprint(fields))
}

// ExportPKCS12 writes the server keystore and the CA truststore.
func (e *Env) ExportPKCS12(ctx context.Context) (*pki.ExportResult, error) {
	res, err := e.Certs.ExportPKCS12(ctx)
	if err == nil {
		e.record("certs.exported", map[string]any{"keystore": res.KeyStore, "truststore": res.TrustStore})
	}
	return res, err
}

// certOptions fills the clock and adds esb.yaml's names to the requested ones.
func (e *Env) certOptions(o pki.Options) pki.Options {
	if o.Now == nil {
		o.Now = e.Now
	}
	origins := map[string]string{}
	for _, n := range o.Names {
		origins[n] = "--name"
	}
	for _, n := range e.Cfg.Names {
		if where, ok := e.Cfg.NameOrigins[n]; ok {
			origins[n] = where
		} else {
			origins[n] = e.Cfg.ProjectFile
		}
	}
	if len(e.Cfg.Names) > 0 {
		o.Names = append(append([]string(nil), e.Cfg.Names...), o.Names...)
	}
	o.Origins = origins
	return o
}
