package config

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
)

// Environment variables for the engine side of the mirrors (mainly for
// tests and engines started with their own files).
const (
	// EnvDockerDaemonConfig names the daemon.json `esbtui mirror install`
	// edits (default /etc/docker/daemon.json, under ESB_TRUST_ROOT when set):
	// for a dockerd started with --config-file.
	EnvDockerDaemonConfig = "ESB_DOCKER_DAEMON_CONFIG"
	// EnvDockerdPIDFile names the pid file of the dockerd to reload after
	// daemon.json changes (default: /var/run/docker.pid, or the only
	// dockerd running).
	EnvDockerdPIDFile = "ESB_DOCKERD_PIDFILE"
	// EnvHubAuthURL and EnvHubRegistryURL replace Docker Hub's token
	// endpoint and registry where the pull quota is read (tests).
	EnvHubAuthURL     = "ESB_HUB_AUTH_URL"
	EnvHubRegistryURL = "ESB_HUB_REGISTRY_URL"
)

// EnvDockerConfig is the docker CLI's configuration directory (default
// ~/.docker): where `mirror add` looks up which credentials a cache uses.
const EnvDockerConfig = "DOCKER_CONFIG"

// loadEngineMirrorEnv reads EnvDockerDaemonConfig and EnvDockerdPIDFile:
// absolute paths (relative ones are resolved against the working directory),
// and the Docker configuration directory.
func loadEngineMirrorEnv(c *Config) error {
	c.DockerConfigDir = os.Getenv(EnvDockerConfig)
	if c.DockerConfigDir == "" {
		if h, err := os.UserHomeDir(); err == nil {
			c.DockerConfigDir = filepath.Join(h, ".docker")
		}
	}
	for _, v := range []struct {
		env string
		dst *string
	}{{EnvDockerDaemonConfig, &c.DockerDaemonConfig}, {EnvDockerdPIDFile, &c.DockerdPIDFile}} {
		p := os.Getenv(v.env)
		if p == "" {
			continue
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return fmt.Errorf("config: %s=%q: %w", v.env, p, err)
		}
		*v.dst = abs
	}
	for _, v := range []struct {
		env string
		dst *string
	}{{EnvHubAuthURL, &c.HubAuthURL}, {EnvHubRegistryURL, &c.HubRegistryURL}} {
		s := os.Getenv(v.env)
		if s == "" {
			continue
		}
		u, err := url.Parse(s)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
			return fmt.Errorf("config: %s=%q: give an https:// URL, or unset it", v.env, s)
		}
		*v.dst = s
	}
	return nil
}
