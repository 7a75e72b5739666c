package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// These run the binary against hostile local input (issue 13, items 8-10);
// none needs the Docker engine: every refusal comes before it.

func TestProjectFileBoundsFromBinary(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	zero := filepath.Join(dir, "esb.yaml")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	env := []string{"ESB_HOME=" + newHome(t), "ESB_PROJECT_FILE=" + zero}
	// `version` reads no configuration at all.
	if res := runCLI(t, env, "version"); res.Code != 0 || !strings.HasPrefix(res.Stdout, "esbtui ") {
		t.Errorf("version with esb.yaml -> /dev/zero: %s", res)
	}
	res := runCLI(t, env, "status", "--no-tui")
	if res.Code == 0 || !strings.Contains(res.Stderr, zero+" is not a regular file") {
		t.Errorf("status with esb.yaml -> /dev/zero: %s", res)
	}

	two := filepath.Join(dir, "two.yaml")
	os.WriteFile(two, []byte("registry: localhost:5000\n---\nnames: [api.test]\n"), 0o644)
	res = runCLI(t, []string{"ESB_HOME=" + newHome(t), "ESB_PROJECT_FILE=" + two}, "status", "--no-tui")
	if res.Code == 0 || !strings.Contains(res.Stderr, two+":3: a second YAML document") {
		t.Errorf("status with two documents: %s", res)
	}

	big := filepath.Join(dir, "big.yaml")
	os.WriteFile(big, []byte(strings.Repeat("# a comment line of padding\n", 40000)), 0o644)
	res = runCLI(t, []string{"ESB_HOME=" + newHome(t), "ESB_PROJECT_FILE=" + big}, "status", "--no-tui")
	if res.Code == 0 || !strings.Contains(res.Stderr, big+":") || !strings.Contains(res.Stderr, "larger than 1 MiB") {
		t.Errorf("status with a 1.1 MiB esb.yaml: %s", res)
	}
}

func TestUpRefusesComposeFilePublishingTheRegistry(t *testing.T) {
	t.Parallel()
	home := newHome(t)
	f := filepath.Join(t.TempDir(), "compose.yaml")
	os.WriteFile(f, []byte("services:\n  registry:\n    ports: [\"[::]:5000:5000\"]\n"), 0o644)
	res := runCLI(t, []string{"ESB_HOME=" + home, "ESB_PROJECT=" + randomName("esbexp")}, "up", "-f", f, "--no-tui")
	if res.Code != 2 || !strings.Contains(res.Stderr, "refusing") || !strings.Contains(res.Stderr, "[::]:5000->5000/tcp") {
		t.Errorf("up -f publishing the registry on [::]: %s", res)
	}
}

func TestOwnFilesAreNotFollowedFromBinary(t *testing.T) {
	t.Parallel()
	home := newHome(t)
	env := []string{"ESB_HOME=" + home}
	victim := filepath.Join(t.TempDir(), "victim")
	os.WriteFile(victim, []byte("keep"), 0o644)

	// The certificate lock.
	os.MkdirAll(filepath.Join(home, "certs"), 0o700)
	os.Symlink(victim, filepath.Join(home, "certs", ".lock"))
	res := runCLI(t, env, "init", "--skip-trust", "--no-tui")
	if res.Code == 0 || !strings.Contains(res.Stderr, ".lock is a symbolic link") {
		t.Errorf("init with a symlinked lock: %s", res)
	}
	os.Remove(filepath.Join(home, "certs", ".lock"))

	// The audit log: init succeeds without writing through it, `audit`
	// says what is wrong.
	os.Symlink(victim, filepath.Join(home, "audit.jsonl"))
	mustCLI(t, env, "init", "--skip-trust", "--no-tui")
	res = runCLI(t, env, "audit", "--no-tui")
	if res.Code == 0 || !strings.Contains(res.Stderr, "audit.jsonl is a symbolic link") {
		t.Errorf("audit with a symlinked log: %s", res)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Errorf("the links' target changed: %q", b)
	}
}

func TestInitRefusesAnotherUsersCertDir(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Fatal("needs root to chown the cert dir to another user (./test/run runs as root)")
	}
	home := newHome(t)
	certs := filepath.Join(home, "certs")
	os.MkdirAll(certs, 0o755)
	if err := os.Chown(certs, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	res := runCLI(t, []string{"ESB_HOME=" + home}, "init", "--skip-trust", "--no-tui")
	if res.Code == 0 || !strings.Contains(res.Stderr, "another user's certificate directory") {
		t.Errorf("init in a dir owned by uid 65534: %s", res)
	}
	if st, _ := os.Stat(certs); st.Mode().Perm() != 0o755 {
		t.Errorf("the directory was chmod-ed to %#o", st.Mode().Perm())
	}
	// Under sudo the invoking user's own directory is theirs.
	mustCLI(t, []string{"ESB_HOME=" + home, "SUDO_UID=65534"}, "init", "--skip-trust", "--no-tui")
}

// A service whose log lines and health-check output carry escape
// sequences: `up` (which reports the unhealthy service with its last health
// output), `status` and `logs` print them without the sequences.
func TestContainerTextIsCleanedFromBinary(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	f := filepath.Join(t.TempDir(), "compose.yaml")
	os.WriteFile(f, []byte(`services:
  hostile:
    image: `+s.Image+`
    entrypoint: ["sh", "-c", "printf 'logline \\033]0;pwned\\007 end \\033[2J\\n'; exec sleep 3600"]
    healthcheck:
      test: ["CMD-SHELL", "printf 'bad \\033]0;pwned\\007 health \\033[2J'; exit 1"]
      interval: 1s
      timeout: 2s
      retries: 1
`), 0o644)
	env := s.With("ESB_COMPOSE_FILE=" + f)
	for _, args := range [][]string{
		{"up", "--wait-timeout", "60s", "--no-tui"},
		{"status", "--no-tui"},
		{"logs", "hostile", "--no-tui"},
	} {
		res := runCLI(t, env, args...)
		out := res.Stdout + res.Stderr
		if strings.ContainsRune(out, 0x1b) || strings.Contains(out, "pwned") {
			t.Errorf("esbtui %s printed an escape sequence: %q", strings.Join(args, " "), out)
		}
		want := map[string]string{"up": "bad  health", "status": "bad  health", "logs": "logline  end"}[args[0]]
		if !strings.Contains(out, want) {
			t.Errorf("esbtui %s lacks the cleaned text %q: %s", strings.Join(args, " "), want, res)
		}
	}
}
