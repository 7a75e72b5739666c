package pki

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/esbtui/esbtui/internal/progress"
)

// smallFS mounts a tmpfs of the given size for the test (root only: CI and
// ./test/run run as root; elsewhere the test is skipped unless CI is set).
func smallFS(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("this test mounts a tmpfs and must run as root in CI")
		}
		t.Skip("needs root to mount a tmpfs (./test/run runs as root)")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

func snapshotFiles(t *testing.T, s *Store) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, n := range []string{CAKeyFile, CACertFile, ServerKeyFile, ServerCertFile, ServerChainFile} {
		b, err := os.ReadFile(s.Path(n))
		if err == nil {
			out[n] = b
		}
	}
	return out
}

func fill(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			break
		}
	}
}

// TestDiskFull: the disk fills while certificates are written. The write
// fails with ENOSPC, no partial key or certificate is left and the previous
// files are intact.
func TestDiskFull(t *testing.T) {
	mnt := smallFS(t, "256k")
	s := NewStore(filepath.Join(mnt, "certs"))
	ensure(t, s, Options{})
	before := snapshotFiles(t, s)
	fill(t, mnt)
	_, err := s.Rotate(context.Background(), Options{}, progress.Discard)
	if err == nil || !strings.Contains(err.Error(), "no space left") || !strings.Contains(err.Error(), s.Dir) {
		t.Fatalf("err = %v, want ENOSPC naming the file", err)
	}
	if after := snapshotFiles(t, s); len(after) != len(before) {
		t.Fatalf("files changed: %d -> %d", len(before), len(after))
	} else {
		for n := range before {
			if !bytes.Equal(before[n], after[n]) {
				t.Errorf("%s changed after a failed write", n)
			}
		}
	}
	if left, _ := filepath.Glob(filepath.Join(s.Dir, "*.pending")); len(left) != 0 {
		t.Errorf("partial files left: %v", left)
	}
	if r := s.Inspect(s.nowForTest()); !r.OK() {
		t.Errorf("store not OK after failed rotate: %v %v", r.CA.Problems, r.Server.Problems)
	}

	// A CA creation on a full disk leaves no key behind.
	s2 := NewStore(filepath.Join(mnt, "certs2"))
	_, err = s2.Ensure(context.Background(), Options{}, progress.Discard)
	if err == nil {
		t.Fatal("CA creation on a full disk succeeded")
	}
	for _, n := range []string{CAKeyFile, CACertFile, CAKeyFile + pendingSuffix} {
		if _, err := os.Stat(s2.Path(n)); err == nil {
			t.Errorf("%s left behind", n)
		}
	}
}

// TestReadOnlyDir: a read-only store gives an error naming the directory and
// the cause, and nothing changes.
func TestReadOnlyDir(t *testing.T) {
	mnt := smallFS(t, "1m")
	s := NewStore(filepath.Join(mnt, "certs"))
	ensure(t, s, Options{})
	before := snapshotFiles(t, s)
	if out, err := exec.Command("mount", "-o", "remount,ro", mnt).CombinedOutput(); err != nil {
		t.Fatalf("remount ro: %v %s", err, out)
	}
	_, err := s.Rotate(context.Background(), Options{}, progress.Discard)
	if err == nil || !strings.Contains(err.Error(), s.Dir) || !errorsIsErrno(err, syscall.EROFS) {
		t.Fatalf("err = %v", err)
	}
	for n, b := range snapshotFiles(t, s) {
		if !bytes.Equal(b, before[n]) {
			t.Errorf("%s changed", n)
		}
	}
	// Reading still works: status can report on a read-only store.
	if r := s.Inspect(s.nowForTest()); !r.OK() {
		t.Errorf("inspect on read-only store: %v", r.Server.Problems)
	}
}
