package e2e

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// keyBodyLines are the base64 body lines of a PEM private key file (the
// key material itself), skipping short lines that could occur by chance.
func keyBodyLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "-----") || len(line) < 16 {
			continue
		}
		out = append(out, line)
	}
	if len(out) == 0 {
		t.Fatalf("%s holds no key body", path)
	}
	return out
}

// TestNoSecretsInOutputs runs a full flow — init with trust (sandboxed
// store), up --auth, build + push, status --json, doctor --json, catalog,
// tags, inspect, auth status/rotate, the dashboard building and pushing in
// tmux, audit (plain and --json) — and scans every stdout and stderr, every
// captured TUI frame, $ESB_HOME/logs/*, $ESB_HOME/audit.jsonl for
// private-key PEM blocks, for any base64 line of the CA and server keys,
// and for the registry passwords (before and after rotate) and the
// htpasswd hash: none may appear.
func TestNoSecretsInOutputs(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	root := trustSandbox(t)
	env := s.With("ESB_TRUST_ROOT="+root, "SSL_CERT_FILE="+filepath.Join(root, "etc/ssl/certs/ca-certificates.crt"),
		"DOCKER_CONFIG="+t.TempDir())
	fn := helloFunction(t, "no secrets here")

	type run struct {
		args []string
		res  cliResult
	}
	var runs []run
	do := func(must bool, args ...string) cliResult {
		t.Helper()
		var res cliResult
		if must {
			res = mustCLI(t, env, args...)
		} else {
			res = runCLI(t, env, args...)
		}
		runs = append(runs, run{args, res})
		return res
	}
	do(true, "init", "--yes", "--no-tui")
	do(true, "up", "--auth", "--no-tui")
	do(true, "build", "hello", "--dir", fn, "--json")
	do(true, "build", "hello", "--dir", fn, "--no-tui")
	do(true, "status", "--json")
	do(true, "status", "--no-tui")
	do(false, "doctor", "--json")
	do(false, "doctor", "--no-tui")
	do(true, "catalog", "--json")
	do(true, "tags", "hello", "--json")
	do(true, "inspect", "hello:latest", "--json")
	do(true, "cert", "show", "--json")
	do(true, "auth", "status", "--json")
	do(true, "auth", "status", "--no-tui")
	passwordFile := filepath.Join(s.Home, "auth", "password")
	oldPassword, err := os.ReadFile(passwordFile)
	if err != nil {
		t.Fatalf("no password after up --auth: %v", err)
	}
	do(true, "auth", "rotate", "--no-tui")
	do(true, "auth", "rotate", "--json")
	do(true, "push", s.Addr()+"/hello:latest", "--json")
	// TUI frames: the dashboard at 200x50 showing the registry, then
	// building and pushing hello (b), every frame captured.
	var frames []string
	tui := newTUISession(t)
	tui.start(fn, 200, 50, env)
	frames = append(frames, tui.waitFor("the registry in the dashboard", time.Minute, contains("─ Registry ✓ ", "  hello")))
	tui.keys("b")
	frames = append(frames, tui.waitFor("build and push in the dashboard", 3*time.Minute, func(scr string) bool {
		frames = append(frames, scr)
		return strings.Contains(scr, "build all done") || strings.Contains(scr, "build all failed")
	}))
	if last := frames[len(frames)-1]; !strings.Contains(last, "build all done") {
		t.Fatalf("build in the dashboard failed:\n%s", last)
	}
	tui.keys("q")
	tui.waitExit()

	do(true, "audit", "--no-tui")
	do(true, "audit", "--json")
	// The registry's own log, through esbtui and straight from the engine:
	// distribution logs its notification endpoint's headers at start.
	regLog := do(true, "logs", "registry")
	if !strings.Contains(regLog.Stdout, "configuring endpoint esbtui") {
		t.Errorf("esbtui logs registry lacks the endpoint line the scan is for:\n%s", regLog.Stdout)
	}
	dockerLogs, err := exec.Command("docker", "logs", s.Project+"-registry").CombinedOutput()
	if err != nil {
		t.Fatalf("docker logs: %v %s", err, dockerLogs)
	}
	do(true, "down", "--no-tui")

	secrets := map[string]string{"a PEM private key block": "PRIVATE KEY"}
	for _, f := range []string{"rootCA.key", "server.key"} {
		for i, line := range keyBodyLines(t, filepath.Join(s.Home, "certs", f)) {
			secrets[f+" body line "+itoa(i+1)] = line
		}
	}
	if tok, err := os.ReadFile(filepath.Join(s.Home, "auth", "events-token")); err != nil || len(strings.TrimSpace(string(tok))) < 12 {
		t.Fatalf("events token: %v %q", err, tok)
	} else {
		secrets["the events token"] = strings.TrimSpace(string(tok))
	}
	newPassword, err := os.ReadFile(passwordFile)
	if err != nil {
		t.Fatal(err)
	}
	for what, p := range map[string][]byte{"the first password": oldPassword, "the rotated password": newPassword} {
		pw := strings.TrimSpace(string(p))
		if len(pw) < 12 {
			t.Fatalf("%s is only %d characters", what, len(pw))
		}
		secrets[what] = pw
	}
	if string(oldPassword) == string(newPassword) {
		t.Fatal("auth rotate kept the password")
	}
	if ht, err := os.ReadFile(filepath.Join(s.Home, "auth", "registry", "htpasswd")); err == nil {
		if _, hash, ok := strings.Cut(strings.TrimSpace(string(ht)), ":"); ok {
			secrets["the htpasswd hash"] = hash
		}
	}

	texts := map[string]string{}
	for _, r := range runs {
		name := "esbtui " + strings.Join(r.args, " ")
		texts[name+" (stdout)"] = r.res.Stdout
		texts[name+" (stderr)"] = r.res.Stderr
	}
	texts["docker logs of the registry"] = string(dockerLogs)
	for i, f := range frames {
		texts["TUI frame "+itoa(i+1)] = f
	}
	logs, _ := filepath.Glob(filepath.Join(s.Home, "logs", "*"))
	for _, f := range append(logs, filepath.Join(s.Home, "audit.jsonl")) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("read %s: %v", f, err)
		}
		if len(data) == 0 {
			t.Errorf("%s is empty: the scan would prove nothing", f)
		}
		texts[f] = string(data)
	}
	if len(logs) == 0 {
		t.Error("no log file under $ESB_HOME/logs")
	}

	scanned := 0
	for where, text := range texts {
		scanned += len(text)
		for what, secret := range secrets {
			if strings.Contains(text, secret) {
				t.Errorf("%s contains %s", where, what)
			}
		}
	}
	t.Logf("scanned %d outputs and files (%d KiB) for %d secrets", len(texts), scanned>>10, len(secrets))
}
