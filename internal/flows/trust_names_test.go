package flows

import (
	"slices"
	"testing"

	"github.com/esbtui/esbtui/internal/config"
	"github.com/esbtui/esbtui/trust"
)

// TestRegistryNamesWithoutPort: an ESB_REGISTRY without a port is the bare
// host (port 443, certs.d/HOST), an IPv6 literal without its brackets; the
// stack's own names stay on the stack's port; every entry passes the
// validator that guards paths.
func TestRegistryNamesWithoutPort(t *testing.T) {
	for reg, want := range map[string][]string{
		"[::1]":             {"::1", "localhost:5000"},
		"registry.test":     {"registry.test", "esb-registry:5000"},
		"[::1]:5443":        {"[::1]:5443", "localhost:5443"},
		"registry.test:443": {"registry.test:443"},
	} {
		e := &Env{Cfg: config.Config{Registry: reg, RegistryPort: 5000}}
		got := e.registryNames()
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("%s: names %v lack %s", reg, got, w)
			}
		}
		for _, n := range got {
			if err := trust.CheckRegistryName(n); err != nil {
				t.Errorf("%s: name %q refused: %v", reg, n, err)
			}
		}
	}
}
