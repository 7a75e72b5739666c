// Package config resolves esbtui's paths and defaults: ESB_HOME (default ~/.esb),
// the certificate directory (ESB_CERT_DIR overrides $ESB_HOME/certs) and the
// registry address the rest of the tool talks to.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Environment variables esbtui reads.
const (
	EnvHome     = "ESB_HOME"
	EnvCertDir  = "ESB_CERT_DIR"
	EnvRegistry = "ESB_REGISTRY"
)

// DefaultRegistry is where the default stack publishes its registry.
const DefaultRegistry = "localhost:5000"

// Config holds resolved paths. The zero value is not useful: use Load or FromHome.
type Config struct {
	Home     string // $ESB_HOME, default ~/.esb
	CertDir  string // $ESB_CERT_DIR, default $ESB_HOME/certs
	Registry string // host:port of the registry, default localhost:5000
}

// Load resolves the configuration from the environment.
func Load() (Config, error) {
	home := os.Getenv(EnvHome)
	if home == "" {
		uh, err := os.UserHomeDir()
		if err != nil {
			return Config{}, fmt.Errorf("config: find home directory: %w (set %s to choose where esbtui keeps its files)", err, EnvHome)
		}
		home = filepath.Join(uh, ".esb")
	}
	c := FromHome(home)
	if d := os.Getenv(EnvCertDir); d != "" {
		c.CertDir = d
	}
	if r := os.Getenv(EnvRegistry); r != "" {
		c.Registry = r
	}
	abs, err := absAll(&c)
	if err != nil {
		return Config{}, err
	}
	return abs, nil
}

// FromHome returns the defaults for a given ESB_HOME, ignoring the environment.
func FromHome(home string) Config {
	return Config{
		Home:     home,
		CertDir:  filepath.Join(home, "certs"),
		Registry: DefaultRegistry,
	}
}

func absAll(c *Config) (Config, error) {
	var errs []error
	for _, p := range []*string{&c.Home, &c.CertDir} {
		a, err := filepath.Abs(*p)
		if err != nil {
			errs = append(errs, fmt.Errorf("config: resolve %s: %w", *p, err))
			continue
		}
		*p = a
	}
	return *c, errors.Join(errs...)
}

// LogDir is where esbtui writes its own log file.
func (c Config) LogDir() string { return filepath.Join(c.Home, "logs") }

// StackDir is where the default compose project is written for users to read.
func (c Config) StackDir() string { return filepath.Join(c.Home, "stack") }

// RegistryDataDir is the storage of the in-process registry (esbtui serve).
func (c Config) RegistryDataDir() string { return filepath.Join(c.Home, "registry") }

// AuditLog is the JSON-lines record of every change esbtui makes.
func (c Config) AuditLog() string { return filepath.Join(c.Home, "audit.jsonl") }
