package engine

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vbatts/tar-split/tar/asm"
	"github.com/vbatts/tar-split/tar/storage"
)

// tarEntry is one entry of a synthetic layer.
type tarEntry struct {
	hdr  tar.Header
	body []byte
}

func layerTar(t *testing.T, entries []tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := e.hdr
		h.Size = int64(len(e.body))
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// fakeEngineRoot lays out an overlay2 data root the way the engine does on
// `docker load`: tar-split metadata recorded from each layer tar, the
// files in each layer's diff directory, and the image config. It returns
// the root and the image ID.
func fakeEngineRoot(t *testing.T, layers [][]byte, extract func(layer int, name string, body []byte) (string, []byte)) (string, string) {
	t.Helper()
	root := t.TempDir()
	store := filepath.Join(root, "image", "overlay2")
	var diffIDs []string
	chain := ""
	for i, l := range layers {
		diffID := sum(l)
		diffIDs = append(diffIDs, diffID)
		if chain == "" {
			chain = diffID
		} else {
			chain = sum([]byte(chain + " " + diffID))
		}
		cacheID := strings.Repeat(string(rune('a'+i)), 64)
		diff := filepath.Join(root, "overlay2", cacheID, "diff")
		if err := os.MkdirAll(diff, 0o755); err != nil {
			t.Fatal(err)
		}
		// Record the tar-split metadata exactly as the engine does.
		var meta bytes.Buffer
		zw := gzip.NewWriter(&meta)
		rd, done, err := asm.NewInputTarStreamWithDone(bytes.NewReader(l), storage.NewJSONPacker(zw), storage.NewDiscardFilePutter())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rd); err != nil {
			t.Fatal(err)
		}
		rd.Close()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		zw.Close()
		// Extract the regular files' payloads.
		tr := tar.NewReader(bytes.NewReader(l))
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Typeflag != tar.TypeReg || h.Size == 0 {
				continue
			}
			body, _ := io.ReadAll(tr)
			name, body := h.Name, body
			if extract != nil {
				name, body = extract(i, name, body)
			}
			p := filepath.Join(diff, filepath.FromSlash(name))
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, body, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		dir := filepath.Join(store, "layerdb", "sha256", strings.TrimPrefix(chain, "sha256:"))
		os.MkdirAll(dir, 0o700)
		os.WriteFile(filepath.Join(dir, "diff"), []byte(diffID), 0o644)
		os.WriteFile(filepath.Join(dir, "cache-id"), []byte(cacheID), 0o644)
		os.WriteFile(filepath.Join(dir, "tar-split.json.gz"), meta.Bytes(), 0o644)
	}
	cfg, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux",
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	id := sum(cfg)
	p := filepath.Join(store, "imagedb", "content", "sha256", strings.TrimPrefix(id, "sha256:"))
	os.MkdirAll(filepath.Dir(p), 0o700)
	if err := os.WriteFile(p, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	return root, id
}

func testLayers(t *testing.T) [][]byte {
	big := make([]byte, 3<<20+17)
	rand.Read(big)
	base := layerTar(t, []tarEntry{
		{hdr: tar.Header{Name: "bin/", Typeflag: tar.TypeDir, Mode: 0o755}},
		{hdr: tar.Header{Name: "bin/tool", Typeflag: tar.TypeReg, Mode: 0o4755}, body: big},
		{hdr: tar.Header{Name: "bin/link", Typeflag: tar.TypeSymlink, Linkname: "tool"}},
		{hdr: tar.Header{Name: "bin/hard", Typeflag: tar.TypeLink, Linkname: "bin/tool"}},
		{hdr: tar.Header{Name: "etc/empty", Typeflag: tar.TypeReg}},
		{hdr: tar.Header{Name: "etc/名前 with space", Typeflag: tar.TypeReg, PAXRecords: map[string]string{"SCHILY.xattr.user.k": "v"}}, body: []byte("unicode\n")},
	})
	top := layerTar(t, []tarEntry{
		{hdr: tar.Header{Name: "etc/.wh.empty", Typeflag: tar.TypeReg}},
		{hdr: tar.Header{Name: "bin/.wh..wh..opq", Typeflag: tar.TypeReg}},
		{hdr: tar.Header{Name: "bin/new", Typeflag: tar.TypeReg}, body: []byte("new\n")},
	})
	return [][]byte{base, top}
}

// TestLocalImageReassemblesExactly: every layer read from the store is the
// same bytes as the tar it was recorded from (so it hashes to its diffID),
// with setuid files, links, xattrs, unicode names, whiteouts and opaque
// directories.
func TestLocalImageReassemblesExactly(t *testing.T) {
	layers := testLayers(t)
	root, id := fakeEngineRoot(t, layers, nil)
	img, err := readLocalImage(root, id)
	if err != nil {
		t.Fatal(err)
	}
	if img.ID != id || sum(img.Config) != id || len(img.Layers) != 2 {
		t.Fatalf("image %s with %d layers, want %s with 2", img.ID, len(img.Layers), id)
	}
	for i, l := range img.Layers {
		if l.DiffID != sum(layers[i]) || l.Size != int64(len(layers[i])) {
			t.Errorf("layer %d: diffID %s size %d, want %s %d", i, l.DiffID, l.Size, sum(layers[i]), len(layers[i]))
		}
		rc, err := l.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("layer %d: %v", i, err)
		}
		if !bytes.Equal(got, layers[i]) {
			t.Errorf("layer %d: reassembled %d bytes differ from the recorded %d", i, len(got), len(layers[i]))
		}
	}
}

