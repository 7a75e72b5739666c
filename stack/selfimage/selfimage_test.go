package selfimage

import (
	"bytes"
	"context"
	"crypto/rand"
	"debug/elf"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/moby/moby/client"

	"github.com/esbtui/esbtui/internal/progress"
)

const staticProg = `package main

import (
	"fmt"
	"os"
)

func main() {
	data, err := os.ReadFile("/etc/greeting")
	fmt.Printf("static %s %v %q\n", data, err, os.Args[1:])
}
`

const cgoProg = `package main

/*
#include <unistd.h>
#include <math.h>
*/
import "C"

import (
	"fmt"
	"os"
)

func main() {
	data, err := os.ReadFile("/etc/greeting")
	fmt.Printf("cgo %s %v %q pid>0=%v sqrt=%v\n", data, err, os.Args[1:], C.getpid() > 0, float64(C.sqrt(16)))
}
`

var (
	buildMu  sync.Mutex
	builtBin = map[string]string{}
)

// buildProg builds src once per test binary run (cgo=true: the default
// dynamic build with libc and libm; false: CGO_ENABLED=0).
func buildProg(t *testing.T, cgo bool) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	key := map[bool]string{true: "cgo", false: "static"}[cgo]
	if p, ok := builtBin[key]; ok {
		return p
	}
	dir, err := os.MkdirTemp("", "selfimage-prog-")
	if err != nil {
		t.Fatal(err)
	}
	src := staticProg
	if cgo {
		src = cgoProg
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module prog\n\ngo 1.21\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "build", "-o", "prog", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local", "CGO_ENABLED="+map[bool]string{true: "1", false: "0"}[cgo])
	if cgo {
		cmd.Env = append(cmd.Env, "CGO_LDFLAGS=-lm")
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", key, err, out)
	}
	builtBin[key] = filepath.Join(dir, "prog")
	return builtBin[key]
}

