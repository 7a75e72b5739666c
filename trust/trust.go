// Package trust installs, checks and removes the esbtui root CA in the trust
// stores a developer's tools read: the operating system's store (Debian,
// RHEL, Arch, SUSE, macOS, Windows), the container engines' certs.d
// directories (Docker, containerd, Podman), NSS databases (Chromium, Firefox)
// and Java's cacerts.
//
// Every store is planned before it is changed: a Store only reads (Check,
// Plan); Plan returns the exact files and argv an install or removal will
// touch, and Execute runs that plan, the one that was shown and audited,
// and nothing else. Every backend takes a root prefix and tool paths (Config), so tests
// run the real tools against a temporary tree. trust never imports pki: the
// CA arrives as a certificate, its PEM bytes and the file holding them.
package trust

import (
	"context"
	"crypto/x509"
	"fmt"
)

// State is a store's verdict on our CA.
type State string

// States a Check returns.
const (
	Trusted       State = "trusted"
	Missing       State = "missing"
	Stale         State = "stale" // an older CA of ours is there, the current one is not
	NotApplicable State = "n/a"
	Unknown       State = "unknown" // the check itself failed (Reason says why)
)

// Status is the result of a Check.
type Status struct {
	Store  string `json:"store"`
	State  State  `json:"state"`
	Reason string `json:"reason,omitempty"`
	// Detail lists what was looked at (files, databases, names) and notes
	// such as Java ignoring name constraints or why loopback needs no entry.
	Detail   []string `json:"detail,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// OK reports whether the store needs no action: trusted or not applicable.
func (s Status) OK() bool { return s.State == Trusted || s.State == NotApplicable }

// Op is the operation a Plan is for.
type Op string

// Operations.
const (
	OpInstall   Op = "install"
	OpUninstall Op = "uninstall"
)

// CA is the root certificate to trust. File holds exactly PEM; tools that
// read a file (update-ca-certificates, certutil, keytool, security) read it.
type CA struct {
	Cert *x509.Certificate
	PEM  []byte
	File string
}

// Validate checks that the CA is usable for planning.
func (c CA) Validate() error {
	if c.Cert == nil || len(c.PEM) == 0 {
		return fmt.Errorf("trust: no CA certificate given: run `esbtui init` to create one")
	}
	if c.File == "" {
		return fmt.Errorf("trust: CA %s: no file path given (tools read the CA from a file)", c.Cert.Subject)
	}
	return nil
}

// plannable is how every store's Plan starts: the store applies on this
// machine (a *NotApplicableError otherwise) and the CA can be installed.
func plannable(s Store, ca CA) error {
	if ok, why := s.Applies(); !ok {
		return &NotApplicableError{Store: s.Name(), Reason: why}
	}
	return ca.Validate()
}

// Store is one trust store.
type Store interface {
	// Name is short and stable: "system", "docker", "containerd", "podman",
	// "nss", "java".
	Name() string
	// Applies reports whether the store exists on this machine, and when it
	// does not, why (e.g. "certutil not found: install libnss3-tools").
	Applies() (bool, string)
	// Check reads the store; it never changes anything.
	Check(ctx context.Context) Status
	// Plan reads the store and returns the steps that make it trust the CA
	// (OpInstall) or remove every trace of this ESB_HOME's CAs, current and
	// recorded (OpUninstall); an empty plan means there is nothing to do.
	// Execute runs a plan; a Store never changes anything itself.
	Plan(ctx context.Context, op Op) (Plan, error)
}
