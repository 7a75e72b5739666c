package trust

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Config is what every backend shares: where the machine's files are, which
// tools to run and how to become root.
type Config struct {
	// Root prefixes every system and user path (a sandbox for tests and
	// dry runs); "" is the real machine. Under a Root, tools are also told
	// to work under it where they can (update-ca-certificates flags).
	Root string
	// Home is the user's home directory (NSS databases); default $HOME.
	Home string
	// Registries are the HOST:PORT names the container engines pull from
	// (certs.d entries are made for the non-loopback ones). They come from
	// esbtui's configuration, never from a certificate, and each is checked
	// by CheckRegistryName before it becomes a path.
	Registries []string
	// Installed are the SHA-256 fingerprints (Fingerprint's form) of the CAs
	// this ESB_HOME installed before: uninstall and install remove entries
	// holding them. Other esbtui CAs found in a store belong to someone else
	// and are reported, never removed. The current CA always counts as ours.
	Installed []string
	// Tools overrides where a tool is found: name → path; an empty path
	// means "not installed". Others are looked up in PATH and the sbin dirs.
	Tools map[string]string
	// Sudo is the prefix for plans that need root when not root (e.g.
	// {"sudo", "--"}: sudo reads any password from the terminal, never from
	// esbtui); nil means never elevate (the plan fails with a NeedsRootError).
	Sudo []string
	// GOOS selects the system backend; default runtime.GOOS.
	GOOS string
	// Env is added to every tool's environment.
	Env []string
	// Keystores caches keytool listings across checks (nil: no cache).
	Keystores *KeystoreCache
	// JavaKeystore overrides the cacerts file of the default JDK (used as
	// given, not under Root).
	JavaKeystore string
	// JavaHome is $JAVA_HOME, read by the caller (where the default JDK's
	// cacerts is looked for first).
	JavaHome string
}

func (c *Config) goos() string {
	if c.GOOS != "" {
		return c.GOOS
	}
	return runtime.GOOS
}

// path maps an absolute machine path into Root.
func (c *Config) path(p string) string {
	if c.Root == "" {
		return p
	}
	return filepath.Join(c.Root, p)
}

// home is the user's home directory inside Root.
func (c *Config) home() string {
	h := c.Home
	if h == "" {
		h, _ = os.UserHomeDir()
	}
	if h == "" {
		return ""
	}
	return c.path(h)
}

// sbinDirs are searched after PATH: a non-root PATH often lacks /usr/sbin,
// where update-ca-certificates lives.
var sbinDirs = []string{"/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"}

// tool returns the path of a tool, or "" when it is not installed.
func (c *Config) tool(name string) string {
	if p, ok := c.Tools[name]; ok {
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			return abs
		}
		return p
	}
	if c.goos() == "windows" {
		return ""
	}
	for _, d := range sbinDirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// exists reports whether a path exists (no error for other failures: the
// caller's next read reports them precisely).
func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// needsRoot reports whether writing into any of dirs needs privileges we do
// not have (the nearest existing ancestor of each is checked).
func needsRoot(dirs ...string) bool {
	for _, d := range dirs {
		for d != "" {
			if _, err := os.Stat(d); err == nil {
				if !canWrite(d) {
					return true
				}
				break
			}
			parent := filepath.Dir(d)
			if parent == d {
				break
			}
			d = parent
		}
	}
	return false
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
