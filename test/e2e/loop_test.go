package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// helloFunction writes functions/hello: a static Go program in a FROM scratch
// image that prints a known line (no base image can be pulled here).
func helloFunction(t *testing.T, greeting string) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "functions", "hello")
	os.MkdirAll(dir, 0o755)
	src := filepath.Join(t.TempDir(), "main.go")
	os.WriteFile(src, []byte("package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\""+greeting+"\") }\n"), 0o644)
	build := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(dir, "hello"), src)
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build hello: %v\n%s", err, out)
	}
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY hello /hello\nENTRYPOINT [\"/hello\"]\n"), 0o644)
	os.WriteFile(filepath.Join(dir, ".dockerignore"), []byte("*.md\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "NOTES.md"), []byte("ignored\n"), 0o644)
	return root
}

type event struct {
	Op      string `json:"op"`
	Step    string `json:"step"`
	Item    string `json:"item"`
	Status  string `json:"status"`
	Current int64  `json:"current"`
	Total   int64  `json:"total"`
	Message string `json:"message"`
}

func parseEvents(t *testing.T, stderr string) []event {
	t.Helper()
	var out []event
	sc := bufio.NewScanner(strings.NewReader(stderr))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) == nil && e.Status != "" {
			out = append(out, e)
		}
	}
	return out
}

// TestPlanVerification is the plan's §4, automated: init → up → build a
// function → push with progress → docker rmi → pull from the registry →
// run it and read its output.
func TestPlanVerification(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	mustCLI(t, s.Env, "up", "--no-tui")
	root := helloFunction(t, "hello from the esbtui registry")
	image := s.Addr() + "/hello:latest"

	res := mustCLI(t, s.Env, "build", "hello", "--dir", root, "--json")
	var built []struct {
		Function string `json:"function"`
		Image    string `json:"image"`
		Push     struct {
			Digest string `json:"digest"`
		} `json:"push"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &built); err != nil || len(built) != 1 {
		t.Fatalf("build --json: %v\n%s", err, res.Stdout)
	}
	if built[0].Image != image || !strings.HasPrefix(built[0].Push.Digest, "sha256:") {
		t.Fatalf("built %+v, want image %s with a digest", built[0], image)
	}

	// Progress: build output, then per-layer uploads whose progress never
	// goes back and reaches 100% before the layer is done, and the image
	// done last.
	evs := parseEvents(t, res.Stderr)
	var sawBuild bool
	last := map[string]int64{}
	reached := map[string]bool{}
	var pushEvents []event
	for _, e := range evs {
		if e.Op == "build" && e.Status == "done" {
			sawBuild = true
		}
		if e.Op != "push" {
			continue
		}
		pushEvents = append(pushEvents, e)
		if e.Step != "upload" {
			continue
		}
		switch e.Status {
		case "progress":
			if e.Current < last[e.Item] {
				t.Errorf("upload %s went back: %d after %d", e.Item, e.Current, last[e.Item])
			}
			last[e.Item] = e.Current
			if e.Total > 0 && e.Current == e.Total {
				reached[e.Item] = true
			}
		case "done":
			if !reached[e.Item] {
				t.Errorf("upload %s done before reaching 100%%", e.Item)
			}
		}
	}
	if !sawBuild {
		t.Error("no build done event")
	}
	if len(pushEvents) == 0 {
		t.Fatalf("no push events in:\n%s", res.Stderr)
	}
	if fin := pushEvents[len(pushEvents)-1]; fin.Step != "image" || fin.Status != "done" || fin.Current != fin.Total || fin.Message != built[0].Push.Digest {
		t.Errorf("last push event %+v", fin)
	}

	// The registry has it; the engine forgets it; pull brings it back.
	tags := mustCLI(t, s.Env, "tags", "hello", "--json")
	if !strings.Contains(tags.Stdout, "latest") {
		t.Fatalf("tags: %s", tags.Stdout)
	}
	docker(t, "rmi", image)
	if out, err := exec.Command("docker", "image", "inspect", image).CombinedOutput(); err == nil {
		t.Fatalf("image still in the engine after rmi: %s", out)
	}
	mustCLI(t, s.Env, "pull", image, "--no-tui")
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", image).Run() })
	out := docker(t, "run", "--rm", image)
	if out != "hello from the esbtui registry" {
		t.Fatalf("container printed %q", out)
	}

	// The engine's own pull (docker pull) works against the registry too.
	docker(t, "rmi", image)
	docker(t, "pull", image)
	if out := docker(t, "run", "--rm", image); out != "hello from the esbtui registry" {
		t.Fatalf("after docker pull: %q", out)
	}

	// A second build re-pushes without compressing anything again.
	res = mustCLI(t, s.Env, "build", "hello", "--dir", root, "--json")
	var again []struct {
		Push struct {
			LayersCompressed int `json:"layers_compressed"`
		} `json:"push"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &again); err != nil || len(again) != 1 {
		t.Fatalf("second build: %v %s", err, res.Stdout)
	}
	if again[0].Push.LayersCompressed != 0 {
		t.Errorf("unchanged layer compressed again: %d", again[0].Push.LayersCompressed)
	}
}

// TestBuildErrorInStream: a failing Dockerfile step is an error with the
// builder's message, not a silent success.
func TestBuildErrorInStream(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	root := t.TempDir()
	dir := filepath.Join(root, "functions", "broken")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY does-not-exist /x\n"), 0o644)
	res := runCLI(t, s.Env, "build", "broken", "--dir", root, "--no-push", "--no-tui")
	if res.Code == 0 || !strings.Contains(res.Stderr, "build broken") || !strings.Contains(strings.ToLower(res.Stderr), "does-not-exist") {
		t.Fatalf("broken build: %s", res)
	}
	res = runCLI(t, s.Env, "build", "nosuch", "--dir", root, "--no-push", "--no-tui")
	if res.Code == 0 || !strings.Contains(res.Stderr, "known: broken") {
		t.Fatalf("unknown function: %s", res)
	}
}

// TestBuildComposeService: a compose service with a build: section is a
// function too; its build args reach the Dockerfile.
func TestBuildComposeService(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	mustCLI(t, s.Env, "up", "--no-tui")
	root := helloFunction(t, "hello from compose")
	ctxDir := filepath.Join(root, "functions", "hello")
	os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte("FROM scratch\nARG GREETING_FILE=hello\nCOPY ${GREETING_FILE} /svc\nENTRYPOINT [\"/svc\"]\n"), 0o644)
	compose := filepath.Join(root, "compose.yaml")
	os.WriteFile(compose, []byte("services:\n  api:\n    build:\n      context: functions/hello\n      args:\n        GREETING_FILE: hello\n    image: api\n"), 0o644)
	// Only the compose service: an empty --dir has no functions/.
	res := mustCLI(t, s.Env, "build", "api", "-f", compose, "--dir", t.TempDir(), "--json")
	if !strings.Contains(res.Stdout, `"source": "compose service api"`) || !strings.Contains(res.Stdout, s.Addr()+"/api:latest") {
		t.Fatalf("build of a compose service: %s", res)
	}
	image := s.Addr() + "/api:latest"
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", image).Run() })
	if out := docker(t, "run", "--rm", image); out != "hello from compose" {
		t.Fatalf("container printed %q", out)
	}
}
