package enginemirror

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/esbtui/esbtui/trust"
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

// TestForgedRecordIsNotRestored: a record whose "original" is not what
// removing esbtui's entries gives (someone wrote it into ESB_HOME) does
// not become root's daemon.json, and one claiming there was no file does
// not make uninstall delete the user's daemon.json; only esbtui's entries
// are removed.
func TestForgedRecordIsNotRestored(t *testing.T) {
	for name, forge := range map[string]func(*DaemonRecord){
		"original replaced": func(r *DaemonRecord) {
			r.Original = []byte("{\n  \"hosts\": [\"tcp://0.0.0.0:2375\"]\n}\n")
		},
		"no file claimed": func(r *DaemonRecord) { r.Existed, r.Original = false, nil },
	} {
		t.Run(name, func(t *testing.T) {
			cfg, dj := sandbox(t, "{\n  \"debug\": true\n}\n")
			apply(t, cfg, trust.OpInstall)
			rec, err := cfg.Record.Read()
			if err != nil || rec == nil {
				t.Fatalf("record after install: %v, %v", rec, err)
			}
			forge(rec)
			if err := cfg.Record.Write(rec); err != nil {
				t.Fatal(err)
			}
			apply(t, cfg, trust.OpUninstall)
			got, err := os.ReadFile(dj)
			if err != nil {
				t.Fatalf("daemon.json after uninstall: %v", err)
			}
			if want := "{\n  \"debug\": true\n}\n"; string(got) != want {
				t.Errorf("daemon.json = %q, want %q", got, want)
			}
		})
	}
}
