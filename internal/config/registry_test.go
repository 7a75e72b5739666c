package config

import (
	"strings"
	"testing"
)

func TestCheckRegistry(t *testing.T) {
	for _, ok := range []string{
		"localhost", "localhost:5000", "esb-registry:5000", "registry.test", "registry.example.com:443",
		"127.0.0.1", "127.0.0.1:5000", "10.0.0.7:5443", "[::1]:5000", "ghcr.io", "my.host.local:1",
	} {
		if err := CheckRegistry(ok); err != nil {
			t.Errorf("CheckRegistry(%q): %v", ok, err)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"esb-registry", "esb-registry:5000"},
		{"registry", "docker.io/registry/api"},
		{"https://localhost:5000", `drop the scheme "https://"`},
		{"http://esb-registry:5000/v2/", "e.g. esb-registry:5000"},
		{"localhost:5000/team", `has a path "/team"`},
		{"localhost:5000/", "has a path"},
		{"localhost:0", `port "0"`},
		{"localhost:99999", "1 to 65535"},
		{"localhost:50x", "port"},
		{"localhost:", "port"},
		{":5000", "no host name"},
		{"::1", "[::1]:5000"},
		{"local host:5000", "white space"},
		{" localhost:5000", "white space"},
		{"", "empty"},
		{"bad_host.test:5000", "not a valid host name"},
		{"-x.test", "not a valid host name"},
	} {
		err := CheckRegistry(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckRegistry(%q) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}

// ESB_REGISTRY is checked when the configuration loads, and the error
// names the variable.
func TestLoadRejectsBadRegistry(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, k := range []string{EnvCertDir, EnvRegistryPort, EnvProjectFile, EnvComposeFile, EnvProject} {
		t.Setenv(k, "")
	}
	t.Setenv(EnvHome, t.TempDir())
	for _, tc := range []struct{ in, want string }{
		{"esb-registry", `config: ESB_REGISTRY="esb-registry": a name without a dot or a port`},
		{"https://localhost:5000", `config: ESB_REGISTRY="https://localhost:5000": drop the scheme`},
	} {
		t.Setenv(EnvRegistry, tc.in)
		if _, err := Load(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ESB_REGISTRY=%q: %v, want %q", tc.in, err, tc.want)
		}
	}
	t.Setenv(EnvRegistry, "esb-registry:5000")
	if c, err := Load(); err != nil || c.Registry != "esb-registry:5000" {
		t.Errorf("ESB_REGISTRY=esb-registry:5000: %+v %v", c, err)
	}
}
