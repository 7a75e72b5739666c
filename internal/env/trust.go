package env

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/pki"
	"github.com/esbtui/esbtui/trust"
)

// EnvTrustRoot names a directory every trust store path is prefixed with (a
// sandbox: tests and CI run `esbtui init` and `trust` without touching the
// machine). Empty means the real machine.
const EnvTrustRoot = "ESB_TRUST_ROOT"

// TrustStatus is the trust section of a Snapshot: one status per store.
type TrustStatus struct {
	// Root is the sandbox prefix when ESB_TRUST_ROOT is set.
	Root string `json:"root,omitempty"`
	// CA is the SHA-256 fingerprint of the CA checked.
	CA     string         `json:"ca_sha256,omitempty"`
	Stores []trust.Status `json:"stores"`
	// Problem is why no store could be checked (no CA yet).
	Problem string `json:"problem,omitempty"`
	// Notes are facts about this machine (WSL) worth knowing.
	Notes []string `json:"notes,omitempty"`
}

// ok: every store trusts the CA or does not apply here. A store whose
// state is unknown (the check failed) is not ok.
func (s *TrustStatus) ok() bool {
	if s == nil {
		return true
	}
	if s.Problem != "" {
		return false
	}
	for _, st := range s.Stores {
		if !st.OK() {
			return false
		}
	}
	return true
}

// OK reports whether every applicable store trusts the CA.
func (s *TrustStatus) OK() bool { return s.ok() }

func (e *Env) trustStatus(ctx context.Context) *TrustStatus {
	st, err := e.TrustStatus(ctx, nil)
	if err != nil {
		return &TrustStatus{Root: os.Getenv(EnvTrustRoot), Problem: err.Error()}
	}
	return st
}

// TrustStatus checks the named stores (all when names is empty).
func (e *Env) TrustStatus(ctx context.Context, names []string) (*TrustStatus, error) {
	st := &TrustStatus{Root: os.Getenv(EnvTrustRoot), Notes: wslNotes()}
	stores, ca, err := e.TrustStores(names)
	if err != nil {
		var nc *noCAError
		if errors.As(err, &nc) {
			st.Problem = err.Error()
			return st, nil
		}
		return nil, err
	}
	st.CA = trust.Fingerprint(ca.Cert)
	for _, s := range stores {
		st.Stores = append(st.Stores, s.Check(ctx))
	}
	return st, nil
}

// noCAError: there is no CA certificate to trust yet.
type noCAError struct{ err error }

func (e *noCAError) Error() string { return e.err.Error() }
func (e *noCAError) Unwrap() error { return e.err }

// trustCAFor loads the CA through pki's one loader (exactly one
// certificate, a CA, matching esbtui's own rootCA.key, name-constrained to
// local names, valid now, keyCertSign): trust stores get that one
// certificate, re-encoded, or nothing. Uninstall loads with
// pki.LoadCAForRemoval (the same single certificate of this store, expired
// or unconstrained too), so a CA esbtui refuses to install can still be
// taken out of the stores.
func (e *Env) trustCAFor(op trust.Op) (trust.CA, error) {
	file := e.Certs.Path(pki.CACertFile)
	load := func() (*pki.CA, error) { return e.Certs.LoadUsableCA(e.Now()) }
	if op == trust.OpUninstall {
		load = e.Certs.LoadCAForRemoval
	}
	ca, err := load()
	if err != nil {
		if errors.Is(err, pki.ErrNoCA) {
			return trust.CA{}, &noCAError{fmt.Errorf("trust: no CA at %s: run `esbtui init` first", file)}
		}
		return trust.CA{}, fmt.Errorf("trust: refusing to use %s: %w", file, err)
	}
	return trust.CA{Cert: ca.Cert, PEM: ca.CertPEM, File: file}, nil
}

// TrustConfig is the trust configuration for this Env: the sandbox root
// from ESB_TRUST_ROOT and the registry names engines pull from.
func (e *Env) TrustConfig() *trust.Config {
	sudo := trust.DefaultSudo
	if e.NonInteractiveSudo {
		sudo = []string{"sudo", "-n", "--"}
	}
	return &trust.Config{
		Root:       os.Getenv(EnvTrustRoot),
		Registries: e.registryNames(),
		Sudo:       sudo,
	}
}

