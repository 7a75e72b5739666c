package flows

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/esbtui/esbtui/internal/config"
	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/pki"
	"github.com/esbtui/esbtui/trust"
)

// EnvTrustRoot is config.EnvTrustRoot, named in messages.
const EnvTrustRoot = config.EnvTrustRoot

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
	// Runtimes are the runtimes with their own store and whether esbtui's
	// environment makes them trust the CA (`esbtui env`); they do not
	// count towards ok.
	Runtimes []RuntimeTrust `json:"runtimes,omitempty"`
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
		return &TrustStatus{Root: e.Cfg.TrustRoot, Problem: err.Error()}
	}
	return st
}

// TrustStatus checks the named stores (all when names is empty).
func (e *Env) TrustStatus(ctx context.Context, names []string) (*TrustStatus, error) {
	st := &TrustStatus{Root: e.Cfg.TrustRoot, Notes: wslNotes()}
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
	if len(names) == 0 {
		st.Runtimes = runtimesTrust(e.Cfg.RuntimeCAEnv, ca.Cert)
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

// trustRecord is the file listing the CAs this ESB_HOME installed: only
// those (and the current CA) are ever removed from a store.
func (e *Env) trustRecord() trust.InstalledRecord {
	return trust.InstalledRecord{Path: filepath.Join(e.Cfg.Home, "trust-installed.json")}
}

// sudo is the prefix privileged trust steps run through when not root.
func (e *Env) sudo() []string {
	if e.NonInteractiveSudo {
		return []string{"sudo", "-n", "--"}
	}
	return e.Sudo
}

// TrustConfig is the trust configuration for this Env: the sandbox root
// from ESB_TRUST_ROOT, the registry names engines pull from, how to become
// root and the CAs this ESB_HOME installed before.
func (e *Env) TrustConfig() (*trust.Config, error) {
	installed, err := e.trustRecord().Read()
	if err != nil {
		return nil, err
	}
	return &trust.Config{
		Root:       e.Cfg.TrustRoot,
		Registries: e.registryNames(),
		Sudo:       e.sudo(),
		Installed:  installed,
		Keystores:  e.keystores,
		JavaHome:   e.Cfg.Host.JavaHome,
	}, nil
}

// registryNames are HOST:PORT for every name the registry answers to, from
// esbtui's configuration only (never from a certificate on disk): the
// configured address, the default names and the names in esb.yaml, all on
// the configured port. Wildcards are not registry hosts and are left out;
// trust checks every other name (trust.CheckRegistryName) before it
// becomes a path.
func (e *Env) registryNames() []string {
	host, port, err := net.SplitHostPort(e.Cfg.Registry)
	if err != nil {
		// No port: the registry is on 443, which engines look up as the
		// bare host (certs.d/HOST); an IPv6 literal loses its brackets.
		host, port = strings.Trim(e.Cfg.Registry, "[]"), ""
	}
	var out []string
	add := func(n, p string) {
		if n == "" || strings.HasPrefix(n, "*.") {
			return
		}
		hp := n
		if p != "" {
			hp = net.JoinHostPort(n, p)
		}
		if !slices.Contains(out, hp) {
			out = append(out, hp)
		}
	}
	add(host, port)
	stackPort := port
	if stackPort == "" {
		stackPort = strconv.Itoa(e.Cfg.RegistryPort)
	}
	for _, n := range append([]string{"localhost", "127.0.0.1", "esb-registry", "host.docker.internal"}, e.Cfg.Names...) {
		add(n, stackPort)
	}
	return out
}

// TrustStores returns the named stores (all when empty) for the current CA.
func (e *Env) TrustStores(names []string) ([]trust.Store, trust.CA, error) {
	stores, ca, _, err := e.trustStoresFor(trust.OpInstall, names)
	return stores, ca, err
}

func (e *Env) trustStoresFor(op trust.Op, names []string) ([]trust.Store, trust.CA, *trust.Config, error) {
	ca, err := e.trustCAFor(op)
	if err != nil {
		return nil, ca, nil, err
	}
	cfg, err := e.TrustConfig()
	if err != nil {
		return nil, ca, nil, err
	}
	stores, err := trust.Select(trust.Stores(cfg, ca), names)
	return stores, ca, cfg, err
}

// TrustPlanItem is one store's plan, or why it has none.
type TrustPlanItem struct {
	Store  string       `json:"store"`
	Status trust.Status `json:"status"`
	Plan   *trust.Plan  `json:"plan,omitempty"`
	// Skip says why the store is left alone (not applicable).
	Skip  string `json:"skip,omitempty"`
	Error string `json:"error,omitempty"`

	store trust.Store
}

// TrustPlan is what ExecuteTrust will do: the plans shown to the user and
// recorded in the audit log are the ones that run.
type TrustPlan struct {
	Op    trust.Op        `json:"op"`
	Items []TrustPlanItem `json:"stores"`
	// Sudo is the prefix steps that need root run through when esbtui is
	// not root (empty: they fail instead).
	Sudo []string `json:"sudo,omitempty"`

	cfg *trust.Config
	ca  trust.CA
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
	stores, ca, cfg, err := e.trustStoresFor(op, names)
	if err != nil {
		return nil, err
	}
	tp := &TrustPlan{Op: op, Sudo: cfg.Sudo, cfg: cfg, ca: ca}
	for _, s := range stores {
		it := TrustPlanItem{Store: s.Name(), Status: s.Check(ctx), store: s}
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

// ApplyTrust plans op for the named stores and executes that plan, for
// callers that show nothing in between (tests, scripts with --yes).
func (e *Env) ApplyTrust(ctx context.Context, op trust.Op, names []string, sink progress.Sink) ([]TrustResult, error) {
	tp, err := e.PlanTrust(ctx, op, names)
	if err != nil {
		return nil, err
	}
	return e.ExecuteTrust(ctx, tp, sink)
}

// ExecuteTrust runs the plan PlanTrust made, store by store, going on past
// a failing store: each store runs exactly the steps in tp (trust.Execute
// refuses when the store changed since; a store whose work an earlier store
// already did, as Debian's Java hook does for java, runs nothing). Every
// change is recorded in the audit log with the files and commands of the
// plan that ran. Before an install changes anything, the CA's fingerprint
// is added to the record of CAs this ESB_HOME installed, so that uninstall
// can later tell this esbtui's entries from another's, even after a partial
// install. The caller has shown tp and obtained consent (root, sudo, --yes).
func (e *Env) ExecuteTrust(ctx context.Context, tp *TrustPlan, sink progress.Sink) ([]TrustResult, error) {
	if tp == nil || tp.cfg == nil {
		return nil, fmt.Errorf("trust: no plan to execute: make one with PlanTrust and show it first")
	}
	op, ca := tp.Op, tp.ca
	if op == trust.OpInstall && !tp.Empty() {
		if err := e.trustRecord().Add(ca); err != nil {
			return nil, fmt.Errorf("trust %s: nothing changed: %w", op, err)
		}
	}
	run := newPlanRun(e, "trust", op, tp.cfg.Root, sink)
	for _, it := range tp.Items {
		if run.settledWithoutRunning(it) {
			continue
		}
		p := *it.Plan
		run.start(it.Store, len(p.Steps))
		err := trust.Execute(ctx, tp.cfg, p)
		r := TrustResult{Store: it.Store, After: it.store.Check(ctx)}
		var changed *trust.PlanChangedError
		if errors.As(err, &changed) && changed.AlreadyDone() {
			r.Outcome = TrustNothingToDo
			run.rep.Emit(progress.Event{Step: it.Store, Status: progress.Skipped, Message: "nothing to do: already done by an earlier step (" + string(r.After.State) + ")"})
			run.results = append(run.results, r)
			continue
		}
		run.ran(r, err, map[string]any{"store": it.Store, "ca_sha256": trust.Fingerprint(ca.Cert), "files": p.Files(), "commands": p.Commands()})
	}
	return run.outcome()
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
