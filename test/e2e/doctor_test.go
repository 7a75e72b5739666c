package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

type doctorDoc struct {
	Checks []struct {
		Name   string `json:"name"`
		Status string `json:"status"`
		Why    string `json:"why"`
		Fix    string `json:"fix"`
	} `json:"checks"`
}

func runDoctor(t *testing.T, env []string) (doctorDoc, cliResult) {
	t.Helper()
	res := runCLI(t, env, "doctor", "--json")
	var d doctorDoc
	if err := json.Unmarshal([]byte(res.Stdout), &d); err != nil {
		t.Fatalf("doctor --json: %v\n%s", err, res)
	}
	return d, res
}

// TestDoctorOnTheRealStack: a healthy stack with the CA trusted (in a
// sandboxed Debian store) passes every link including the probe image
// pushed, pulled back and run; after `down` the first failure is the stack
// and doctor exits 3.
func TestDoctorOnTheRealStack(t *testing.T) {
	s := newStack(t)
	root := trustSandbox(t)
	env := s.With("ESB_TRUST_ROOT="+root, "SSL_CERT_FILE="+filepath.Join(root, "etc/ssl/certs/ca-certificates.crt"))
	mustCLI(t, env, "trust", "install", "--yes", "--no-tui")
	mustCLI(t, env, "up", "--no-tui")

	d, res := runDoctor(t, env)
	if res.Code != 0 {
		t.Fatalf("doctor on a healthy stack exited %d:\n%s", res.Code, res.Stdout)
	}
	seen := map[string]string{}
	for _, c := range d.Checks {
		seen[c.Name] = c.Status
		if c.Status == "fail" || c.Status == "skipped" {
			t.Errorf("%s: %s (%s)", c.Name, c.Status, c.Why)
		}
	}
	for _, want := range []string{"root CA", "server certificate", "trust: system", "container engine", "engine certs.d", "stack services", "TLS to registry (system roots)", "registry API /v2/", "probe push → pull → run"} {
		if seen[want] != "ok" {
			t.Errorf("%s = %q, want ok", want, seen[want])
		}
	}
	// The probe cleaned up after itself: no probe tag left in the registry.
	tags := runCLI(t, env, "tags", "esbtui-probe", "--json")
	if strings.Contains(tags.Stdout, `"tags": [`) && !strings.Contains(tags.Stdout, `"tags": []`) {
		t.Errorf("probe tag left behind: %s", tags.Stdout)
	}

	mustCLI(t, env, "down", "--no-tui")
	d, res = runDoctor(t, env)
	if res.Code != 3 {
		t.Fatalf("doctor with the stack down exited %d, want 3", res.Code)
	}
	for _, c := range d.Checks {
		if c.Status == "fail" {
			if c.Name != "stack services" || c.Fix != "esbtui up" {
				t.Fatalf("first failure %+v, want the stack with fix esbtui up", c)
			}
			break
		}
	}
	plain := runCLI(t, env, "doctor", "--no-tui")
	if plain.Code != 3 || !strings.Contains(plain.Stdout, "First broken link: stack services. Fix: esbtui up") {
		t.Fatalf("plain doctor: %s", plain)
	}
}
