package registryclient

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"unicode"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/esbtui/esbtui/internal/progress"
)

// smallArchive is a valid archive of one image (one layer, a config).
func smallArchive(f *testing.F) []byte {
	layer := []byte("layer bytes")
	config := []byte(`{"architecture":"amd64","os":"linux"}`)
	lh, ch := hashHex(layer), hashHex(config)
	manifest, _ := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + ch, "size": len(config)},
		"layers": []any{map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + lh, "size": len(layer)}},
	})
	mh := hashHex(manifest)
	index, _ := json.Marshal(map[string]any{"schemaVersion": 2, "manifests": []any{map[string]any{
		"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + mh, "size": len(manifest),
		"annotations": map[string]string{AnnotationRefName: "demo/app:v1"},
	}}})
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range []struct {
		name string
		data []byte
	}{
		{ArchiveLayoutFile, []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{blobPath(mustHash(f, lh)), layer}, {blobPath(mustHash(f, ch)), config}, {blobPath(mustHash(f, mh)), manifest},
		{ArchiveIndexFile, index},
	} {
		tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.data)), Typeflag: tar.TypeReg})
		tw.Write(e.data)
	}
	tw.Close()
	return b.Bytes()
}

// FuzzOpenArchive feeds arbitrary bytes (seeded with a valid archive) to
// OpenArchive: it returns an archive or an error, never panics, and an
// error never carries a control character from the input to the terminal.
func FuzzOpenArchive(f *testing.F) {
	valid := smallArchive(f)
	if a, err := OpenArchive(context.Background(), bytes.NewReader(valid), int64(len(valid)), progress.Discard); err != nil || len(a.Images) != 1 || a.Images[0].Ref() != "demo/app:v1" {
		f.Fatalf("the seed archive does not open: %v", err)
	}
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := OpenArchive(context.Background(), bytes.NewReader(data), int64(len(data)), progress.Discard)
		if err != nil {
			for _, r := range err.Error() {
				if unicode.IsControl(r) && r != '\n' {
					t.Fatalf("error carries control character %U: %q", r, err.Error())
				}
			}
			return
		}
		for _, img := range a.Images {
			if img.Repository == "" {
				t.Fatalf("an image without a repository: %+v", img)
			}
		}
	})
}

func mustHash(f *testing.F, hexd string) v1.Hash {
	h, err := v1.NewHash("sha256:" + hexd)
	if err != nil {
		f.Fatal(err)
	}
	return h
}
