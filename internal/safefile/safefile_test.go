package safefile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenRefusesSymlinkAndLeavesTargetAlone(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "victim")
	if err := os.WriteFile(target, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "would-be-created")
	for name, to := range map[string]string{"existing": target, "dangling": missing} {
		link := filepath.Join(dir, name+".log")
		if err := os.Symlink(to, link); err != nil {
			t.Fatal(err)
		}
		f, err := Open(link, "log file", os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		var se *SymlinkError
		if !errors.As(err, &se) {
			if f != nil {
				f.Close()
			}
			t.Fatalf("%s: err = %v, want *SymlinkError", name, err)
		}
		if !strings.Contains(err.Error(), link) || !strings.Contains(err.Error(), "remove the link") {
			t.Errorf("%s: error %q does not name the link and the fix", name, err)
		}
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Errorf("target changed to %q", b)
	}
	if _, err := os.Lstat(missing); !os.IsNotExist(err) {
		t.Errorf("dangling link target was created: %v", err)
	}
}

func TestOpenRegularFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "lock")
	f, err := Open(p, "lock file", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func TestReadFileBounds(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte(strings.Repeat("a: b\n", 300)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadFile(big, "project file", 1000)
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Line != 201 || !strings.HasPrefix(err.Error(), big+":201: ") {
		t.Errorf("err = %v, want *TooLargeError at line 201", err)
	}
	zero := filepath.Join(dir, "zero.yaml")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	_, err = ReadFile(zero, "project file", 1000)
	var nr *NotRegularError
	if !errors.As(err, &nr) || !strings.Contains(err.Error(), "character device") {
		t.Errorf("err = %v, want *NotRegularError naming a character device", err)
	}
	if b, err := ReadFile(big, "project file", 1500); err != nil || len(b) != 1500 {
		t.Errorf("a file at the limit: %d bytes, %v", len(b), err)
	}
}
