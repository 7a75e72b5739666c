package registryserver

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunLogRotates: the run log stays bounded (rotated to .1 past
// runLogMax), Tail reads across the rotation oldest first, and a torn or
// foreign line is skipped.
func TestRunLogRotates(t *testing.T) {
	dir := t.TempDir()
	l := newRunLog(dir)
	tags := []string{strings.Repeat("t", 1000)}
	n := 2*runLogMax/1100 + 10
	for i := range n {
		l.Append(Run{Job: "retention", Trigger: "schedule", Started: time.Unix(int64(i), 0), Finished: time.Unix(int64(i), 0), TagsDeleted: tags})
	}
	for _, p := range []string{l.path, l.path + ".1"} {
		fi, err := os.Stat(p)
		if err != nil || fi.Size() > runLogMax {
			t.Fatalf("%s: %v, %d bytes (max %d)", p, err, fi.Size(), runLogMax)
		}
	}
	f, _ := os.OpenFile(l.path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("{torn\n")
	f.Close()
	runs, err := l.Tail(MaxRunLogTail)
	if err != nil || len(runs) != MaxRunLogTail {
		t.Fatalf("tail: %d runs, %v", len(runs), err)
	}
	if last := runs[len(runs)-1]; last.Finished.Unix() != int64(n-1) {
		t.Fatalf("the last run is %v, want %d", last.Finished, n-1)
	}
	for i := 1; i < len(runs); i++ {
		if !runs[i].Finished.After(runs[i-1].Finished) {
			t.Fatalf("runs out of order at %d", i)
		}
	}
	// A link planted in place of the log is not followed.
	target := filepath.Join(dir, "elsewhere")
	os.WriteFile(target, nil, 0o600)
	os.Remove(l.path)
	os.Remove(l.path + ".1")
	os.Symlink(target, l.path)
	l.Append(Run{Job: "gc"})
	if b, _ := os.ReadFile(target); len(b) != 0 {
		t.Fatalf("the run log followed a link: %q", b)
	}
}
