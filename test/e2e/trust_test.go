package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esbtui/esbtui/internal/testutil"
)

// trustSandbox is a Debian tree for ESB_TRUST_ROOT (see testutil).
func trustSandbox(t *testing.T) string { return testutil.DebianTrustSandbox(t) }

type trustStatusDoc struct {
	Root   string `json:"root"`
	CA     string `json:"ca_sha256"`
	Stores []struct {
		Store, State, Reason string
	} `json:"stores"`
}

func storeState(t *testing.T, out string, store string) string {
	t.Helper()
	var doc trustStatusDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("trust status --json: %v\n%s", err, out)
	}
	for _, s := range doc.Stores {
		if s.Store == store {
			return s.State
		}
	}
	t.Fatalf("no %s store in %s", store, out)
	return ""
}

// TestTrustCLI drives the binary against a sandbox root: init without --yes
// prints the plan and exits 1 changing nothing; with --yes it trusts the
// CA (real update-ca-certificates); a tool failing half way through a
// multi-store uninstall is reported per store; uninstall cleans up.
func TestTrustCLI(t *testing.T) {
	t.Parallel()
	root := trustSandbox(t)
	home := newHome(t)
	env := []string{"ESB_HOME=" + home, "ESB_TRUST_ROOT=" + root}
	anchorGlob := filepath.Join(root, "usr/local/share/ca-certificates", "esbtui-ca-*.crt")

	res := runCLI(t, env, "init", "--no-tui")
	if res.Code != 1 || !strings.Contains(res.Stdout, "Trust install plan") || !strings.Contains(res.Stdout, "update-ca-certificates --certsconf "+root) ||
		!strings.Contains(res.Stderr, "re-run with --yes") {
		t.Fatalf("headless init without --yes: %s", res)
	}
	if m, _ := filepath.Glob(anchorGlob); len(m) != 0 {
		t.Fatalf("init without --yes changed the store: %v", m)
	}

	res = mustCLI(t, env, "trust", "install", "--dry-run", "--json", "--store", "system")
	var doc struct {
		Plan struct {
			Op     string `json:"op"`
			Stores []struct {
				Store string `json:"store"`
				Plan  struct {
					Files    []string   `json:"files"`
					Commands [][]string `json:"commands"`
				} `json:"plan"`
			} `json:"stores"`
		} `json:"plan"`
		Applied bool `json:"applied"`
	}
	err := json.Unmarshal([]byte(res.Stdout), &doc)
	plan := doc.Plan
	if err != nil || doc.Applied || plan.Op != "install" || len(plan.Stores) != 1 || len(plan.Stores[0].Plan.Files) != 1 || len(plan.Stores[0].Plan.Commands) != 1 {
		t.Fatalf("dry-run JSON (%v): %s", err, res)
	}
	if m, _ := filepath.Glob(anchorGlob); len(m) != 0 {
		t.Fatal("--dry-run changed the store")
	}

	var audit []byte
	res = mustCLI(t, env, "init", "--no-tui", "--yes")
	if !strings.Contains(res.Stdout, "✓ system     done (now trusted)") || !strings.Contains(res.Stdout, "✓ docker     done (now trusted)") {
		t.Fatalf("init --yes: %s", res)
	}
	t.Logf("measured: esbtui init --yes (new CA + server cert + trust into the sandbox) %v", res.Elapsed)
	res = mustCLI(t, env, "trust", "status", "--json")
	t.Logf("measured: esbtui trust status %v", res.Elapsed)
	if storeState(t, res.Stdout, "system") != "trusted" || storeState(t, res.Stdout, "docker") != "trusted" {
		t.Fatalf("status after init: %s", res)
	}
	if res := mustCLI(t, env, "init", "--no-tui"); !strings.Contains(res.Stdout, "= system     nothing to do (trusted)") {
		t.Fatalf("second init: %s", res)
	}
	audit, err = os.ReadFile(filepath.Join(home, "audit.jsonl"))
	if err != nil || !strings.Contains(string(audit), `"action":"trust.installed"`) || !strings.Contains(string(audit), `"store":"system"`) {
		t.Fatalf("audit log (%v):\n%s", err, audit)
	}

	// A refresh tool that fails: the system store fails, the others are
	// still removed, and the error names both sides.
	bin := t.TempDir()
	fake := filepath.Join(bin, "update-ca-certificates")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho 'E: simulated failure' >&2\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	res = runCLI(t, append(env, "PATH="+bin+":"+os.Getenv("PATH")), "trust", "uninstall", "--yes", "--no-tui")
	if res.Code != 1 || !strings.Contains(res.Stderr, "trust uninstall failed for system (done: docker") ||
		!strings.Contains(res.Stderr, "exited with status 3: E: simulated failure") || !strings.Contains(res.Stdout, "✗ system     failed") {
		t.Fatalf("uninstall with a failing tool: %s", res)
	}
	res = runCLI(t, env, "trust", "status", "--json")
	if res.Code != 1 || storeState(t, res.Stdout, "docker") != "missing" || storeState(t, res.Stdout, "system") != "trusted" {
		t.Fatalf("status after the half-failed uninstall: %s", res)
	}

	res = mustCLI(t, env, "trust", "uninstall", "--yes", "--no-tui")
	if m, _ := filepath.Glob(anchorGlob); len(m) != 0 {
		t.Fatalf("anchor left after uninstall: %v\n%s", m, res)
	}
	if res := runCLI(t, env, "trust", "status", "--json"); res.Code != 1 || storeState(t, res.Stdout, "system") != "missing" {
		t.Fatalf("status after uninstall: %s", res)
	}

	if res := runCLI(t, env, "trust", "install", "--store", "bogus"); res.Code != 2 || !strings.Contains(res.Stderr, "choose from system, docker") {
		t.Fatalf("unknown store: %s", res)
	}
	if res := runCLI(t, env, "trust", "install", "--store", "nss", "--yes", "--no-tui"); res.Code != 1 || !strings.Contains(res.Stderr, "nss: not applicable") {
		t.Fatalf("named store that does not apply: %s", res)
	}
}