// registryNames are HOST:PORT for every name the registry answers to: the
// configured address, the default names and the server certificate's extra
// names, all on the configured port.
func (e *Env) registryNames() []string {
	host, port, err := net.SplitHostPort(e.Cfg.Registry)
	if err != nil {
		host, port = e.Cfg.Registry, "5000"
	}
	names := []string{host, "localhost", "127.0.0.1", "esb-registry", "host.docker.internal"}
	if data, err := os.ReadFile(e.Certs.Path(pki.ServerCertFile)); err == nil {
		if c, err := pki.ParseCertPEM(data); err == nil {
			for _, d := range c.DNSNames {
				if !slices.Contains(pki.DefaultSANs, d) {
					names = append(names, d)
				}
			}
			for _, ip := range c.IPAddresses {
				if !slices.Contains(pki.DefaultSANs, ip.String()) {
					names = append(names, ip.String())
				}
			}
		}
	}
	var out []string
	for _, n := range names {
		hp := net.JoinHostPort(n, port)
		if n != "" && !strings.HasPrefix(n, "*.") && !slices.Contains(out, hp) {
			out = append(out, hp)
		}
	}
	return out
}

// TrustStores returns the named stores (all when empty) for the current CA.
func (e *Env) TrustStores(names []string) ([]trust.Store, trust.CA, error) {
	return e.trustStoresFor(trust.OpInstall, names)
}

func (e *Env) trustStoresFor(op trust.Op, names []string) ([]trust.Store, trust.CA, error) {
	ca, err := e.trustCAFor(op)
	if err != nil {
		return nil, ca, err
	}
	stores, err := trust.Select(trust.Stores(e.TrustConfig(), ca), names)
	return stores, ca, err
}

// TrustPlanItem is one store's plan, or why it has none.
type TrustPlanItem struct {
	Store  string       `json:"store"`
	Status trust.Status `json:"status"`
	Plan   *trust.Plan  `json:"plan,omitempty"`
	// Skip says why the store is left alone (not applicable).
	Skip  string `json:"skip,omitempty"`
	Error string `json:"error,omitempty"`
}

// TrustPlan is what TrustApply would do.
type TrustPlan struct {
	Op    trust.Op        `json:"op"`
	Items []TrustPlanItem `json:"stores"`
}

// Empty reports whether no store has anything to do.
func (p *TrustPlan) Empty() bool {
	for _, it := range p.Items {
		if it.Plan != nil && !it.Plan.Empty() {
			return false
		}
	}
	return true
}

// NeedsRoot reports whether applying needs root that we do not have.
func (p *TrustPlan) NeedsRoot() bool {
	if trust.IsRoot() {
		return false
	}
	for _, it := range p.Items {
		if it.Plan != nil && it.Plan.NeedsRoot {
			return true
		}
	}
	return false
}

// Failed reports whether planning failed for some store.
func (p *TrustPlan) Failed() bool {
	for _, it := range p.Items {
		if it.Error != "" {
			return true
		}
	}
	return false
}

// PlanTrust plans op for the named stores (all applicable when empty).
// Named stores that do not apply are reported, not skipped silently.
func (e *Env) PlanTrust(ctx context.Context, op trust.Op, names []string) (*TrustPlan, error) {
	stores, _, err := e.trustStoresFor(op, names)
	if err != nil {
		return nil, err
	}
	tp := &TrustPlan{Op: op}
	for _, s := range stores {
		it := TrustPlanItem{Store: s.Name(), Status: s.Check(ctx)}
		if ok, why := s.Applies(); !ok {
			it.Skip = why
			tp.Items = append(tp.Items, it)
			continue
		}
		p, err := s.Plan(ctx, op)
		if err != nil {
			it.Error = err.Error()
		} else {
			it.Plan = &p
		}
		tp.Items = append(tp.Items, it)
	}
	return tp, nil
}

// TrustResult is what one store's install or uninstall did.
type TrustResult struct {
	Store string `json:"store"`
	// Outcome: "done", "nothing to do", "failed", "not applicable".
	Outcome string       `json:"outcome"`
	Error   string       `json:"error,omitempty"`
	After   trust.Status `json:"after"`
}

