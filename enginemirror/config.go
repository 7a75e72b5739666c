package enginemirror

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/esbtui/esbtui/trust"
)

// Config is what every engine store shares.
type Config struct {
	// Trust gives the sandbox Root (ESB_TRUST_ROOT) and how to become root;
	// Execute runs the plans with it.
	Trust *trust.Config
	// CA is esbtui's CA: engines verify the caches' TLS with it.
	CA      trust.CA
	Mirrors []Mirror
	// DaemonConfig is Docker's daemon.json, used as given (not under Root);
	// empty: /etc/docker/daemon.json under Root.
	DaemonConfig string
	// DockerdPIDFile names the pid file of the dockerd to reload; empty:
	// found (FindDockerd), except in a sandbox (Root set), where nothing is
	// reloaded.
	DockerdPIDFile string
	// Proc is /proc (tests give another).
	Proc string
	// Record keeps what was done to daemon.json.
	Record Record
	// WaitMirrors waits until the engine lists urls among its registry
	// mirrors (present) or none of them; nil: no wait.
	WaitMirrors func(ctx context.Context, urls []string, present bool) error
	// LookPath finds a tool ("" when missing); nil: exec.LookPath.
	LookPath func(string) string
}

// path maps a machine path into the sandbox root.
func (c *Config) path(p string) string {
	if c.Trust == nil || c.Trust.Root == "" {
		return p
	}
	return filepath.Join(c.Trust.Root, p)
}

func (c *Config) sandboxed() bool { return c.Trust != nil && c.Trust.Root != "" }

func (c *Config) installed(tools []string, dirs []string) bool {
	look := c.LookPath
	if look == nil {
		look = func(n string) string { p, _ := exec.LookPath(n); return p }
	}
	for _, t := range tools {
		if !c.sandboxed() && look(t) != "" {
			return true
		}
	}
	for _, d := range dirs {
		if _, err := os.Stat(c.path(d)); err == nil {
			return true
		}
	}
	return false
}

// maxConfigFile bounds what is read of an engine's configuration file.
const maxConfigFile = 1 << 20

// readFile reads a regular file (at most maxConfigFile bytes); a missing
// file is (nil, false, nil).
func readFile(p string) ([]byte, os.FileMode, bool, error) {
	fi, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, false, nil
	}
	if err != nil {
		return nil, 0, false, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		fi, err = os.Stat(p)
		if err != nil {
			return nil, 0, false, err
		}
	}
	if !fi.Mode().IsRegular() {
		return nil, 0, false, fmt.Errorf("%s is not a regular file", p)
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, 0, false, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigFile+1))
	if err != nil {
		return nil, 0, false, err
	}
	if len(data) > maxConfigFile {
		return nil, 0, false, fmt.Errorf("%s is over %d bytes", p, maxConfigFile)
	}
	return data, fi.Mode().Perm(), true, nil
}

// caFileSteps writes the CA to p unless it holds it already.
func (c *Config) caWrite(p string) (trust.Step, bool, error) {
	data, _, ok, err := readFile(p)
	if err != nil {
		return trust.Step{}, false, err
	}
	if ok && bytes.Equal(data, c.CA.PEM) {
		return trust.Step{}, false, nil
	}
	return trust.WriteStep(p, c.CA.PEM, 0o644), true, nil
}

// caRemove removes p when it holds esbtui's CA (exactly).
func (c *Config) caRemove(p string) (trust.Step, bool, error) {
	data, _, ok, err := readFile(p)
	if err != nil {
		return trust.Step{}, false, err
	}
	if ok && bytes.Equal(data, c.CA.PEM) {
		return trust.RemoveStep(p), true, nil
	}
	return trust.Step{}, false, nil
}

// Stores returns the engine stores: docker, containerd, podman.
func Stores(c *Config) []trust.Store {
	return []trust.Store{&DockerStore{cfg: c}, &containerdStore{cfg: c}, &podmanStore{cfg: c}}
}

// StoreNames are the engine stores' names.
func StoreNames() []string { return []string{"docker", "containerd", "podman"} }

// status builds a Check result from a plan: nothing to install is
// "trusted" (configured), else "missing" with the files that would change.
func status(s trust.Store, ctx planner) trust.Status {
	st := trust.Status{Store: s.Name()}
	if ok, why := s.Applies(); !ok {
		st.State, st.Reason = trust.NotApplicable, why
		return st
	}
	p, err := ctx()
	if err != nil {
		st.State, st.Reason = trust.Unknown, err.Error()
		return st
	}
	if p.Empty() {
		st.State = trust.Trusted
		st.Reason = "uses esbtui's mirrors"
		return st
	}
	st.State, st.Reason = trust.Missing, "not configured: run `esbtui mirror install`"
	st.Detail = p.Files()
	return st
}

type planner func() (trust.Plan, error)
