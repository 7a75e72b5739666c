package testutil

import (
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// RepoRoot is the module root.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// BuildESBTUI builds ./cmd/esbtui into dir and returns the binary's path.
func BuildESBTUI(dir string) (string, error) {
	bin := filepath.Join(dir, "esbtui")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/esbtui")
	cmd.Dir = RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/esbtui: %v\n%s", err, out)
	}
	return bin, nil
}

// RegistryImage is the fixture registry image: $ESB_REGISTRY_IMAGE (set by
// ./test/run), or built now by test/fixtures/build (a no-op when its tag,
// a hash of the inputs, exists).
func RegistryImage(fromEnv string) (string, error) {
	if fromEnv != "" {
		return fromEnv, nil
	}
	cmd := exec.Command(filepath.Join(RepoRoot(), "test", "fixtures", "build"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("test/fixtures/build: %v\n%s", err, stderr.String())
	}
	return strings.TrimSpace(string(out)), nil
}

// FreePortPair returns a loopback port p such that p and p+1 are free now
// (a stack publishes its registry on p and the debug port on p+1) and
// neither is in taken.
func FreePortPair(taken map[int]bool) (int, error) {
	for range 200 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		p := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if p >= 65535 || taken[p] || taken[p+1] {
			continue
		}
		ln2, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p+1))
		if err != nil {
			continue
		}
		ln2.Close()
		return p, nil
	}
	return 0, fmt.Errorf("no two consecutive free loopback ports")
}
