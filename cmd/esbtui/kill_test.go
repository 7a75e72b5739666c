package main

import (
	"bytes"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary compiles esbtui for tests that must run the real binary,
// with the esbtest tag: only such a build honours ESB_TEST_FAILPOINT.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "esbtui")
	out, err := exec.Command("go", "build", "-tags", "esbtest", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func initCmd(bin, home string, extra ...string) *exec.Cmd {
	c := exec.Command(bin, append([]string{"init", "--no-tui", "--skip-trust"}, extra...)...)
	c.Env = append(os.Environ(), "ESB_HOME="+home, "ESB_CERT_DIR=")
	return c
}

// TestInitSurvivesSIGKILL kills `esbtui init` at random moments in 50 runs,
// and at each exact point between two renames. After every kill the CA
// (once its key exists) is unchanged, and the next init completes the store.
func TestInitSurvivesSIGKILL(t *testing.T) {
	bin := buildBinary(t)
	home := t.TempDir()
	certs := filepath.Join(home, "certs")
	var caKey, caCert []byte
	observe := func(run int) {
		key, kerr := os.ReadFile(filepath.Join(certs, "rootCA.key"))
		crt, cerr := os.ReadFile(filepath.Join(certs, "rootCA.crt"))
		if kerr == nil {
			if caKey == nil {
				caKey = key
			} else if !bytes.Equal(key, caKey) {
				t.Fatalf("run %d: the CA key changed after it was written", run)
			}
		}
		if cerr == nil {
			if caCert == nil {
				caCert = crt
			} else if !bytes.Equal(crt, caCert) {
				t.Fatalf("run %d: the CA certificate changed after it was written", run)
			}
		}
		// status reports what is there or exactly what is missing.
		c := exec.Command(bin, "cert", "show", "--no-tui")
		c.Env = append(os.Environ(), "ESB_HOME="+home, "ESB_CERT_DIR=")
		out, err := c.CombinedOutput()
		if err != nil && !strings.Contains(string(out), "missing") && !strings.Contains(string(out), "✗") {
			t.Fatalf("run %d: cert show failed without saying what is wrong: %v\n%s", run, err, out)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for run := range 50 {
		c := initCmd(bin, home)
		if run%5 == 4 {
			// every fifth run rotates, to kill inside a server reissue
			c = exec.Command(bin, "cert", "rotate", "--no-tui")
			c.Env = append(os.Environ(), "ESB_HOME="+home, "ESB_CERT_DIR=")
		}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(rng.IntN(900)) * time.Millisecond)
		c.Process.Signal(syscall.SIGKILL)
		c.Wait()
		observe(run)
	}
	// Exact points: between the CA key and certificate, before any commit,
	// and between the server key and certificate.
	for _, fp := range []string{"commit-between:rootCA.key:rootCA.crt", "before-commit:rootCA.key", "commit-between:server.key:server.crt"} {
		h := t.TempDir()
		c := initCmd(bin, h)
		c.Env = append(c.Env, "ESB_TEST_FAILPOINT="+fp)
		if err := c.Run(); err == nil {
			t.Fatalf("%s: init was not killed", fp)
		}
		keyBefore, _ := os.ReadFile(filepath.Join(h, "certs", "rootCA.key"))
		if out, err := initCmd(bin, h).CombinedOutput(); err != nil {
			t.Fatalf("%s: init after the kill: %v\n%s", fp, err, out)
		}
		keyAfter, _ := os.ReadFile(filepath.Join(h, "certs", "rootCA.key"))
		if keyBefore != nil && !bytes.Equal(keyBefore, keyAfter) {
			t.Fatalf("%s: the CA key was replaced", fp)
		}
		show := exec.Command(bin, "cert", "show", "--no-tui")
		show.Env = append(os.Environ(), "ESB_HOME="+h, "ESB_CERT_DIR=")
		if out, err := show.CombinedOutput(); err != nil {
			t.Fatalf("%s: store not complete after re-init: %v\n%s", fp, err, out)
		}
	}
	if out, err := initCmd(bin, home).CombinedOutput(); err != nil {
		t.Fatalf("final init: %v\n%s", err, out)
	}
	observe(50)
	show := exec.Command(bin, "cert", "show", "--no-tui")
	show.Env = append(os.Environ(), "ESB_HOME="+home, "ESB_CERT_DIR=")
	if out, err := show.CombinedOutput(); err != nil {
		t.Fatalf("store not complete after the final init: %v\n%s", err, out)
	}
}
