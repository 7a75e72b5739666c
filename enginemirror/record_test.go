package enginemirror

import (
	"os"
	"path/filepath"
	"testing"
)

// TestRecordModeCannotLoosenDaemonJSON: a record edited to carry a
// setuid or world-writable mode cannot make uninstall write daemon.json
// with it.
func TestRecordModeCannotLoosenDaemonJSON(t *testing.T) {
	p := filepath.Join(t.TempDir(), "mirror-record.json")
	// 0o4777 with the setuid bit as os.FileMode encodes it.
	mode := os.FileMode(0o777) | os.ModeSetuid
	if err := (Record{Path: p}).Write(&DaemonRecord{Path: "/etc/docker/daemon.json", Existed: true, Mode: mode, Original: []byte("{}"), Written: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	rec, err := Record{Path: p}.Read()
	if err != nil {
		t.Fatal(err)
	}
	if rec.Mode != 0o755 {
		t.Fatalf("mode read from the record: %v, want -rwxr-xr-x (permission bits, no group/other write)", rec.Mode)
	}
}
