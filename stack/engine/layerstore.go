package engine

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/moby/client"
	"github.com/vbatts/tar-split/tar/storage"
)

// ErrNoLayerStore means the engine's layer store cannot be read from this
// process (a remote or virtualised engine, another storage driver, no
// permission): export the image through the API instead.
var ErrNoLayerStore = errors.New("stack: the engine's layer store is not readable here")

// LocalImage is an engine image read straight from the engine's layer store
// (overlay2 on the same host), the way the engine itself reads it for
// `docker push`: each layer's tar is reassembled from its tar-split metadata
// and the files in its diff directory, byte for byte the stream whose sha256
// is the layer's diffID. It skips `docker save`, which in engine 20.10
// copies the whole image into a temporary directory before the first byte.
type LocalImage struct {
	// ID is the image ID (sha256 of Config).
	ID string
	// Config is the image's config JSON, exactly as stored.
	Config []byte
	// Layers are the image's layers, base first.
	Layers []LocalLayer
	// Root is the engine's data root the layers are read from.
	Root string
}

// LocalLayer is one layer of a LocalImage.
type LocalLayer struct {
	// DiffID is "sha256:<hex>" of the uncompressed tar.
	DiffID string
	// Size is the exact size of the uncompressed tar in bytes.
	Size int64

	tarSplit string // tar-split.json.gz
	diffDir  string // the overlay2 diff directory with the layer's files
}

// Open streams the layer's uncompressed tar. The caller must check the
// sha256 of the whole stream against DiffID: that is the integrity check
// (tar-split's per-file crc64 would cost as much CPU again as the sha256,
// and prove less, so it is not computed).
func (l LocalLayer) Open() (io.ReadCloser, error) {
	f, err := os.Open(l.tarSplit)
	if err != nil {
		return nil, fmt.Errorf("stack: open the layer metadata %s: %w", l.tarSplit, err)
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stack: read the layer metadata %s: %w", l.tarSplit, err)
	}
	root, err := os.OpenRoot(l.diffDir)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stack: open the layer directory %s: %w", l.diffDir, err)
	}
	pr, pw := io.Pipe()
	go func() {
		err := reassemble(pw, rootGetter{root}, storage.NewJSONUnpacker(zr))
		if err != nil {
			err = fmt.Errorf("stack: reassemble layer %s from %s: %w", l.DiffID, l.diffDir, err)
		}
		pw.CloseWithError(err)
		root.Close()
		f.Close()
	}()
	return pr, nil
}

// reassemble writes the tar a tar-split record describes: its raw segments
// (headers, padding) as recorded, each file's first Size bytes from the
// layer directory.
func reassemble(w io.Writer, files rootGetter, up storage.Unpacker) error {
	buf := make([]byte, 256<<10)
	for {
		e, err := up.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch e.Type {
		case storage.SegmentType:
			if _, err := w.Write(e.Payload); err != nil {
				return err
			}
		case storage.FileType:
			if e.Size == 0 {
				continue
			}
			name := e.GetName()
			f, err := files.Get(name)
			if err != nil {
				return err
			}
			n, err := io.CopyBuffer(w, io.LimitReader(f, e.Size), buf)
			f.Close()
			if err != nil {
				return err
			}
			if n != e.Size {
				return fmt.Errorf("file %q has %d bytes, the layer recorded %d", name, n, e.Size)
			}
		}
	}
}

// rootGetter reads layer files confined to the layer's directory: a name in
// the metadata can never reach outside it.
type rootGetter struct{ root *os.Root }

func (g rootGetter) Get(name string) (io.ReadCloser, error) {
	return g.root.Open(filepath.FromSlash(strings.TrimPrefix(filepath.ToSlash(filepath.Clean("/"+name)), "/")))
}

