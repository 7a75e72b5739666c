package engine

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// ErrNotInContainer is a path a container does not have.
var ErrNotInContainer = errors.New("no such file in the container")

// ReadContainerFile reads the regular file at p in container id through
// the engine's archive API (no tool needed in the image, so it works in
// FROM-scratch images), following symbolic links (at most 8). It reads
// at most limit bytes; a larger file is an error.
func (e *Engine) ReadContainerFile(ctx context.Context, id, p string, limit int64) ([]byte, error) {
	for range 8 {
		res, err := e.api.CopyFromContainer(ctx, id, client.CopyFromContainerOptions{SourcePath: p})
		if err != nil {
			if cerrdefs.IsNotFound(err) {
				return nil, fmt.Errorf("stack: read %s in %s: %w", p, shortID(id), ErrNotInContainer)
			}
			return nil, fmt.Errorf("stack: read %s in %s: %w", p, shortID(id), err)
		}
		data, link, err := readSingleFile(res.Content, limit)
		res.Content.Close()
		if err != nil {
			return nil, fmt.Errorf("stack: read %s in %s: %w", p, shortID(id), err)
		}
		if link == "" {
			return data, nil
		}
		if !path.IsAbs(link) {
			link = path.Join(path.Dir(p), link)
		}
		p = path.Clean(link)
	}
	return nil, fmt.Errorf("stack: read %s in %s: too many symbolic links", p, shortID(id))
}

// readSingleFile reads the first entry of a tar stream: a regular file's
// content (at most limit bytes) or a symbolic link's target.
func readSingleFile(r io.Reader, limit int64) ([]byte, string, error) {
	tr := tar.NewReader(r)
	h, err := tr.Next()
	if err != nil {
		return nil, "", fmt.Errorf("read the archive: %w", err)
	}
	switch h.Typeflag {
	case tar.TypeSymlink:
		return nil, h.Linkname, nil
	case tar.TypeReg:
	default:
		return nil, "", fmt.Errorf("not a regular file")
	}
	if h.Size > limit {
		return nil, "", fmt.Errorf("%d bytes, more than the %d this check reads", h.Size, limit)
	}
	data, err := io.ReadAll(io.LimitReader(tr, limit))
	if err != nil {
		return nil, "", fmt.Errorf("read the archive: %w", err)
	}
	return data, "", nil
}
