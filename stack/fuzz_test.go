package stack

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzLoadProject writes arbitrary bytes as the user's compose file and
// loads it: LoadProject returns a project or an error (a *ComposeFileError
// for anything wrong in the file), never panics and never hangs.
func FuzzLoadProject(f *testing.F) {
	f.Add(defaultCompose)
	f.Add([]byte("services:\n  app:\n    image: ${ESB_REGISTRY}/app:latest\n    depends_on:\n      registry:\n        condition: service_healthy\n"))
	f.Add([]byte("services:\n  app:\n    image: x\n    environment:\n      A: ${UNSET_VARIABLE}\n"))
	f.Add([]byte("services: [\n"))
	f.Add([]byte("a: &a [*a, *a]\nservices:\n  x:\n    image: y\n"))
	f.Add([]byte("services:\n  app:\n    build: .\n    ports: [\"127.0.0.1:8080:80\"]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		file := filepath.Join(dir, "esb.yaml")
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		type result struct {
			p   *Project
			err error
		}
		done := make(chan result, 1)
		go func() {
			p, err := LoadProject(ctx, ProjectOptions{Name: "esbfuzz", Files: []string{file}, Env: testEnv(dir)})
			done <- result{p, err}
		}()
		select {
		case r := <-done:
			if (r.p == nil) == (r.err == nil) {
				t.Fatalf("LoadProject returned project %v and error %v: want exactly one", r.p, r.err)
			}
			if r.err != nil {
				var ce *ComposeFileError
				if !errors.As(r.err, &ce) {
					t.Fatalf("LoadProject error %T %v, want *ComposeFileError", r.err, r.err)
				}
				_ = r.err.Error()
				return
			}
			_ = r.p.Services()
		case <-time.After(20 * time.Second):
			t.Fatalf("LoadProject hung (> 20 s) on %q", data)
		}
	})
}
