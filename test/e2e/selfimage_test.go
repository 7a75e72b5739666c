package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/esbtui/esbtui/internal/testutil"
)

var (
	staticBinOnce sync.Once
	staticBin     string
	staticBinErr  error
)

// esbtuiStaticBin is esbtui built with CGO_ENABLED=0 (once per run).
func esbtuiStaticBin(t testing.TB) string {
	t.Helper()
	staticBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "esbtui-e2e-static-")
		if err != nil {
			staticBinErr = err
			return
		}
		os.Chmod(dir, 0o755)
		staticBin = filepath.Join(dir, "esbtui")
		cmd := exec.Command("go", "build", "-o", staticBin, "./cmd/esbtui")
		cmd.Dir = testutil.RepoRoot()
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOTOOLCHAIN=local")
		if out, err := cmd.CombinedOutput(); err != nil {
			staticBinErr = err
			t.Logf("%s", out)
		}
	})
	if staticBinErr != nil {
		t.Fatalf("CGO_ENABLED=0 go build ./cmd/esbtui: %v", staticBinErr)
	}
	return staticBin
}

// engineImages lists repository:tag of every image in the engine.
func engineImages(t testing.TB, fe *freshEngine) []string {
	out := fe.docker(t, "images", "--format", "{{.Repository}}:{{.Tag}}")
	return strings.Fields(out)
}

// registryStatus is the registry service of `status --json`.
func registryStatus(t testing.TB, s *testStack) (image, health, why string) {
	t.Helper()
	// status exits non-zero without trust (`init --skip-trust`): read it anyway.
	res := runCLI(t, s.Env, "status", "--json")
	var st struct {
		Stack struct {
			Services []struct {
				Name, Image, Health string
			} `json:"services"`
			RegistryImage *struct {
				Ref, Source, Reason string
			} `json:"registry_image"`
		} `json:"stack"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &st); err != nil {
		t.Fatalf("status --json: %v\n%s", err, res.Stdout)
	}
	for _, svc := range st.Stack.Services {
		if svc.Name == "registry" {
			image, health = svc.Image, svc.Health
		}
	}
	if st.Stack.RegistryImage != nil {
		why = st.Stack.RegistryImage.Source + ": " + st.Stack.RegistryImage.Reason
	}
	return image, health, why
}

// TestSelfImageOnAnEmptyEngine: on an engine with no image at all, `up`
// assembles esbtui's own registry image from the binary (a cgo build and a
// CGO_ENABLED=0 one) and loads it; the stack is healthy; an image pushed
// through esbtui pulls back digest-equal and runs; nothing was pulled from
// anywhere (the engine holds only esbtui's image and what was pulled from
// the stack's own registry); a second up reuses the image; gc sweeps with
// the same image and a re-push pulls again.
func TestSelfImageOnAnEmptyEngine(t *testing.T) {
	for _, build := range []string{"cgo", "static"} {
		t.Run(build, func(t *testing.T) {
			fe := startEmptyEngine(t)
			if imgs := engineImages(t, fe); len(imgs) != 0 {
				t.Fatalf("the fresh engine already holds %v", imgs)
			}
			s := newStackWith(t, fe, "")
			if build == "static" {
				s.Env = append(s.Env, binEnv+esbtuiStaticBin(t))
			}
			up := mustCLI(t, s.Env, "up", "--no-tui")
			if !strings.Contains(up.Stdout+up.Stderr, "up image: assembling esbtui/registry:") || !strings.Contains(up.Stdout+up.Stderr, "loaded in") {
				t.Fatalf("up did not report assembling and loading the image: %s", up)
			}
			imgs := engineImages(t, fe)
			if len(imgs) != 1 || !strings.HasPrefix(imgs[0], "esbtui/registry:") {
				t.Fatalf("after up the engine holds %v; want only esbtui/registry:…", imgs)
			}
			self := imgs[0]
			image, health, why := registryStatus(t, s)
			if image != self || health != "healthy" || !strings.Contains(why, "esbtui") {
				t.Fatalf("status: registry image %q health %q why %q; want %s healthy", image, health, why, self)
			}
			linkage := fe.docker(t, "image", "inspect", self, "--format", "{{json .Config.Env}}")
			if got := strings.Contains(linkage, "LD_LIBRARY_PATH"); got != (build == "cgo") {
				t.Errorf("%s build: image env %s", build, linkage)
			}

			// The §4 loop on this image: push esbtui's image itself, pull, run.
			ref := s.Addr() + "/e2e/self:v1"
			mustCLI(t, s.Env, "push", self, "--to", ref, "--no-tui")
			mustCLI(t, s.Env, "pull", ref, "--no-tui")
			if a, b := fe.docker(t, "image", "inspect", self, "--format", "{{.ID}}"), fe.docker(t, "image", "inspect", ref, "--format", "{{.ID}}"); a != b {
				t.Fatalf("pulled %s has ID %s, pushed %s had %s", ref, b, self, a)
			}
			out := fe.docker(t, "run", "--rm", "--network", "none", ref, "du", "/etc/distribution")
			if !strings.Contains(out, "/etc/distribution") {
				t.Fatalf("docker run %s du: %q", ref, out)
			}
			for _, img := range engineImages(t, fe) {
				if !strings.HasPrefix(img, "esbtui/registry:") && !strings.HasPrefix(img, s.Addr()+"/") {
					t.Errorf("the engine got an image from elsewhere: %s", img)
				}
			}

			// Unchanged binary: nothing to load.
			up = mustCLI(t, s.Env, "up", "--no-tui")
			if !strings.Contains(up.Stdout+up.Stderr, "already loaded") {
				t.Errorf("second up: want 'already loaded': %s", up)
			}

			// gc with the esbtui image: delete the tag, collect, re-push, pull.
			mustCLI(t, s.Env, "rm", ref, "--no-tui")
			gc := mustCLI(t, s.Env, "gc", "--json")
			var res struct {
				Blobs []string `json:"blobs"`
			}
			if err := json.Unmarshal([]byte(gc.Stdout), &res); err != nil || len(res.Blobs) == 0 {
				t.Fatalf("gc --json: want deleted blobs: %v %s", err, gc)
			}
			fe.docker(t, "rmi", ref)
			mustCLI(t, s.Env, "push", self, "--to", ref, "--no-tui")
			mustCLI(t, s.Env, "pull", ref, "--no-tui")
			if _, health, _ := registryStatus(t, s); health != "healthy" {
				t.Fatalf("after gc the registry is %q", health)
			}
		})
	}
}
