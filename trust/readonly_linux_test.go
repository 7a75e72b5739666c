package trust

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestReadOnlyStoreDir: a store directory we cannot write is reported with
// the path and the cause, and nothing else is touched. As root (permission
// bits do not stop root) the directory is made a read-only bind mount in a
// private mount namespace; otherwise it is chmod 0555 and sudo is off.
func TestReadOnlyStoreDir(t *testing.T) {
	_, p := testCAs(t)
	r := debianRoot(t)
	local := filepath.Join(r, "usr/local/share/ca-certificates")
	anchor := filepath.Join(local, baseName(p.ca.Cert)+".crt")
	if !isRoot() {
		if err := os.Chmod(local, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(local, 0o755) })
		s := debianStore(t, r, p.ca, nil)
		s.cfg.Sudo = nil
		err := apply(t, context.Background(), s, OpInstall)
		var nr *NeedsRootError
		if !errors.As(err, &nr) || !errors.Is(err, ErrNeedsRoot) || !nr.Plan.NeedsRoot {
			t.Fatalf("want NeedsRootError, got %v", err)
		}
	} else {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), helperEnv+"=readonly", "ESB_TRUST_TEST_ROOT="+r, "ESB_TRUST_TEST_CA="+p.ca.File)
		cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("helper: %v\n%s", err, out)
		}
		msg := string(out)
		t.Logf("reported: %s", strings.TrimSpace(msg))
		if !strings.Contains(msg, "read-only file system") || !strings.Contains(msg, anchor) || !strings.Contains(msg, "trust: system install: write") {
			t.Fatalf("read-only store reported as: %s", msg)
		}
	}
	if exists(anchor) {
		t.Fatal("anchor written into a read-only directory")
	}
	ents, _ := os.ReadDir(filepath.Join(r, "etc/ssl/certs"))
	if len(ents) != 0 {
		t.Fatalf("etc/ssl/certs touched: %d entries", len(ents))
	}
}

// readOnlyHelper runs in a private mount namespace: it makes the anchors
// directory a read-only bind mount, installs, and prints the error.
func readOnlyHelper() int {
	r := os.Getenv("ESB_TRUST_TEST_ROOT")
	local := filepath.Join(r, "usr/local/share/ca-certificates")
	if err := syscall.Mount(local, local, "", syscall.MS_BIND, ""); err != nil {
		fmt.Println("bind mount:", err)
		return 1
	}
	if err := syscall.Mount("", local, "", syscall.MS_REMOUNT|syscall.MS_BIND|syscall.MS_RDONLY, ""); err != nil {
		fmt.Println("remount read-only:", err)
		return 1
	}
	file := os.Getenv("ESB_TRUST_TEST_CA")
	data, err := os.ReadFile(file)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	b, _ := pem.Decode(data)
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	cfg := &Config{Root: r, GOOS: "linux", Sudo: testSudo}
	s := newSystemStore(cfg, CA{Cert: cert, PEM: data, File: file})
	p, err := s.Plan(context.Background(), OpInstall)
	if err == nil {
		err = Execute(context.Background(), cfg, p)
	}
	if err == nil {
		fmt.Println("install into a read-only directory succeeded")
		return 1
	}
	fmt.Println(err)
	return 0
}
