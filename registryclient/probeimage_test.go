package registryclient

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// TestProbeELFRuns executes the hand-assembled probe on this machine.
func TestProbeELFRuns(t *testing.T) {
	exe, _, err := probeELF(runtime.GOARCH, ProbeMessage+"\n")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "probe")
	os.WriteFile(p, exe, 0o755)
	out, err := exec.Command(p).Output()
	if err != nil || string(out) != ProbeMessage+"\n" {
		t.Fatalf("probe printed %q, err %v", out, err)
	}
	if _, _, err := probeELF("arm64", "x\n"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := probeELF("s390x", "x\n"); err == nil {
		t.Fatal("unsupported arch accepted")
	}
	img, err := ProbeImage(runtime.GOARCH)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := img.Manifest(); err != nil || len(m.Layers) != 1 || m.Layers[0].Size > 1024 {
		t.Fatalf("probe image manifest: %+v %v", m, err)
	}
}
