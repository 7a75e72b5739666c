package stack

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestSetHealthcheckTest: the registry's wget healthcheck is replaced by
// the given exec-form test, probed every second with retries scaled to the
// same 30 s budget (3 s × 10); the default image stays registry:3 when
// ESB_REGISTRY_IMAGE is not injected.
func TestSetHealthcheckTest(t *testing.T) {
	dir := t.TempDir()
	env := testEnv(dir)
	p, err := LoadProject(context.Background(), ProjectOptions{Name: "esbtest", DefaultDir: filepath.Join(dir, "stack"), Env: env})
	if err != nil {
		t.Fatal(err)
	}
	if img := p.ServiceImage(RegistryService); img != "registry:3" {
		t.Fatalf("default image %q, want registry:3", img)
	}
	test := []string{"CMD", "/esbtui", "registryd", "healthcheck", "https://localhost:5000/"}
	if !p.SetHealthcheckTest(RegistryService, test, time.Second) {
		t.Fatal("no registry service")
	}
	hc := p.Compose().Services[RegistryService].HealthCheck
	if !slices.Equal([]string(hc.Test), test) || hc.Interval == nil || time.Duration(*hc.Interval) != time.Second || hc.Retries == nil || *hc.Retries != 30 {
		t.Fatalf("healthcheck %+v", hc)
	}
	if p.SetHealthcheckTest("nope", test, 0) {
		t.Fatal("a missing service reported as set")
	}
}
