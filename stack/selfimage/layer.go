package selfimage

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"
)

// epoch is the modification time of every layer entry: the same inputs
// always give the same bytes, so the same image ID.
var epoch = time.Unix(0, 0).UTC()

// entry is one file of the layer: its content is Data or the host file
// Source.
type entry struct {
	Path   string // absolute path in the image
	Source string
	Data   []byte
	Mode   int64
	size   int64
}

// layer is the planned content of the image's only layer.
type layer struct {
	entries []entry
	dirs    []string
	// DiffID is "sha256:<hex>" of the uncompressed tar; Size its length.
	DiffID string
	Size   int64
}

// newLayer orders entries, adds their parent directories and extra dirs,
// stats the sources and computes the digest and size by writing the tar
// once to a hash.
func newLayer(entries []entry, extraDirs []string) (*layer, error) {
	l := &layer{}
	dirSet := map[string]bool{}
	addDirs := func(p string) {
		for d := path.Dir(p); d != "/" && d != "."; d = path.Dir(d) {
			dirSet[d] = true
		}
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if !path.IsAbs(e.Path) || path.Clean(e.Path) != e.Path || e.Path == "/" {
			return nil, fmt.Errorf("selfimage: layer path %q is not a clean absolute file path", e.Path)
		}
		if seen[e.Path] {
			continue
		}
		seen[e.Path] = true
		if e.Source != "" {
			fi, err := os.Stat(e.Source)
			if err != nil {
				return nil, fmt.Errorf("selfimage: %w", err)
			}
			if !fi.Mode().IsRegular() {
				return nil, fmt.Errorf("selfimage: %s is not a regular file", e.Source)
			}
			e.size = fi.Size()
		} else {
			e.size = int64(len(e.Data))
		}
		addDirs(e.Path)
		l.entries = append(l.entries, e)
	}
	for _, d := range extraDirs {
		dirSet[path.Clean(d)] = true
		addDirs(path.Clean(d))
	}
	for d := range dirSet {
		l.dirs = append(l.dirs, d)
	}
	sort.Strings(l.dirs)
	sort.Slice(l.entries, func(i, j int) bool { return l.entries[i].Path < l.entries[j].Path })

	h := sha256.New()
	n, err := l.writeTo(h)
	if err != nil {
		return nil, err
	}
	l.DiffID = "sha256:" + hex.EncodeToString(h.Sum(nil))
	l.Size = n
	return l, nil
}

// countWriter counts what passes through.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// writeTo writes the layer tar to w and returns its length. A source that
// changed size since newLayer is an error (the digest would be wrong).
func (l *layer) writeTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	tw := tar.NewWriter(cw)
	for _, d := range l.dirs {
		mode := int64(0o755)
		if d == "/tmp" {
			mode = 0o1777
		}
		hdr := &tar.Header{Typeflag: tar.TypeDir, Name: strings.TrimPrefix(d, "/") + "/", Mode: mode, ModTime: epoch, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return cw.n, fmt.Errorf("selfimage: write layer: %w", err)
		}
	}
	for _, e := range l.entries {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(e.Path, "/"), Mode: e.Mode, Size: e.size, ModTime: epoch, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return cw.n, fmt.Errorf("selfimage: write layer: %w", err)
		}
		if e.Source == "" {
			if _, err := tw.Write(e.Data); err != nil {
				return cw.n, fmt.Errorf("selfimage: write layer: %w", err)
			}
			continue
		}
		if err := copyFile(tw, e.Source, e.size); err != nil {
			return cw.n, err
		}
	}
	if err := tw.Close(); err != nil {
		return cw.n, fmt.Errorf("selfimage: write layer: %w", err)
	}
	return cw.n, nil
}

func copyFile(w io.Writer, src string, size int64) error {
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("selfimage: %w", err)
	}
	defer f.Close()
	n, err := io.Copy(w, io.LimitReader(f, size+1))
	if err != nil {
		return fmt.Errorf("selfimage: copy %s into the layer: %w", src, err)
	}
	if n != size {
		return fmt.Errorf("selfimage: %s changed while the image was assembled (%d bytes, expected %d): run again", src, n, size)
	}
	return nil
}