// Trust outcomes.
const (
	TrustDone          = "done"
	TrustNothingToDo   = "nothing to do"
	TrustFailed        = "failed"
	TrustNotApplicable = "not applicable"
)

// TrustError says which stores failed and which succeeded.
type TrustError struct {
	Op        trust.Op
	Failed    []string
	Succeeded []string
	Errs      []error
}

func (e *TrustError) Error() string {
	msg := fmt.Sprintf("trust %s failed for %s", e.Op, strings.Join(e.Failed, ", "))
	if len(e.Succeeded) > 0 {
		msg += fmt.Sprintf(" (done: %s)", strings.Join(e.Succeeded, ", "))
	}
	return msg + ": " + errors.Join(e.Errs...).Error()
}

func (e *TrustError) Unwrap() []error { return e.Errs }

// ApplyTrust installs or uninstalls the CA in the named stores (all
// applicable stores when empty), each after a fresh plan, going on past a
// failing store. Every change is recorded in the audit log. The caller has
// already shown the plan and obtained consent (root, sudo, --yes).
func (e *Env) ApplyTrust(ctx context.Context, op trust.Op, names []string, sink progress.Sink) ([]TrustResult, error) {
	stores, ca, err := e.trustStoresFor(op, names)
	if err != nil {
		return nil, err
	}
	rep := progress.Reporter{Op: "trust " + string(op), Sink: sink}
	var results []TrustResult
	te := &TrustError{Op: op}
	for _, s := range stores {
		r := TrustResult{Store: s.Name()}
		if ok, why := s.Applies(); !ok {
			r.Outcome, r.After = TrustNotApplicable, s.Check(ctx)
			rep.Emit(progress.Event{Step: s.Name(), Status: progress.Skipped, Message: "not applicable: " + why})
			results = append(results, r)
			continue
		}
		p, err := s.Plan(ctx, op)
		if err == nil && p.Empty() {
			r.Outcome, r.After = TrustNothingToDo, s.Check(ctx)
			rep.Emit(progress.Event{Step: s.Name(), Status: progress.Skipped, Message: "nothing to do (" + string(r.After.State) + ")"})
			results = append(results, r)
			continue
		}
		if err == nil {
			rep.Emit(progress.Event{Step: s.Name(), Status: progress.Start, Message: fmt.Sprintf("%d step(s)", len(p.Steps))})
			if op == trust.OpInstall {
				err = s.Install(ctx)
			} else {
				err = s.Uninstall(ctx)
			}
		}
		r.After = s.Check(ctx)
		fields := map[string]any{"store": s.Name(), "ca_sha256": trust.Fingerprint(ca.Cert), "files": p.Files(), "commands": p.Commands()}
		if root := os.Getenv(EnvTrustRoot); root != "" {
			fields["root"] = root
		}
		if err != nil {
			r.Outcome, r.Error = TrustFailed, err.Error()
			te.Failed = append(te.Failed, s.Name())
			te.Errs = append(te.Errs, err)
			fields["error"] = err.Error()
			e.record("trust."+string(op)+".failed", fields)
			rep.Emit(progress.Event{Step: s.Name(), Status: progress.Failed, Message: string(r.After.State), Err: err.Error()})
		} else {
			r.Outcome = TrustDone
			te.Succeeded = append(te.Succeeded, s.Name())
			action := map[trust.Op]string{trust.OpInstall: "trust.installed", trust.OpUninstall: "trust.removed"}[op]
			e.record(action, fields)
			rep.Emit(progress.Event{Step: s.Name(), Status: progress.Done, Message: string(r.After.State)})
		}
		results = append(results, r)
	}
	if len(te.Failed) > 0 {
		return results, te
	}
	return results, nil
}

// wslNotes says which side is trusted under WSL (mkcert #357, #527).
func wslNotes() []string {
	if exists("/proc/sys/fs/binfmt_misc/WSLInterop") || procVersionHas("microsoft") {
		return []string{"WSL: this trusts the CA inside the Linux distribution only; Windows browsers need it in the Windows store (run esbtui on the Windows side too)"}
	}
	return nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func procVersionHas(s string) bool {
	b, err := os.ReadFile("/proc/version")
	return err == nil && strings.Contains(strings.ToLower(string(b)), s)
}
