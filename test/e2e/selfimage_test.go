package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"

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
	t.Parallel()
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
			t.Logf("%s build: cold up on an engine with no images (assemble + load + healthy) %v", build, up.Elapsed.Round(time.Millisecond))
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
			t.Logf("%s build: warm up (image loaded, stack running) %v; image %s is %s bytes", build, up.Elapsed.Round(time.Millisecond), self, fe.docker(t, "image", "inspect", self, "--format", "{{.Size}}"))

			// Down (data kept) and up again: the image is loaded, the
			// container is new.
			mustCLI(t, s.Env, "down", "--no-tui")
			up = mustCLI(t, s.Env, "up", "--no-tui")
			t.Logf("%s build: up after down (image loaded, new container, healthy) %v", build, up.Elapsed.Round(time.Millisecond))

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

			// Another binary (the other build): a new image replaces the
			// registry container and the old image, now unused, is removed.
			other := s.With(binEnv + esbtuiStaticBin(t))
			if build == "static" {
				other = s.With(binEnv + esbtuiBin(t))
			}
			up = mustCLI(t, other, "up", "--no-tui")
			if !strings.Contains(up.Stdout, "removed 1 older esbtui image(s) no container uses: "+self) {
				t.Errorf("up with another binary did not remove %s: %s", self, up)
			}
			var selfImages []string
			for _, img := range engineImages(t, fe) {
				if strings.HasPrefix(img, "esbtui/registry:") {
					selfImages = append(selfImages, img)
				}
			}
			if len(selfImages) != 1 || selfImages[0] == self {
				t.Errorf("esbtui images after the switch of binary: %v; want one, not %s", selfImages, self)
			}
			fe.docker(t, "rmi", ref)
			mustCLI(t, other, "pull", ref, "--no-tui")
		})
	}
}

// TestSwitchRegistryImageKeepsContent: a stack with content switches from
// esbtui's own image to the registry:3-like fixture (ESB_REGISTRY_IMAGE) and
// back; every image pushed under either is still there, digest-correct
// (both use distribution's filesystem layout on the same volume).
func TestSwitchRegistryImageKeepsContent(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	mustCLI(t, s.Env, "up", "--no-tui")
	if image, _, _ := registryStatus(t, s); !strings.HasPrefix(image, "esbtui/registry:") {
		t.Fatalf("the default stack runs %q, want esbtui/registry:…", image)
	}
	tr := caTransport(t, s.CACert())
	pushed := map[string]v1.Hash{}
	push := func(tag string) {
		img, _ := random.Image(64<<10, 2)
		d, _ := img.Digest()
		ref := s.Addr() + "/e2e/switch:" + tag
		writeImage(t, tr, ref, img)
		pushed[ref] = d
	}
	checkAll := func(when string) {
		t.Helper()
		for ref, d := range pushed {
			if err := pullValid(tr, ref, d); err != nil {
				t.Fatalf("%s: %s: %v", when, ref, err)
			}
		}
	}
	push("on-esbtui")

	fixture := s.With("ESB_REGISTRY_IMAGE=" + s.Image)
	up := mustCLI(t, fixture, "up", "--no-tui")
	if !strings.Contains(up.Stdout, "using "+s.Image+" (ESB_REGISTRY_IMAGE)") {
		t.Errorf("up with ESB_REGISTRY_IMAGE did not say so: %s", up)
	}
	if image, health, why := registryStatus(t, &testStack{Env: fixture}); image != s.Image || health != "healthy" || !strings.Contains(why, "ESB_REGISTRY_IMAGE") {
		t.Fatalf("after the switch: %q %q %q; want %s healthy, why ESB_REGISTRY_IMAGE", image, health, why, s.Image)
	}
	checkAll("on the fixture image")
	push("on-fixture")

	mustCLI(t, s.Env, "up", "--no-tui")
	if image, health, _ := registryStatus(t, s); !strings.HasPrefix(image, "esbtui/registry:") || health != "healthy" {
		t.Fatalf("after switching back: %q %q", image, health)
	}
	checkAll("back on esbtui's image")
}

var (
	testTagBinOnce sync.Once
	testTagBin     string
	testTagBinErr  error
)

// esbtuiTestTagBin is esbtui built with the esbtest tag (it honours
// ESB_TEST_ENGINE_PLATFORM).
func esbtuiTestTagBin(t testing.TB) string {
	t.Helper()
	testTagBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "esbtui-e2e-esbtest-")
		if err != nil {
			testTagBinErr = err
			return
		}
		os.Chmod(dir, 0o755)
		testTagBin = filepath.Join(dir, "esbtui")
		cmd := exec.Command("go", "build", "-tags", "esbtest", "-o", testTagBin, "./cmd/esbtui")
		cmd.Dir = testutil.RepoRoot()
		cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
		if out, err := cmd.CombinedOutput(); err != nil {
			testTagBinErr = err
			t.Logf("%s", out)
		}
	})
	if testTagBinErr != nil {
		t.Fatalf("go build -tags esbtest ./cmd/esbtui: %v", testTagBinErr)
	}
	return testTagBin
}

// TestForeignEngineFallsBackToRegistry3: when the engine is of another
// architecture than the binary (simulated), up says why it cannot use
// esbtui's image and runs registry:3 (here the fixture tagged registry:3 in
// an engine of the test's own: nothing is pulled); status says the same.
func TestForeignEngineFallsBackToRegistry3(t *testing.T) {
	t.Parallel()
	fe := startFreshEngine(t)
	fe.docker(t, "tag", registryImage(t), "registry:3")
	s := newStackWith(t, fe, "")
	s.Env = append(s.Env, binEnv+esbtuiTestTagBin(t), "ESB_TEST_ENGINE_PLATFORM=linux/aarch64")
	up := mustCLI(t, s.Env, "up", "--no-tui")
	want := "esbtui's own image cannot be used: the engine is arm64 (aarch64) and this binary is amd64; using registry:3"
	if !strings.Contains(up.Stdout, want) {
		t.Fatalf("up output lacks %q: %s", want, up)
	}
	image, health, why := registryStatus(t, s)
	if image != "registry:3" || health != "healthy" || !strings.Contains(why, "fallback: esbtui's own image cannot be used: the engine is arm64") {
		t.Fatalf("status: %q %q %q", image, health, why)
	}
	for _, img := range engineImages(t, fe) {
		if strings.HasPrefix(img, "esbtui/registry:") {
			t.Errorf("the fallback loaded %s anyway", img)
		}
	}
}

// TestUpReloadsItsImagePrunedByAnother: another esbtui (another version,
// another ESB_HOME) prunes esbtui images no container uses after its own
// up — including this binary's, if it lands between this up's load and
// compose's create (seen in CI with two suites on one engine). up loads
// the image again and starts; compose never tries Docker Hub for it.
func TestUpReloadsItsImagePrunedByAnother(t *testing.T) {
	t.Parallel()
	s := newStackWith(t, nil, "")
	s.Env = append(s.Env, binEnv+esbtuiTestTagBin(t), "ESB_TEST_HOOK=remove-self-image")
	up := mustCLI(t, s.Env, "up", "--no-tui")
	if !strings.Contains(up.Stdout, "was removed while the stack started (another esbtui pruned it); loading it again") {
		t.Fatalf("up did not say it reloaded its image: %s", up)
	}
	if strings.Contains(up.Stdout, "Pulling") {
		t.Errorf("compose tried to pull esbtui's image: %s", up)
	}
	if image, health, _ := registryStatus(t, s); !strings.HasPrefix(image, "esbtui/registry:") || health != "healthy" {
		t.Fatalf("status after up: %q %q", image, health)
	}
}
