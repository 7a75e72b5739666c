package flows

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/esbtui/esbtui/internal/safefile"
)

// plantLink makes path a symbolic link to a file holding "keep" and
// returns the target.
func plantLink(t *testing.T, path string) string {
	t.Helper()
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, path); err != nil {
		t.Fatal(err)
	}
	return victim
}

func untouched(t *testing.T, victim string) {
	t.Helper()
	if b, err := os.ReadFile(victim); err != nil || string(b) != "keep" {
		t.Errorf("the link's target %s changed: %q %v", victim, b, err)
	}
}

func TestAuditLogIsNotFollowedThroughASymlink(t *testing.T) {
	cfg := sandboxConfig(t.TempDir())
	victim := plantLink(t, cfg.AuditLog())
	a := &Audit{Path: cfg.AuditLog()}
	err := a.Append("stack.up", map[string]any{"project": "esb"})
	var se *safefile.SymlinkError
	if !errors.As(err, &se) || se.Path != cfg.AuditLog() {
		t.Fatalf("Append: err = %v, want *safefile.SymlinkError for %s", err, cfg.AuditLog())
	}
	if _, err := a.Read(time.Time{}); !errors.As(err, &se) {
		t.Errorf("Read: err = %v, want *safefile.SymlinkError", err)
	}
	untouched(t, victim)
}

func TestLogFileIsNotFollowedThroughASymlink(t *testing.T) {
	cfg := sandboxConfig(t.TempDir())
	log := filepath.Join(cfg.LogDir(), "esbtui.log")
	victim := plantLink(t, log)
	e := New(cfg)
	defer e.Close()
	e.Log.Info("this must not reach the link's target")
	var se *safefile.SymlinkError
	if !errors.As(e.LogErr, &se) || se.Path != log {
		t.Fatalf("LogErr = %v, want *safefile.SymlinkError for %s", e.LogErr, log)
	}
	untouched(t, victim)
}

func TestLogDirIsNotFollowedThroughASymlink(t *testing.T) {
	cfg := sandboxConfig(t.TempDir())
	elsewhere := t.TempDir()
	if err := os.Symlink(elsewhere, cfg.LogDir()); err != nil {
		t.Fatal(err)
	}
	e := New(cfg)
	defer e.Close()
	e.Log.Info("this must not reach the link's target")
	var se *safefile.SymlinkError
	if !errors.As(e.LogErr, &se) || se.Path != cfg.LogDir() {
		t.Fatalf("LogErr = %v, want *safefile.SymlinkError for %s", e.LogErr, cfg.LogDir())
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Errorf("a log was written through the link: %v", entries)
	}
}
