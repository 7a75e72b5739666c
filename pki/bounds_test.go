package pki

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/esbtui/esbtui/internal/safefile"
)

func TestStoreReadsAreBounded(t *testing.T) {
	s := newStore(t)
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 1<<20+1)
	for i := range big {
		big[i] = 'A'
	}
	if err := os.WriteFile(s.Path(CACertFile), big, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := s.LoadCA()
	var tl *safefile.TooLargeError
	if !errors.As(err, &tl) || tl.Path != s.Path(CACertFile) {
		t.Fatalf("LoadCA of a 1 MiB+1 rootCA.crt: err = %v, want *safefile.TooLargeError", err)
	}
	os.Remove(s.Path(CACertFile))
	if err := os.Symlink("/dev/zero", filepath.Join(s.Dir, CACertFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LoadCA(); err == nil {
		t.Fatal("LoadCA read /dev/zero as rootCA.crt")
	}
}
