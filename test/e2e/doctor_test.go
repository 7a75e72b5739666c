package e2e

import (
	"encoding/json"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/esbtui/esbtui/internal/progress"
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
// and doctor exits 3. ESB_TRUST_ROOT alone (no SSL_CERT_FILE) points the
// TLS link at the sandbox's bundle, where `trust install` wrote. Each link's
// start and end reach stderr live (JSON lines with --json, plain lines
// otherwise) while stdout keeps the report.
func TestDoctorOnTheRealStack(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	root := trustSandbox(t)
	env := s.With("ESB_TRUST_ROOT=" + root)
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
	for _, want := range []string{"root CA", "server certificate", "trust: system", "container engine", "engine certs.d", "stack services", "TLS to registry (system roots)", "registry API /v2/", "probe push → pull → run", "alerts: storage", "alerts: push success", "alerts: pull success", "alerts: api p95"} {
		if seen[want] != "ok" {
			t.Errorf("%s = %q, want ok", want, seen[want])
		}
	}
	var events []progress.Event
	for _, l := range strings.Split(strings.TrimSpace(res.Stderr), "\n") {
		var e progress.Event
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("stderr line %q is not an event: %v", l, err)
		}
		events = append(events, e)
	}
	if n := len(events); n != 26 || events[n-7].Step != "probe push → pull → run" || events[n-5].Step != "alerts" || events[n-5].Status != progress.Done || events[n-1].Step != "mirror reaches its upstream" || events[n-1].Status != progress.Done {
		t.Errorf("%d live events, want 26: the probe, the alerts done, then the mirror links done:\n%s", n, res.Stderr)
	}
	for i := 0; i+1 < len(events); i += 2 {
		if events[i].Status != progress.Start || events[i+1].Step != events[i].Step || events[i+1].Status == progress.Start {
			t.Errorf("events %d-%d are not a start and an end of one link: %+v %+v", i, i+1, events[i], events[i+1])
			continue
		}
		t.Logf("%-32s %s after the first start, took %s", events[i].Step, events[i].Time.Sub(events[0].Time).Round(time.Millisecond), events[i+1].Time.Sub(events[i].Time).Round(time.Millisecond))
	}
	// The registry's plain volume is measured here when this machine can
	// reach it (root: /var/lib/docker is root's), else in the container;
	// either way it is the engine's data root's filesystem.
	_, fs, _ := statusDoc(t, env)
	want := "df in the container"
	if os.Geteuid() == 0 {
		want = "statfs here"
	}
	var sfs syscall.Statfs_t
	if err := syscall.Statfs(docker(t, "info", "-f", "{{.DockerRootDir}}"), &sfs); err != nil {
		t.Fatal(err)
	}
	if fs == nil || fs.Method != want || fs.Total != int64(sfs.Blocks)*sfs.Frsize {
		t.Errorf("registry filesystem %+v, want %s of %d bytes", fs, want, int64(sfs.Blocks)*sfs.Frsize)
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
	if !strings.Contains(plain.Stderr, "→ doctor stack services: checking") || !strings.Contains(plain.Stderr, "✗ doctor stack services: broken: stack ") ||
		!strings.Contains(plain.Stderr, "(fix: esbtui up)") || strings.Contains(plain.Stdout, "→ doctor") {
		t.Fatalf("plain doctor's live lines (stderr) or report (stdout): %s", plain)
	}
}
