//go:build unix

package pki

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/internal/safefile"
)

const nobody = 65534

// needRoot: chown to another uid needs root (./test/run and CI run as root).
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("this test chowns a directory and must run as root in CI")
		}
		t.Skip("needs root to chown a directory to another user (./test/run runs as root)")
	}
}

func TestEnsureRefusesAnotherUsersDir(t *testing.T) {
	needRoot(t)
	s := newStore(t)
	if err := os.Mkdir(s.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(s.Dir, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	_, err := s.Ensure(context.Background(), Options{}, progress.Discard)
	var oe *OwnerError
	if !errors.As(err, &oe) || oe.Owner != nobody || !strings.Contains(err.Error(), "ESB_CERT_DIR") {
		t.Fatalf("err = %v, want *OwnerError for uid %d with the fix", err, nobody)
	}
	st, _ := os.Stat(s.Dir)
	if st.Mode().Perm() != 0o755 {
		t.Errorf("the directory was chmod-ed to %#o", st.Mode().Perm())
	}
	if entries, _ := os.ReadDir(s.Dir); len(entries) != 0 {
		t.Errorf("files were written into another user's directory: %v", entries)
	}
	if _, err := s.ExportPKCS12(context.Background()); !errors.As(err, &oe) {
		t.Errorf("export: err = %v, want *OwnerError", err)
	}
}

func TestEnsureUnderSudoUsesTheInvokingUsersDir(t *testing.T) {
	needRoot(t)
	s := newStore(t)
	if err := os.Mkdir(s.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(s.Dir, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	s.SudoUID = nobody
	ensure(t, s, Options{})
}

func TestLockIsNotFollowedThroughASymlink(t *testing.T) {
	s := newStore(t)
	if err := os.Mkdir(s.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, s.Path(lockFile)); err != nil {
		t.Fatal(err)
	}
	_, err := s.Ensure(context.Background(), Options{}, progress.Discard)
	var se *safefile.SymlinkError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), s.Path(lockFile)) {
		t.Fatalf("err = %v, want *safefile.SymlinkError naming the lock", err)
	}
	st, _ := os.Stat(victim)
	if b, _ := os.ReadFile(victim); string(b) != "keep" || st.Mode().Perm() != 0o644 {
		t.Errorf("the link's target changed: %q %#o", b, st.Mode().Perm())
	}
	if ok, _ := s.exists(CACertFile); ok {
		t.Error("a CA was created without the lock")
	}
}