func TestResolveRuntimeStatic(t *testing.T) {
	rt, err := ResolveRuntime(buildProg(t, false), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rt.Static() || rt.Interp != "" || len(rt.Files) != 0 {
		t.Fatalf("a CGO_ENABLED=0 binary: want static, got %+v", rt)
	}
}

func TestResolveRuntimeCgo(t *testing.T) {
	rt, err := ResolveRuntime(buildProg(t, true), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rt.Static() || rt.Interp == "" {
		t.Fatalf("a cgo binary: want an interpreter, got %+v", rt)
	}
	names := map[string]bool{}
	for _, f := range rt.Files {
		names[filepath.Base(f.Path)] = true
		if fi, err := os.Lstat(f.Source); err != nil || !fi.Mode().IsRegular() {
			t.Errorf("%s: source %s is not a regular file (%v)", f.Path, f.Source, err)
		}
	}
	for _, want := range []string{filepath.Base(rt.Interp), "libc.so.6", "libm.so.6"} {
		if !names[want] {
			t.Errorf("runtime lacks %s: %+v", want, rt.Files)
		}
	}
	if len(rt.LibDirs()) == 0 {
		t.Error("no library directory for LD_LIBRARY_PATH")
	}
}

func TestResolveRuntimeMissingLibrary(t *testing.T) {
	// Only a directory without libc or libm: the error names the library
	// and where it looked.
	empty := t.TempDir()
	_, err := ResolveRuntime(buildProg(t, true), []string{empty})
	if err == nil || !strings.Contains(err.Error(), ".so.6: not found in "+empty) {
		t.Fatalf("want an error naming the library and %s, got %v", empty, err)
	}
}

func TestCheckPlatform(t *testing.T) {
	cases := []struct {
		hostOS        string
		machine       elf.Machine
		engOS, engArc string
		ok            bool
		want          string
	}{
		{"linux", elf.EM_X86_64, "linux", "x86_64", true, ""},
		{"linux", elf.EM_AARCH64, "linux", "aarch64", true, ""},
		{"linux", elf.EM_X86_64, "linux", "aarch64", false, "the engine is arm64 (aarch64) and this binary is amd64"},
		{"linux", elf.EM_X86_64, "windows", "x86_64", false, `"windows" containers`},
		{"darwin", elf.EM_X86_64, "linux", "x86_64", false, "esbtui runs on darwin"},
	}
	for _, c := range cases {
		err := CheckPlatform(c.hostOS, c.machine, c.engOS, c.engArc)
		if c.ok != (err == nil) {
			t.Errorf("%+v: got %v", c, err)
			continue
		}
		var ue *UnsupportedError
		if err != nil && (!errors.As(err, &ue) || !strings.Contains(ue.Reason, c.want)) {
			t.Errorf("%+v: got %v, want it to say %q", c, err, c.want)
		}
	}
}

func testSpec(t *testing.T, repo, exe string) Spec {
	return Spec{
		Repository: repo, Version: "test+1", Executable: exe, ExecPath: "/prog",
		Files:      map[string][]byte{"/etc/greeting": []byte("hello")},
		Dirs:       []string{"/tmp"},
		Entrypoint: []string{"/prog"}, Cmd: []string{"a", "b"},
	}
}

func TestAssembleIsDeterministic(t *testing.T) {
	exe := buildProg(t, false)
	a, err := Assemble(testSpec(t, "esbtui-test/x", exe))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Assemble(testSpec(t, "esbtui-test/x", exe))
	if err != nil {
		t.Fatal(err)
	}
	if a.Ref != b.Ref || a.ID != b.ID {
		t.Fatalf("same inputs, different images: %s %s / %s %s", a.Ref, a.ID, b.Ref, b.ID)
	}
	if !strings.HasPrefix(a.Ref, "esbtui-test/x:test-1-") || len(strings.TrimPrefix(a.Ref, "esbtui-test/x:test-1-")) != 12 {
		t.Fatalf("tag %s: want esbtui-test/x:test-1-<12 hex>", a.Ref)
	}
	var w1, w2 bytes.Buffer
	if err := a.WriteArchive(&w1); err != nil {
		t.Fatal(err)
	}
	if err := b.WriteArchive(&w2); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(w1.Bytes(), w2.Bytes()) {
		t.Fatal("two archives of the same inputs differ")
	}
	// A changed binary is another image.
	changed := filepath.Join(t.TempDir(), "prog")
	data, _ := os.ReadFile(exe)
	if err := os.WriteFile(changed, append(data, 0), 0o755); err != nil {
		t.Fatal(err)
	}
	c, err := Assemble(testSpec(t, "esbtui-test/x", changed))
	if err != nil {
		t.Fatal(err)
	}
	if c.Ref == a.Ref {
		t.Fatalf("a changed binary kept the tag %s", c.Ref)
	}
	// A binary that changes between Assemble and WriteArchive is refused.
	if err := os.WriteFile(changed, append(data, 1), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteArchive(&bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "changed") {
		t.Fatalf("want a 'changed' error, got %v", err)
	}
}

func engineClient(t *testing.T) *client.Client {
	t.Helper()
	c, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func randomRepo(t *testing.T) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "esbtui-test/selfimage-" + hex.EncodeToString(b)
}

// removeRepo removes every image of repo (the test's own).
func removeRepo(t *testing.T, c *client.Client, repo string) {
	t.Cleanup(func() {
		ctx := context.Background()
		res, err := c.ImageList(ctx, client.ImageListOptions{Filters: make(client.Filters).Add("reference", repo)})
		if err != nil {
			return
		}
		for _, s := range res.Items {
			_, _ = c.ImageRemove(ctx, s.ID, client.ImageRemoveOptions{Force: true, PruneChildren: true})
		}
	})
}

// TestLoadAndRun loads images assembled from a static and a cgo binary
// into the real engine and runs them: the cgo one starts only if its
// interpreter and libraries came along.
func TestLoadAndRun(t *testing.T) {
	ctx := context.Background()
	c := engineClient(t)
	for _, cgo := range []bool{false, true} {
		name := map[bool]string{true: "cgo", false: "static"}[cgo]
		t.Run(name, func(t *testing.T) {
			repo := randomRepo(t)
			removeRepo(t, c, repo)
			img, err := Assemble(testSpec(t, repo, buildProg(t, cgo)))
			if err != nil {
				t.Fatal(err)
			}
			if img.Static == cgo {
				t.Fatalf("Static=%v for the %s binary", img.Static, name)
			}
			if ok, err := img.Present(ctx, c); err != nil || ok {
				t.Fatalf("present before load: %v %v", ok, err)
			}
			var col progress.Collector
			if err := img.Load(ctx, c, progress.Reporter{Op: "test", Sink: &col}, "image"); err != nil {
				t.Fatal(err)
			}
			if ok, err := img.Present(ctx, c); err != nil || !ok {
				t.Fatalf("present after load: %v %v", ok, err)
			}
			out, err := exec.Command("docker", "run", "--rm", "--network", "none", img.Ref).CombinedOutput()
			want := name + ` hello <nil> ["a" "b"]`
			if err != nil || !strings.HasPrefix(string(out), want) {
				t.Fatalf("docker run %s: %v\n%s\nwant %q", img.Ref, err, out, want)
			}
			if cgo && !strings.Contains(string(out), "sqrt=4") {
				t.Fatalf("cgo output %q", out)
			}
		})
	}
}

// TestPruneOlder keeps the current image and an older one a container
// uses, and removes the other older one.
func TestPruneOlder(t *testing.T) {
	ctx := context.Background()
	c := engineClient(t)
	repo := randomRepo(t)
	removeRepo(t, c, repo)
	exe := buildProg(t, false)
	var imgs []*Image
	for i := 0; i < 3; i++ {
		p := filepath.Join(t.TempDir(), "prog")
		data, _ := os.ReadFile(exe)
		if err := os.WriteFile(p, append(data, byte(i)), 0o755); err != nil {
			t.Fatal(err)
		}
		img, err := Assemble(testSpec(t, repo, p))
		if err != nil {
			t.Fatal(err)
		}
		if err := img.Load(ctx, c, progress.Reporter{}, "image"); err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, img)
	}
	// A (stopped) container of imgs[1] keeps it.
	out, err := exec.Command("docker", "create", imgs[1].Ref).CombinedOutput()
	if err != nil {
		t.Fatalf("docker create: %v %s", err, out)
	}
	id := strings.TrimSpace(string(out))
	t.Cleanup(func() { _ = exec.Command("docker", "rm", "-f", id).Run() })

	removed, err := PruneOlder(ctx, c, repo, imgs[2].Ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0] != imgs[0].Ref {
		t.Fatalf("removed %v, want only %s", removed, imgs[0].Ref)
	}
	for i, want := range []bool{false, true, true} {
		if ok, _ := imgs[i].Present(ctx, c); ok != want {
			t.Errorf("image %d (%s) present=%v, want %v", i, imgs[i].Ref, ok, want)
		}
	}
}
