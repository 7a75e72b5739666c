package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// The notation CLI the interop tests run, built from the Go module proxy
// once and cached by version (like test/conformance builds its suite):
// `go install …@version` asks the proxy for the version list, which is
// refused here, so a scratch module requires the CLI's module instead.
const (
	notationModule  = "github.com/notaryproject/notation"
	notationVersion = "v1.3.2"
)

var (
	notationOnce sync.Once
	notationPath string
	notationErr  error
)

// notationBin returns the notation CLI, building it into
// ${XDG_CACHE_HOME:-~/.cache}/esbtui-test/notation-VERSION on first use
// (about 1.5 minutes cold).
func notationBin(t *testing.T) string {
	t.Helper()
	notationOnce.Do(func() {
		cache := os.Getenv("XDG_CACHE_HOME")
		if cache == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				notationErr = err
				return
			}
			cache = filepath.Join(home, ".cache")
		}
		dir := filepath.Join(cache, "esbtui-test", "notation-"+notationVersion)
		bin := filepath.Join(dir, "notation")
		if st, err := os.Stat(bin); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			notationPath = bin
			return
		}
		if notationErr = os.MkdirAll(dir, 0o755); notationErr != nil {
			return
		}
		gomod := "module notationbuild\n\ngo 1.24\n\nrequire " + notationModule + " " + notationVersion + "\n"
		if notationErr = os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644); notationErr != nil {
			return
		}
		tmp := bin + ".tmp"
		cmd := exec.Command("go", "build", "-o", tmp, notationModule+"/cmd/notation")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local", "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			notationErr = &buildError{err: err, out: string(out)}
			return
		}
		notationErr = os.Rename(tmp, bin)
		notationPath = bin
	})
	if notationErr != nil {
		t.Fatalf("build the notation CLI %s: %v", notationVersion, notationErr)
	}
	return notationPath
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }
