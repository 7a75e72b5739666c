package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestSystemTrustForReal is the plan's §4.3 check on the machine's real
// paths: `esbtui init --yes` trusts the CA in the system store, and curl
// (system trust, no --cacert) then accepts https://localhost:PORT/v2/;
// `esbtui trust uninstall --yes` undoes it and the same curl fails.
// It runs in a private mount namespace where /etc and
// /usr/local/share/ca-certificates are copies, so the machine is untouched.
func TestSystemTrustForReal(t *testing.T) {
	if os.Getenv("ESB_E2E_PRIVATE_MOUNTS") == "" {
		if os.Geteuid() != 0 {
			t.Fatal("this test needs root for a private mount namespace (./test/run runs as root)")
		}
		cmd := exec.Command("unshare", "--mount", "--propagation", "private", os.Args[0], "-test.run=^TestSystemTrustForReal$", "-test.v")
		cmd.Env = append(os.Environ(), "ESB_E2E_PRIVATE_MOUNTS=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestSystemTrustForReal") {
			t.Fatalf("in a private mount namespace: %v\n%s", err, out)
		}
		return
	}
	// Inside the namespace: make the system paths private copies.
	tmp := t.TempDir()
	for _, m := range [][2]string{{"/etc", tmp + "/etc"}, {"/usr/local/share/ca-certificates", tmp + "/local-ca"}} {
		if out, err := exec.Command("cp", "-a", m[0], m[1]).CombinedOutput(); err != nil {
			t.Fatalf("copy %s: %v %s", m[0], err, out)
		}
		if out, err := exec.Command("mount", "--bind", m[1], m[0]).CombinedOutput(); err != nil {
			t.Fatalf("bind %s: %v %s", m[0], err, out)
		}
	}
	home := newHome(t)
	port := freePort(t)
	env := []string{"ESB_HOME=" + home, fmt.Sprintf("ESB_REGISTRY_PORT=%d", port), "HOME=" + t.TempDir()}
	res := mustCLI(t, env, "init", "--no-tui", "--yes")
	if !strings.Contains(res.Stdout, "system") {
		t.Fatalf("init did not report the system store:\n%s", res)
	}
	srv := startCLI(t, env, "serve", "--no-tui")
	srv.waitStdout("serving https://", 30*time.Second)
	url := fmt.Sprintf("https://localhost:%d/v2/", port)
	curl := func() (int, string) {
		c := exec.Command("curl", "-fsS", "-o", "/dev/null", "-w", "%{http_code}", url)
		c.Env = []string{"PATH=" + os.Getenv("PATH")} // no CURL_CA_BUNDLE, no SSL_CERT_FILE
		out, err := c.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		}
		return 0, string(out)
	}
	if code, out := curl(); code != 0 || out != "200" {
		t.Fatalf("curl with system trust after init: exit %d: %s", code, out)
	}
	st := mustCLI(t, env, "trust", "status", "--json")
	if !strings.Contains(st.Stdout, `"store": "system"`) || !strings.Contains(st.Stdout, `"state": "trusted"`) {
		t.Fatalf("trust status: %s", st.Stdout)
	}
	mustCLI(t, env, "trust", "uninstall", "--yes", "--no-tui")
	if code, out := curl(); code != 60 {
		t.Fatalf("curl after uninstall: exit %d (want 60, certificate problem): %s", code, out)
	}
	if code := srv.interrupt(10 * time.Second); code != 0 {
		t.Errorf("serve exit %d", code)
	}
}