// TestLocalImageRefusesWhatItCannotTrust: a store that does not match the
// image is "not usable here" (the caller exports instead), never a guess.
func TestLocalImageRefusesWhatItCannotTrust(t *testing.T) {
	t.Run("no such image", func(t *testing.T) {
		root, _ := fakeEngineRoot(t, testLayers(t), nil)
		_, err := readLocalImage(root, sum([]byte("other")))
		if !errors.Is(err, ErrNoLayerStore) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("config does not hash to the ID", func(t *testing.T) {
		root, id := fakeEngineRoot(t, testLayers(t), nil)
		p := filepath.Join(root, "image", "overlay2", "imagedb", "content", "sha256", strings.TrimPrefix(id, "sha256:"))
		b, _ := os.ReadFile(p)
		os.WriteFile(p, append(b, ' '), 0o600)
		_, err := readLocalImage(root, id)
		if !errors.Is(err, ErrNoLayerStore) || !strings.Contains(err.Error(), "does not hash") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("layer records another diffID", func(t *testing.T) {
		layers := testLayers(t)
		root, id := fakeEngineRoot(t, layers, nil)
		dir := filepath.Join(root, "image", "overlay2", "layerdb", "sha256", strings.TrimPrefix(sum(layers[0]), "sha256:"))
		os.WriteFile(filepath.Join(dir, "diff"), []byte(sum([]byte("x"))), 0o644)
		_, err := readLocalImage(root, id)
		if !errors.Is(err, ErrNoLayerStore) || !strings.Contains(err.Error(), "layer 0") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("unreadable data root", func(t *testing.T) {
		_, err := readLocalImage(filepath.Join(t.TempDir(), "nothing"), sum([]byte("x")))
		if !errors.Is(err, ErrNoLayerStore) {
			t.Fatalf("got %v", err)
		}
	})
}

// TestLocalLayerChangedFiles: a file changed under the engine changes the
// stream (so its sha256 is not the diffID and the push refuses it); a file
// that shrank or vanished fails the stream naming it.
func TestLocalLayerChangedFiles(t *testing.T) {
	layers := testLayers(t)
	root, id := fakeEngineRoot(t, layers, func(layer int, name string, body []byte) (string, []byte) {
		switch name {
		case "bin/new":
			return name, []byte("NEW\n")
		case "bin/tool":
			return name, body[:len(body)-1]
		}
		return name, body
	})
	img, err := readLocalImage(root, id)
	if err != nil {
		t.Fatal(err)
	}
	read := func(i int) ([]byte, error) {
		rc, err := img.Layers[i].Open()
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}
	if _, err := read(0); err == nil || !strings.Contains(err.Error(), "bin/tool") {
		t.Errorf("shrunk file: %v", err)
	}
	got, err := read(1)
	if err != nil {
		t.Fatal(err)
	}
	if sum(got) == img.Layers[1].DiffID || len(got) != len(layers[1]) {
		t.Errorf("changed file: stream hashes to the diffID (%d bytes)", len(got))
	}
}

// TestLocalLayerStaysInItsDirectory: a name in the metadata that climbs out
// of the layer directory is refused, not read.
func TestLocalLayerStaysInItsDirectory(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secret, []byte("s"), 0o600)
	g := rootGetter{}
	dir := t.TempDir()
	r, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	g.root = r
	rel, _ := filepath.Rel(dir, secret)
	for _, name := range []string{rel, secret, "../" + filepath.Base(secret)} {
		if f, err := g.Get(name); err == nil {
			f.Close()
			t.Errorf("Get(%q) opened a file outside the layer directory", name)
		}
	}
}
