package trust

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadRecordFileRefusesWhatIsNotARecord: a record in ESB_HOME is read
// only when it is a small regular file; a missing one is no record.
func TestReadRecordFileRefusesWhatIsNotARecord(t *testing.T) {
	dir := t.TempDir()
	if data, err := ReadRecordFile(filepath.Join(dir, "missing"), "trust", "the record", 16); data != nil || err != nil {
		t.Fatalf("missing file: got %q, %v; want no data and no error", data, err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, []byte(strings.Repeat("x", 17)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadRecordFile(big, "trust", "the record", 16); err == nil || !strings.Contains(err.Error(), "trust: the record "+big+" is over 16 bytes") {
		t.Fatalf("file over the limit: got %v", err)
	}
	if _, err := ReadRecordFile(dir, "enginemirror", "", 16); err == nil || !strings.Contains(err.Error(), "enginemirror: "+dir+" is not a regular file") {
		t.Fatalf("directory: got %v", err)
	}
	link := filepath.Join(dir, "link")
	ok := filepath.Join(dir, "ok")
	if err := os.WriteFile(ok, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(ok, link); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadRecordFile(link, "trust", "the record", 16); err == nil {
		t.Fatal("a symbolic link was followed")
	}
	if data, err := ReadRecordFile(ok, "trust", "the record", 16); err != nil || string(data) != "{}" {
		t.Fatalf("regular file: got %q, %v", data, err)
	}
}
