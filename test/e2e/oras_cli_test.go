package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// orasVersion is the oras CLI the interop tests run.
const orasVersion = "v1.3.6"

var (
	orasOnce sync.Once
	orasPath string
	orasErr  error
)

// orasCLI builds the oras CLI from the Go module proxy once (a scratch
// module requiring oras.land/oras), cached under ~/.cache/esbtui-test.
func orasCLI(t *testing.T) string {
	t.Helper()
	orasOnce.Do(func() {
		cache, err := os.UserCacheDir()
		if err != nil {
			orasErr = err
			return
		}
		dir := filepath.Join(cache, "esbtui-test", "oras-"+orasVersion)
		orasPath = filepath.Join(dir, "oras")
		if _, err := os.Stat(orasPath); err == nil {
			return
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			orasErr = err
			return
		}
		os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module orasbuild\n\ngo 1.26\n\nrequire oras.land/oras "+orasVersion+"\n"), 0o644)
		os.WriteFile(filepath.Join(dir, "tools.go"), []byte("//go:build tools\n\npackage tools\n\nimport _ \"oras.land/oras/cmd/oras\"\n"), 0o644)
		cmd := exec.Command("go", "build", "-o", orasPath, "oras.land/oras/cmd/oras")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "CGO_ENABLED=0", "GOTOOLCHAIN=local")
		if out, err := cmd.CombinedOutput(); err != nil {
			orasErr = &buildError{err: err, out: string(out)}
		}
	})
	if orasErr != nil {
		t.Fatalf("build the oras CLI %s: %v", orasVersion, orasErr)
	}
	return orasPath
}
