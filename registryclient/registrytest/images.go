package registrytest

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Layer returns an uncompressed layer of one file of size bytes: random
// bytes, or compressible text when text is true.
func Layer(size int64, text bool, seed uint64) (v1.Layer, error) {
	var content bytes.Buffer
	if text {
		r := mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		words := []string{"registry", "layer", "push", "esbtui", "lambda", "dynamo", "function", "image", "\n"}
		for int64(content.Len()) < size {
			content.WriteString(words[r.IntN(len(words))])
			content.WriteByte(' ')
		}
		content.Truncate(int(size))
	} else {
		content.Grow(int(size))
		if _, err := io.CopyN(&content, rand.Reader, size); err != nil {
			return nil, err
		}
	}
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	if err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("data-%d.bin", seed), Mode: 0o644, Size: size, Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(content.Bytes()); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	raw := tb.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil })
}

// Image builds an image from layers with a config people inspect.
func Image(created time.Time, entrypoint []string, labels map[string]string, layers ...v1.Layer) (v1.Image, error) {
	img, err := mutate.AppendLayers(mutate.MediaType(empty.Image, types.DockerManifestSchema2), layers...)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Entrypoint = entrypoint
	cf.Config.Labels = labels
	cf.Created = v1.Time{Time: created}
	return mutate.ConfigFile(img, cf)
}

// DockerSave writes img the way `docker save` on engine 20.10 does: one
// directory per layer holding the uncompressed layer.tar, the config as
// <hex>.json, manifest.json and repositories.
func DockerSave(w io.Writer, tag string, img v1.Image) error {
	tw := tar.NewWriter(w)
	cfgName, err := img.ConfigName()
	if err != nil {
		return err
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return err
	}
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	var paths []string
	for i, l := range layers {
		diffID, err := l.DiffID()
		if err != nil {
			return err
		}
		dir := fmt.Sprintf("%x", sha256.Sum256([]byte(fmt.Sprintf("%d/%s", i, diffID))))
		if err := writeEntry(tw, dir+"/", nil, tar.TypeDir); err != nil {
			return err
		}
		rc, err := l.Uncompressed()
		if err != nil {
			return err
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return err
		}
		if err := writeEntry(tw, dir+"/layer.tar", b, tar.TypeReg); err != nil {
			return err
		}
		if err := writeEntry(tw, dir+"/VERSION", []byte("1.0"), tar.TypeReg); err != nil {
			return err
		}
		paths = append(paths, dir+"/layer.tar")
	}
	if err := writeEntry(tw, cfgName.Hex+".json", cfg, tar.TypeReg); err != nil {
		return err
	}
	m, err := json.Marshal([]map[string]any{{"Config": cfgName.Hex + ".json", "RepoTags": []string{tag}, "Layers": paths}})
	if err != nil {
		return err
	}
	if err := writeEntry(tw, "manifest.json", m, tar.TypeReg); err != nil {
		return err
	}
	return tw.Close()
}

func writeEntry(tw *tar.Writer, name string, data []byte, typ byte) error {
	h := &tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: typ, ModTime: time.Unix(0, 0)}
	if typ == tar.TypeDir {
		h.Mode, h.Size = 0o755, 0
	}
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	if len(data) > 0 {
		_, err := tw.Write(data)
		return err
	}
	return nil
}