// LocalImage locates the image with ID id ("sha256:…", from ImageInspect)
// in the engine's layer store. It returns an error wrapping ErrNoLayerStore
// whenever the store cannot be used from here, so the caller falls back to
// SaveImage; every identity is checked (the config hashes to the image ID,
// each layer's recorded diffID matches the config), so a store that
// belongs to another engine is never mistaken for this one.
func (e *Engine) LocalImage(ctx context.Context, id string) (*LocalImage, error) {
	if !strings.HasPrefix(e.Host, "unix://") {
		return nil, fmt.Errorf("%w: the engine at %s is not on this host", ErrNoLayerStore, e.Host)
	}
	res, err := e.api.Info(ctx, client.InfoOptions{})
	if err != nil {
		return nil, fmt.Errorf("stack: ask the engine for its data root: %w", err)
	}
	info := res.Info
	if info.Driver != "overlay2" {
		return nil, fmt.Errorf("%w: storage driver %q (only overlay2 is read directly)", ErrNoLayerStore, info.Driver)
	}
	return readLocalImage(info.DockerRootDir, id)
}

// readLocalImage reads image id's config and layer locations under the
// engine data root.
func readLocalImage(root, id string) (*LocalImage, error) {
	hexID, ok := strings.CutPrefix(id, "sha256:")
	if !ok || len(hexID) != 64 {
		return nil, fmt.Errorf("%w: image ID %q is not a sha256 digest", ErrNoLayerStore, id)
	}
	store := filepath.Join(root, "image", "overlay2")
	cfgPath := filepath.Join(store, "imagedb", "content", "sha256", hexID)
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoLayerStore, err)
	}
	if sum := sha256.Sum256(cfg); hex.EncodeToString(sum[:]) != hexID {
		return nil, fmt.Errorf("%w: %s does not hash to the image ID", ErrNoLayerStore, cfgPath)
	}
	var c struct {
		RootFS struct {
			Type    string   `json:"type"`
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	if err := json.Unmarshal(cfg, &c); err != nil {
		return nil, fmt.Errorf("stack: parse image config %s: %w", cfgPath, err)
	}
	img := &LocalImage{ID: id, Config: cfg, Root: root}
	chain := ""
	for i, diffID := range c.RootFS.DiffIDs {
		if chain == "" {
			chain = diffID
		} else {
			sum := sha256.Sum256([]byte(chain + " " + diffID))
			chain = "sha256:" + hex.EncodeToString(sum[:])
		}
		dir := filepath.Join(store, "layerdb", "sha256", strings.TrimPrefix(chain, "sha256:"))
		recorded, err := os.ReadFile(filepath.Join(dir, "diff"))
		if err != nil {
			return nil, fmt.Errorf("%w: layer %d: %v", ErrNoLayerStore, i, err)
		}
		if strings.TrimSpace(string(recorded)) != diffID {
			return nil, fmt.Errorf("%w: layer %d: %s records %s, the config says %s", ErrNoLayerStore, i, dir, recorded, diffID)
		}
		cacheID, err := os.ReadFile(filepath.Join(dir, "cache-id"))
		if err != nil {
			return nil, fmt.Errorf("%w: layer %d: %v", ErrNoLayerStore, i, err)
		}
		cid := strings.TrimSpace(string(cacheID))
		if cid == "" || strings.ContainsAny(cid, `/\`) || cid == "." || cid == ".." {
			return nil, fmt.Errorf("%w: layer %d: bad cache-id %q", ErrNoLayerStore, i, cid)
		}
		l := LocalLayer{
			DiffID:   diffID,
			tarSplit: filepath.Join(dir, "tar-split.json.gz"),
			diffDir:  filepath.Join(root, "overlay2", cid, "diff"),
		}
		if _, err := os.Stat(l.diffDir); err != nil {
			return nil, fmt.Errorf("%w: layer %d: %v", ErrNoLayerStore, i, err)
		}
		if l.Size, err = tarSize(l.tarSplit); err != nil {
			return nil, fmt.Errorf("%w: layer %d: %v", ErrNoLayerStore, i, err)
		}
		img.Layers = append(img.Layers, l)
	}
	return img, nil
}

// tarSize is the exact length of the tar a tar-split file reassembles: its
// raw segments (headers, padding) plus every file's payload.
func tarSize(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	up := storage.NewJSONUnpacker(zr)
	var n int64
	for {
		e, err := up.Next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return 0, fmt.Errorf("read %s: %w", path, err)
		}
		switch e.Type {
		case storage.SegmentType:
			n += int64(len(e.Payload))
		case storage.FileType:
			n += e.Size
		}
	}
}
