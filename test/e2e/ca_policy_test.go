package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCAPolicyFromTheBinary (no engine needed): the binary refuses a
// public suffix from --name and from esb.yaml (with esb.yaml:LINE), and
// `trust install` refuses a rootCA.crt with a second certificate appended,
// writing nothing into the sandboxed system store.
func TestCAPolicyFromTheBinary(t *testing.T) {
	t.Parallel()
	root := trustSandbox(t)
	home := newHome(t)
	env := []string{"ESB_HOME=" + home, "ESB_TRUST_ROOT=" + root}

	res := runCLI(t, env, "init", "--no-tui", "--skip-trust", "--name", "*.com")
	if res.Code == 0 || !strings.Contains(res.Stderr, "public suffix") || !strings.Contains(res.Stderr, ".test") {
		t.Fatalf("init --name '*.com': %s", res)
	}
	yaml := filepath.Join(t.TempDir(), "esb.yaml")
	if err := os.WriteFile(yaml, []byte("names:\n  - api.test\n  - github.io\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res = runCLI(t, append(env, "ESB_PROJECT_FILE="+yaml), "init", "--no-tui", "--skip-trust")
	if res.Code == 0 || !strings.Contains(res.Stdout+res.Stderr, yaml+":3") {
		t.Fatalf("esb.yaml names: [github.io]: %s", res)
	}
	if _, err := os.Stat(filepath.Join(home, "certs", "rootCA.key")); err == nil {
		t.Fatal("a CA was created for a refused name")
	}

	mustCLI(t, env, "init", "--no-tui", "--skip-trust", "--name", "dev.mycompany.com")
	other := newHome(t)
	mustCLI(t, []string{"ESB_HOME=" + other, "ESB_TRUST_ROOT=" + root}, "init", "--no-tui", "--skip-trust")
	caFile := filepath.Join(home, "certs", "rootCA.crt")
	mine, _ := os.ReadFile(caFile)
	foreign, _ := os.ReadFile(filepath.Join(other, "certs", "rootCA.crt"))
	if err := os.WriteFile(caFile, append(mine, foreign...), 0o644); err != nil {
		t.Fatal(err)
	}
	res = runCLI(t, env, "trust", "install", "--yes", "--no-tui", "--store", "system")
	if res.Code == 0 || !strings.Contains(res.Stdout+res.Stderr, caFile) || !strings.Contains(res.Stdout+res.Stderr, "more than one PEM block") {
		t.Fatalf("trust install with an appended certificate: %s", res)
	}
	if m, _ := filepath.Glob(filepath.Join(root, "usr/local/share/ca-certificates", "*")); len(m) != 0 {
		t.Fatalf("anchors written: %v", m)
	}
}
