package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esbtui/esbtui/internal/testutil"
)

// TestHostEnvTrustsTheRegistry: after eval "$(esbtui env)" the host's
// curl, Python (urllib and requests), Node and Java verify the stack's
// registry; without it they refuse it (the stack's CA is in no host store:
// init --skip-trust).
func TestHostEnvTrustsTheRegistry(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	mustCLI(t, s.Env, "up", "--no-tui")
	url := fmt.Sprintf("https://%s/v2/", s.Addr())
	javaGet := filepath.Join(testutil.RepoRoot(), "test", "e2e", "testdata", "javaget", "Get.java")
	clients := map[string]string{
		"curl":     `curl -sS -o /dev/null --max-time 15 "$URL"`,
		"urllib":   `python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=15)' "$URL"`,
		"requests": `python3 -c 'import sys, requests; requests.get(sys.argv[1], timeout=15)' "$URL"`,
		"node":     `node -e 'require("https").get(process.argv[1], r => process.exit(0)).on("error", e => { console.error(e.message); process.exit(1) })' "$URL"`,
		"java":     `java "$JAVA_GET" "$URL"`,
	}
	for _, shell := range []string{"bash", "sh"} {
		for name, client := range clients {
			for _, withEnv := range []bool{true, false} {
				script := client
				if withEnv {
					script = `eval "$("$ESBTUI" env --shell ` + shell + `)" || exit 99; ` + client
				}
				cmd := exec.Command(shell, "-c", script)
				cmd.Env = baseEnv(s.With("ESBTUI="+esbtuiBin(t), "URL="+url, "JAVA_GET="+javaGet))
				cmd.Env = append(cmd.Env, "HOME="+os.Getenv("HOME"))
				out, err := cmd.CombinedOutput()
				switch {
				case withEnv && err != nil:
					t.Errorf("%s, %s after eval \"$(esbtui env)\": %v\n%s", shell, name, err, out)
				case !withEnv && err == nil:
					t.Errorf("%s, %s without esbtui env verified the registry: the test proves nothing\n%s", shell, name, out)
				}
			}
			if shell == "sh" {
				break // one client is enough for the second shell
			}
		}
	}

	// trust status reports the runtimes: trusted through the environment
	// after eval, not set before.
	for _, withEnv := range []bool{true, false} {
		script := `"$ESBTUI" trust status --json; true`
		if withEnv {
			script = `eval "$("$ESBTUI" env --shell bash)" && ` + script
		}
		cmd := exec.Command("bash", "-c", script)
		cmd.Env = baseEnv(s.With("ESBTUI=" + esbtuiBin(t)))
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("trust status: %v", err)
		}
		var st struct {
			Runtimes []struct {
				Runtime, Variable, Why string
				Trusted, Set           bool
			}
		}
		if err := json.Unmarshal(out, &st); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if len(st.Runtimes) != 5 {
			t.Fatalf("runtimes: %+v", st.Runtimes)
		}
		for _, r := range st.Runtimes {
			if r.Trusted != withEnv || r.Set != withEnv {
				t.Errorf("with esbtui env %v: %+v", withEnv, r)
			}
		}
	}

	// The exports name the bundle in ESB_HOME.
	res := mustCLI(t, s.Env, "env", "--shell", "fish")
	want := "set -gx SSL_CERT_FILE '" + filepath.Join(s.Home, "trust", "ca-bundle.pem") + "';"
	if !strings.Contains(res.Stdout, want) {
		t.Errorf("esbtui env --shell fish lacks %q:\n%s", want, res.Stdout)
	}
}
