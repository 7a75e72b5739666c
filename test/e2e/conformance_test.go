package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esbtui/esbtui/internal/testutil"
)

// TestStackRegistryConformance runs the OCI distribution-spec conformance
// suite (test/conformance: pinned, sha512 content off as the README says)
// against the stack's registry on esbtui's own image with basic auth on:
// no failures — the referrers API, OCI-Subject and non-distributable layers
// come from esbtui's handler in front of distribution inside the container,
// behind distribution's own TLS and htpasswd.
func TestStackRegistryConformance(t *testing.T) {
	s := newStack(t)
	mustCLI(t, s.Env, "up", "--auth", "--no-tui")
	if image, _, _ := registryStatus(t, s); !strings.HasPrefix(image, "esbtui/registry:") {
		t.Fatalf("the stack runs %q, not esbtui's image", image)
	}
	password := readTrim(t, filepath.Join(s.Home, "auth", "password"))
	cmd := exec.Command(filepath.Join(testutil.RepoRoot(), "test", "conformance"))
	cmd.Env = append(os.Environ(),
		"ESB_CONFORMANCE_REGISTRY="+s.Addr(), "ESB_CONFORMANCE_CA="+s.CACert(),
		"ESB_CONFORMANCE_USERNAME=esbtui", "ESB_CONFORMANCE_PASSWORD="+password)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "failures 0") {
		t.Fatalf("conformance against the stack's registry: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "conformance:") {
			t.Log(line)
		}
	}
}
