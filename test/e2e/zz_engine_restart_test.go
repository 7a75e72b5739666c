package e2e

// This file sorts last on purpose: its test restarts dockerd, so it runs
// after every other e2e test of the package.

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// restartDockerd stops the engine, calls during() while it is gone, and
// starts it again the way it was started (systemd, or the same command line
// under setsid), waiting until it answers.
func restartDockerd(t *testing.T, during func()) {
	t.Helper()
	if exec.Command("systemctl", "is-active", "--quiet", "docker").Run() == nil {
		run(t, "systemctl", "stop", "docker", "docker.socket")
		during()
		run(t, "systemctl", "start", "docker")
	} else {
		out, err := exec.Command("pidof", "dockerd").Output()
		if err != nil {
			t.Fatalf("no dockerd process to restart (pidof: %v)", err)
		}
		pid, _ := strconv.Atoi(strings.Fields(string(out))[0])
		cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if err != nil {
			t.Fatal(err)
		}
		args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		syscall.Kill(pid, syscall.SIGTERM)
		for i := 0; i < 300 && syscall.Kill(pid, 0) == nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
		if syscall.Kill(pid, 0) == nil {
			t.Fatal("dockerd did not stop within 30 s")
		}
		during()
		logf, _ := os.OpenFile("/var/log/esbtui-test-dockerd.log", os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Stdout, cmd.Stderr = logf, logf
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := cmd.Start(); err != nil {
			t.Fatalf("restart dockerd: %v", err)
		}
		go cmd.Wait()
	}
	for i := 0; i < 120; i++ {
		if exec.Command("docker", "version").Run() == nil {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatal("dockerd did not answer within 60 s of its restart")
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// TestEngineRestartWhileWatching: `esbtui status --watch` shows the engine as
// gone while dockerd restarts, then resyncs by itself, and sees the stack
// come back up.
func TestEngineRestartWhileWatching(t *testing.T) {
	s := newStack(t)
	mustCLI(t, s.Env, "up", "--no-tui")
	w := startCLI(t, s.Env, "status", "--watch", "--no-tui")
	w.waitStdout(": up — registry running healthy", 30*time.Second)

	restartDockerd(t, func() {
		w.waitStdout("engine unreachable", 30*time.Second)
	})
	// Reconnected: the registry (restart: unless-stopped) comes back with
	// the engine and the watcher, never restarted, sees it healthy again.
	deadline := time.Now().Add(90 * time.Second)
	for {
		out := w.stdout.String()
		after := out[strings.LastIndex(out, "engine unreachable"):]
		if strings.Contains(after, ": up — registry running healthy") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status --watch did not resync after the engine came back:\n%s", out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// And esbtui up on the recovered engine finds nothing to fix.
	mustCLI(t, s.Env, "up", "--no-tui")
	if code := w.interrupt(10 * time.Second); code != 0 && code != 130 {
		t.Errorf("status --watch exit %d after Ctrl-C", code)
	}
	if bytes.Contains([]byte(w.stderr.String()), []byte("panic")) {
		t.Fatalf("stderr: %s", w.stderr.String())
	}
}
