package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esbtui/esbtui/internal/flows"
)

// TestMirrorAddInstallRmInSandbox: mirror add edits esb.yaml keeping its
// comments and names the credential source without the secret; install
// (in an ESB_TRUST_ROOT sandbox) changes daemon.json; rm is refused while
// the engines use the cache; uninstall restores daemon.json byte for byte;
// rm then works and the comments are still there.
func TestMirrorAddInstallRmInSandbox(t *testing.T) {
	home, dir := t.TempDir(), t.TempDir()
	if code, out, errOut := initCerts(t, home); code != 0 {
		t.Fatalf("init: %d\n%s\n%s", code, out, errOut)
	}
	root := filepath.Join(dir, "root")
	os.MkdirAll(filepath.Join(root, "etc", "docker"), 0o755)
	daemonJSON := filepath.Join(root, "etc", "docker", "daemon.json")
	orig := "{\n    \"log-driver\": \"journald\",\n    \"debug\": true\n}"
	os.WriteFile(daemonJSON, []byte(orig), 0o600)
	project := filepath.Join(dir, "esb.yaml")
	os.WriteFile(project, []byte("# my project\nregistry: localhost:5000 # where we push\n"), 0o644)
	dockerCfg := t.TempDir()
	secret := "s3cret-pw-xyz"
	auth := base64.StdEncoding.EncodeToString([]byte("dev:" + secret))
	os.WriteFile(filepath.Join(dockerCfg, "config.json"), []byte(`{"auths": {"https://index.docker.io/v1/": {"auth": "`+auth+`"}}}`), 0o600)
	t.Setenv("ESB_PROJECT_FILE", project)
	t.Setenv("ESB_TRUST_ROOT", root)
	t.Setenv("DOCKER_CONFIG", dockerCfg)
	t.Setenv("ESB_HUB_AUTH_URL", "https://127.0.0.1:1/token")

	code, out, errOut := runCLI(t, home, "mirror", "add", "docker.io", "--ttl", "24h", "--no-tui")
	if code != 0 {
		t.Fatalf("mirror add: %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "auths entry") || strings.Contains(out+errOut, secret) || strings.Contains(out+errOut, auth) {
		t.Errorf("mirror add should name the credential source, never the secret:\n%s\n%s", out, errOut)
	}
	data, _ := os.ReadFile(project)
	if !strings.Contains(string(data), "# my project") || !strings.Contains(string(data), "# where we push") || !strings.Contains(string(data), "upstream: docker.io") {
		t.Errorf("esb.yaml after add:\n%s", data)
	}
	if code, _, errOut := runCLI(t, home, "mirror", "add", "docker.io", "--no-tui"); code == 0 || !strings.Contains(errOut, "already has a mirror") {
		t.Errorf("second add of docker.io: %d %s", code, errOut)
	}

	code, out, errOut = runCLI(t, home, "mirror", "install", "--engine", "docker", "--yes", "--json")
	if code != 0 {
		t.Fatalf("mirror install: %d\n%s\n%s", code, out, errOut)
	}
	var res struct {
		Applied bool `json:"applied"`
		Plan    struct {
			DaemonConfig string `json:"daemon_config"`
		} `json:"plan"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || !res.Applied || res.Plan.DaemonConfig != daemonJSON {
		t.Errorf("install --json: %v %+v\n%s", err, res, out)
	}
	if b, _ := os.ReadFile(daemonJSON); !strings.Contains(string(b), `"registry-mirrors": ["https://localhost:5002"]`) {
		t.Errorf("daemon.json after install:\n%s", b)
	}

	code, out, _ = runCLI(t, home, "mirror", "ls", "--json")
	var ls struct {
		Mirrors []struct{ Upstream, Address string } `json:"mirrors"`
		Engines []struct{ Store, State string }      `json:"engines"`
		Quota   *struct{ Error string }              `json:"docker_hub_quota"`
	}
	if err := json.Unmarshal([]byte(out), &ls); err != nil || len(ls.Mirrors) != 1 || ls.Mirrors[0].Address != "localhost:5002" || ls.Quota == nil || ls.Quota.Error == "" {
		t.Errorf("mirror ls --json (exit %d): %v\n%s", code, err, out)
	}

	if code, _, errOut := runCLI(t, home, "mirror", "rm", "docker.io", "--no-tui"); code == 0 || !strings.Contains(errOut, "mirror uninstall") {
		t.Errorf("rm while installed: %d %s", code, errOut)
	}
	if code, out, errOut := runCLI(t, home, "mirror", "uninstall", "--engine", "docker", "--yes", "--no-tui"); code != 0 {
		t.Fatalf("uninstall: %d\n%s\n%s", code, out, errOut)
	}
	if b, _ := os.ReadFile(daemonJSON); string(b) != orig {
		t.Errorf("daemon.json after uninstall: %q, want %q", b, orig)
	}
	if fi, _ := os.Stat(daemonJSON); fi.Mode().Perm() != 0o600 {
		t.Errorf("daemon.json mode after uninstall: %v, want 0600", fi.Mode().Perm())
	}
	if code, out, errOut := runCLI(t, home, "mirror", "rm", "docker.io", "--no-tui"); code != 0 {
		t.Fatalf("rm: %d\n%s\n%s", code, out, errOut)
	}
	data, _ = os.ReadFile(project)
	if strings.Contains(string(data), "mirrors") || !strings.Contains(string(data), "# my project") || !strings.Contains(string(data), "# where we push") {
		t.Errorf("esb.yaml after rm:\n%s", data)
	}
}

// --ttl is read as esb.yaml's ttl is: a negative or unreadable duration is a
// usage error and esb.yaml is not written.
func TestMirrorAddRefusesABadTTL(t *testing.T) {
	home, dir := t.TempDir(), t.TempDir()
	project := filepath.Join(dir, "esb.yaml")
	orig := "registry: localhost:5000\n"
	os.WriteFile(project, []byte(orig), 0o644)
	t.Setenv("ESB_PROJECT_FILE", project)
	for _, ttl := range []string{"-1h", "forever"} {
		code, out, errOut := runCLI(t, home, "mirror", "add", "docker.io", "--ttl", ttl, "--no-tui")
		if code != 2 || !strings.Contains(errOut, "--ttl") {
			t.Errorf("mirror add --ttl %s: exit %d, want 2 and an error naming --ttl\n%s\n%s", ttl, code, out, errOut)
		}
	}
	if data, _ := os.ReadFile(project); string(data) != orig {
		t.Errorf("esb.yaml changed after a refused --ttl:\n%s", data)
	}
}

// A mirror's counters are its own report (outside input): a count past
// int64 prints as a size, never a negative one.
func TestPrintMirrorsHugeCounters(t *testing.T) {
	var out bytes.Buffer
	a := newApp(strings.NewReader(""), &out, &out)
	printMirrors(a, &flows.MirrorsSection{Mirrors: []flows.MirrorStatus{{Upstream: "docker.io", Address: "127.0.0.1:5001", Running: true,
		BytesFromCache: 1 << 63, BytesFromUpstream: ^uint64(0)}}})
	if got := out.String(); strings.Contains(got, "-8.0 EiB") || strings.Count(got, " 8.0 EiB") != 2 {
		t.Errorf("a huge counter printed as a negative size:\n%s", got)
	}
}
