package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

type pushJSON struct {
	Ref              string `json:"ref"`
	Digest           string `json:"digest"`
	Export           string `json:"export"`
	LayersCompressed int    `json:"layers_compressed"`
	BytesSent        int64  `json:"bytes_sent"`
	Layers           []struct {
		DiffID string `json:"diff_id"`
		Action string `json:"action"`
	} `json:"layers"`
}

func pushImage(t *testing.T, env []string, image, dst string) pushJSON {
	t.Helper()
	res := mustCLI(t, env, "push", image, "--to", dst, "--json")
	var p pushJSON
	if err := json.Unmarshal([]byte(res.Stdout), &p); err != nil {
		t.Fatalf("push --json: %v\n%s", err, res.Stdout)
	}
	return p
}

// trickyImage builds an image whose layers hold what tar reassembly gets
// wrong first: whiteouts, an opaque directory, hard and symbolic links, a
// setuid file, an empty file, a name with spaces and non-ASCII, plus a
// random top layer (top decides its content).
func trickyImage(t *testing.T, tag, top string) {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "top.txt"), []byte(top), 0o644)
	df := "FROM " + registryImage(t) + "\n" +
		`RUN ["/bin/busybox", "sh", "-c", "busybox mkdir -p /d/e /gone && busybox echo f > /d/e/f && busybox ln /d/e/f /d/hard && busybox ln -s e/f /d/sym && busybox chmod 4755 /d/e/f && busybox touch /d/empty '/d/名前 with space' && busybox echo x > /gone/x"]` + "\n" +
		`RUN ["/bin/busybox", "sh", "-c", "busybox rm -rf /etc/docker /gone/x /d/e && busybox mkdir /d/e && busybox echo g > /d/e/g"]` + "\n" +
		"COPY top.txt /top.txt\n"
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644)
	cmd := exec.Command("docker", "build", "-q", "-t", tag, dir)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", tag).Run() })
}

// TestPushFromLayerStore: `esbtui push` reads an engine image's layers from
// the engine's layer store (this test runs as root next to the engine) and
// pushes byte-for-byte the image `docker save` gives: the same manifest
// digest either way; a pull brings back files, links, modes and deletions;
// a changed top layer compresses and sends only that layer.
func TestPushFromLayerStore(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	mustCLI(t, s.Env, "up", "--no-tui")
	tag := randomName("esbe2e-tricky") + ":1"
	trickyImage(t, tag, "one\n")

	local := pushImage(t, s.Env, tag, s.Addr()+"/tricky:local")
	if local.Export != "layer-store" || local.LayersCompressed == 0 {
		t.Fatalf("push read layers via %q, compressed %d; want layer-store", local.Export, local.LayersCompressed)
	}
	// The same image again: nothing is read from the engine at all.
	if again := pushImage(t, s.Env, tag, s.Addr()+"/tricky:local"); again.Export != "none" || again.Digest != local.Digest || again.LayersCompressed != 0 {
		t.Fatalf("re-push: export %q, digest %s, compressed %d; want none, %s, 0", again.Export, again.Digest, again.LayersCompressed, local.Digest)
	}
	// Export through the API, with no layer cache: every layer compressed
	// again from the docker save stream gives the same blobs.
	os.RemoveAll(filepath.Join(s.Home, "cache"))
	saved := pushImage(t, s.With("ESB_PUSH_EXPORT=save"), tag, s.Addr()+"/tricky:save")
	if saved.Export != "save" || saved.LayersCompressed != local.LayersCompressed {
		t.Fatalf("save push: export %q, compressed %d (layer store: %d)", saved.Export, saved.LayersCompressed, local.LayersCompressed)
	}
	if saved.Digest != local.Digest {
		t.Fatalf("layer store and docker save pushes differ: %s vs %s", local.Digest, saved.Digest)
	}

	// What the registry holds is the image: pull it back and look inside.
	ref := s.Addr() + "/tricky:local"
	mustCLI(t, s.Env, "pull", ref, "--no-tui")
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", ref).Run() })
	out := docker(t, "run", "--rm", "--entrypoint", "/bin/busybox", ref, "sh", "-c",
		`busybox cat /top.txt /d/hard /d/e/g; busybox readlink /d/sym; busybox stat -c %a /d/hard; `+
			`busybox ls /d/e; busybox test -e /etc/docker || busybox echo no-etc-docker; busybox test -e /gone/x || busybox echo no-gone-x; busybox ls /d | busybox wc -l`)
	want := []string{"one", "f", "g", "e/f", "4755", "g", "no-etc-docker", "no-gone-x", "5"}
	if got := strings.Fields(out); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("pulled image content:\n%s\nwant fields %q", out, want)
	}

	// A new top layer: only it is compressed and sent.
	tag2 := randomName("esbe2e-tricky") + ":2"
	trickyImage(t, tag2, "two\n")
	next := pushImage(t, s.Env, tag2, s.Addr()+"/tricky:next")
	if next.Export != "layer-store" || next.LayersCompressed != 1 {
		t.Fatalf("changed top layer: export %q, compressed %d layers; want layer-store, 1", next.Export, next.LayersCompressed)
	}
	uploaded := 0
	for _, l := range next.Layers {
		if l.Action == "uploaded" {
			uploaded++
		}
	}
	if uploaded != 1 || next.BytesSent > 64<<10 {
		t.Fatalf("changed top layer: %d layers uploaded, %d bytes sent; want 1 small layer", uploaded, next.BytesSent)
	}
}
