package stack

import (
	"crypto/tls"
	"slices"
	"strings"
	"testing"

	"github.com/distribution/distribution/v3/configuration"
	"go.yaml.in/yaml/v3"

	"github.com/esbtui/esbtui/registryserver"
)

// The stack's registry container gets the same policy from compose.yaml:
// distribution reads REGISTRY_HTTP_TLS_* over its configuration (a list as
// YAML), and the suites it then holds are exactly serve's.
func TestComposeRegistryTLSPolicy(t *testing.T) {
	var project struct {
		Services map[string]struct {
			Environment map[string]string `yaml:"environment"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(defaultCompose, &project); err != nil {
		t.Fatal(err)
	}
	env := project.Services[RegistryService].Environment
	for _, k := range []string{"REGISTRY_HTTP_TLS_MINIMUMTLS", "REGISTRY_HTTP_TLS_CIPHERSUITES"} {
		if env[k] == "" {
			t.Fatalf("compose.yaml: the registry service does not set %s", k)
		}
	}
	for k, v := range env {
		if strings.HasPrefix(k, "REGISTRY_HTTP_TLS_") {
			t.Setenv(k, v)
		}
	}
	cfg, err := configuration.Parse(strings.NewReader("version: 0.1\nstorage:\n  inmemory: {}\n"))
	if err != nil {
		t.Fatalf("distribution's parser on compose.yaml's TLS variables: %v", err)
	}
	if cfg.HTTP.TLS.MinimumTLS != "tls1.2" {
		t.Errorf("minimumtls %q, want tls1.2", cfg.HTTP.TLS.MinimumTLS)
	}
	var want []string
	for _, s := range registryserver.ServerCipherSuites() {
		want = append(want, tls.CipherSuiteName(s))
	}
	if !slices.Equal(cfg.HTTP.TLS.CipherSuites, want) {
		t.Errorf("ciphersuites %q, want serve's %q", cfg.HTTP.TLS.CipherSuites, want)
	}
	if cfg.HTTP.TLS.Certificate != "/certs/server.crt" {
		t.Errorf("certificate %q: the other TLS variables no longer parse alongside", cfg.HTTP.TLS.Certificate)
	}
}
