package trust

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestSudoPath runs a plan that needs root in a process that is not root,
// with `env --` standing in for sudo, so every step goes through the argv
// the elevated path builds (mkdir -p, tee, chmod, rm -f, rmdir, the
// command). As root the helper runs as nobody.
func TestSudoPath(t *testing.T) {
	dir, err := os.MkdirTemp("", "esbtui-sudo-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o777)
	bin := filepath.Join(dir, "trust.test")
	src, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	dst, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	src.Close()
	dst.Close()
	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(work, 0o777)

	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=sudo", "ESB_TRUST_TEST_DIR="+work)
	if isRoot() {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "ok" {
		t.Fatalf("helper said: %s", got)
	}
	if ents, _ := os.ReadDir(work); len(ents) != 1 || ents[0].Name() != "ran" {
		t.Fatalf("work dir after the plan: %v", ents)
	}
}

func sudoHelper() int {
	if isRoot() {
		fmt.Println("helper runs as root: the elevated path would not be taken")
		return 1
	}
	work := os.Getenv("ESB_TRUST_TEST_DIR")
	cfg := &Config{Sudo: []string{"env", "--"}}
	file := filepath.Join(work, "sub", "ca.crt")
	install := Plan{Store: "test", Op: OpInstall, NeedsRoot: true, Steps: []Step{
		writeStep(file, []byte("pem\n")),
		runStep("touch", filepath.Join(work, "ran")),
	}}
	if err := cfg.execute(context.Background(), install); err != nil {
		fmt.Println(err)
		return 1
	}
	st, err := os.Stat(file)
	if data, _ := os.ReadFile(file); err != nil || string(data) != "pem\n" || st.Mode().Perm() != 0o644 {
		fmt.Printf("written through tee: %v %q %v\n", err, data, st)
		return 1
	}
	remove := Plan{Store: "test", Op: OpUninstall, NeedsRoot: true, Steps: []Step{removeStep(file), rmdirStep(filepath.Dir(file)), removeStep(file)}}
	if err := cfg.execute(context.Background(), remove); err != nil {
		fmt.Println(err)
		return 1
	}
	if exists(filepath.Dir(file)) {
		fmt.Println("rmdir through the elevated path left", filepath.Dir(file))
		return 1
	}
	// No sudo allowed: a clear NeedsRootError, nothing run.
	err = (&Config{}).execute(context.Background(), install)
	if _, ok := err.(*NeedsRootError); !ok || !strings.Contains(err.Error(), "needs root") {
		fmt.Println("without sudo:", err)
		return 1
	}
	fmt.Println("ok")
	return 0
}
