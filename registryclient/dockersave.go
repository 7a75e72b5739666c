package registryclient

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// entryKind is what the first bytes of a docker-save entry look like.
type entryKind int

const (
	kindOther entryKind = iota
	kindTar             // an uncompressed layer
	kindGzip            // an already compressed layer (OCI save from a containerd store)
)

// saveEntry is one regular file of a docker-save stream: JSON kept in
// memory, everything else spooled to a file, all hashed on the way.
type saveEntry struct {
	name string
	path string // spool file, "" when in memory
	data []byte
	size int64
	hash v1.Hash // sha256 of the content: the diffID of an uncompressed layer
	kind entryKind
}

// saveManifest is one entry of a docker-save manifest.json.
type saveManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// saveReader spools a docker-save tar stream, calling onLayer as soon as an
// entry that looks like a layer is complete, so compression and upload start
// while the engine is still exporting the next layers.
type saveReader struct {
	dir     string
	entries map[string]*saveEntry
	links   map[string]string
	bytes   int64
}

const maxInMemory = 4 << 20

func (s *saveReader) read(ctx context.Context, r io.Reader, onLayer func(*saveEntry), onBytes func(int64)) error {
	s.entries = map[string]*saveEntry{}
	s.links = map[string]string{}
	tr := tar.NewReader(r)
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read image tarball (after %d bytes): %w", s.bytes, err)
		}
		name := path.Clean(strings.TrimPrefix(hdr.Name, "./"))
		switch hdr.Typeflag {
		case tar.TypeSymlink:
			s.links[name] = path.Clean(path.Join(path.Dir(name), hdr.Linkname))
			continue
		case tar.TypeLink:
			s.links[name] = path.Clean(strings.TrimPrefix(hdr.Linkname, "./"))
			continue
		case tar.TypeReg:
		default:
			continue
		}
		e, err := s.spool(tr, name, hdr.Size, buf)
		if err != nil {
			return err
		}
		s.entries[name] = e
		s.bytes += hdr.Size
		if onBytes != nil {
			onBytes(s.bytes)
		}
		if e.kind != kindOther && onLayer != nil {
			onLayer(e)
		}
	}
}

func (s *saveReader) spool(r io.Reader, name string, size int64, buf []byte) (*saveEntry, error) {
	e := &saveEntry{name: name, size: size}
	head := make([]byte, min(size, 512))
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, fmt.Errorf("read %s from the image tarball: %w", name, err)
	}
	e.kind = classify(head, size)
	h := sha256.New()
	if e.kind == kindOther && size <= maxInMemory && len(head) > 0 && (head[0] == '{' || head[0] == '[') {
		h.Write(head)
		rest, err := io.ReadAll(io.LimitReader(r, size-int64(len(head))))
		if err != nil {
			return nil, fmt.Errorf("read %s from the image tarball: %w", name, err)
		}
		h.Write(rest)
		e.data = append(head, rest...)
		e.hash = hashOf(h)
		return e, nil
	}
	f, err := os.CreateTemp(s.dir, "layer-*.tar")
	if err != nil {
		return nil, fmt.Errorf("spool %s: %w", name, err)
	}
	e.path = f.Name()
	w := io.MultiWriter(f, h)
	if _, err := w.Write(head); err != nil {
		f.Close()
		return nil, fmt.Errorf("spool %s to %s: %w", name, e.path, err)
	}
	if _, err := io.CopyBuffer(w, io.LimitReader(r, size-int64(len(head))), buf); err != nil {
		f.Close()
		return nil, fmt.Errorf("spool %s to %s: %w", name, e.path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("spool %s to %s: %w", name, e.path, err)
	}
	e.hash = hashOf(h)
	return e, nil
}

// classify looks at the first 512 bytes: a tar header (ustar magic, or the
// all-zero end blocks of an empty layer) or a gzip stream.
func classify(head []byte, size int64) entryKind {
	if len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b {
		return kindGzip
	}
	if len(head) == 512 {
		if bytes.HasPrefix(head[257:], []byte("ustar")) {
			return kindTar
		}
		if size == 1024 && bytes.Count(head, []byte{0}) == 512 {
			return kindTar
		}
	}
	return kindOther
}

// entry resolves name through symlinks and hard links.
func (s *saveReader) entry(name string) (*saveEntry, error) {
	name = path.Clean(strings.TrimPrefix(name, "./"))
	for range 16 {
		if e, ok := s.entries[name]; ok {
			return e, nil
		}
		t, ok := s.links[name]
		if !ok {
			break
		}
		name = t
	}
	return nil, fmt.Errorf("the image tarball has no file %q", name)
}

// manifest parses manifest.json and the config of its first image.
func (s *saveReader) manifest() (*saveManifest, *saveEntry, *v1.ConfigFile, error) {
	me, ok := s.entries["manifest.json"]
	if !ok || me.data == nil {
		return nil, nil, nil, errors.New("not a docker-save tarball: it has no manifest.json (export the image with `docker save` or the engine's image save)")
	}
	var ms []saveManifest
	if err := json.Unmarshal(me.data, &ms); err != nil {
		return nil, nil, nil, fmt.Errorf("parse manifest.json of the image tarball: %w", err)
	}
	if len(ms) == 0 {
		return nil, nil, nil, errors.New("the image tarball's manifest.json lists no image")
	}
	m := ms[0]
	ce, err := s.entry(m.Config)
	if err != nil {
		return nil, nil, nil, err
	}
	if ce.data == nil {
		return nil, nil, nil, fmt.Errorf("the image config %s is not JSON", m.Config)
	}
	cf, err := v1.ParseConfigFile(bytes.NewReader(ce.data))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("parse image config %s: %w", m.Config, err)
	}
	if len(cf.RootFS.DiffIDs) != len(m.Layers) {
		return nil, nil, nil, fmt.Errorf("the image config lists %d layers but manifest.json %d", len(cf.RootFS.DiffIDs), len(m.Layers))
	}
	return &m, ce, cf, nil
}
