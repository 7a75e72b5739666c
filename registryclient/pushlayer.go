package registryclient

// The per-layer pipeline of a push: cache and registry checks, compress
// once, upload.

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/esbtui/esbtui/internal/progress"
)

func short(h v1.Hash) string {
	if len(h.Hex) > 12 {
		return h.Hex[:12]
	}
	return h.Hex
}

// layer makes sure one layer's blob is in the repository, compressing it
// only when neither the cache nor the registry already has it.
func (p *pushRun) layer(ctx context.Context, j *layerJob) (PushedLayer, error) {
	e := j.entry
	item := short(j.diffID)
	reg := p.repo.RegistryStr()
	var usize int64
	if j.local != nil {
		usize = j.local.Size
	} else {
		usize = e.size
	}
	out := PushedLayer{DiffID: j.diffID.String(), Uncompressed: usize}

	if e != nil && e.kind == kindGzip {
		// Already compressed: push the blob as is.
		out.Digest, out.Size = e.hash.String(), e.size
		return p.upload(ctx, j, out, e.path, e.hash, item)
	}

	if ce, ok := p.c.cache.get(j.diffID.String()); ok {
		dig, err := v1.NewHash(ce.Digest)
		if err != nil {
			return out, fmt.Errorf("layer %s: the layer cache %s holds %q for it, not a digest: %w (remove that file; it only saves recompression)", item, p.c.cache.path, ce.Digest, err)
		}
		p.cacheHits.Add(1)
		out.CacheHit = true
		out.Digest, out.Size = ce.Digest, ce.Size
		exists, err := p.blobExists(ctx, dig)
		if err != nil {
			return out, fmt.Errorf("layer %s: check %s: %w", item, ce.Digest, err)
		}
		if exists {
			p.skip(item, ce.Size, "already in the registry")
			out.Action = ActionExists
			p.c.cache.put(out.DiffID, out.Digest, string(types.DockerLayer), out.Size, reg, p.repo.RepositoryStr())
			return out, nil
		}
		for _, from := range ce.Repos[reg] {
			if from == p.repo.RepositoryStr() {
				continue
			}
			if p.mount(ctx, j.diffID, dig, ce.Size, from) {
				p.skip(item, ce.Size, "mounted from "+from)
				out.Action = ActionMounted
				p.c.cache.put(out.DiffID, out.Digest, string(types.DockerLayer), out.Size, reg, p.repo.RepositoryStr())
				return out, nil
			}
		}
		p.c.cache.forget(out.DiffID, reg)
	}

	if j.local != nil {
		return p.streamLocal(ctx, j, out, item)
	}

	// Compress once.
	select {
	case p.compressSem <- struct{}{}:
	case <-ctx.Done():
		return out, ctx.Err()
	}
	cprog := newByteProgress(p.rep, "compress", item, usize)
	cprog.begin()
	path, dig, size, err := p.compress(j, cprog)
	<-p.compressSem
	if err != nil {
		cprog.finish(progress.Failed, err.Error())
		return out, fmt.Errorf("layer %s: %w", item, err)
	}
	defer os.Remove(path)
	cprog.finish(progress.Done, progress.Bytes(usize)+" → "+progress.Bytes(size))
	p.compressed.Add(1)
	p.bytesCompressed.Add(usize)
	if e != nil {
		os.Remove(e.path) // the uncompressed spool is no longer needed
	}
	out.Compressed = true
	out.Digest, out.Size = dig.String(), size
	return p.upload(ctx, j, out, path, dig, item)
}

// compress gzips one spooled save entry into the push's temp dir.
func (p *pushRun) compress(j *layerJob, prog *byteProgress) (string, v1.Hash, int64, error) {
	src, err := os.Open(j.entry.path)
	if err != nil {
		return "", v1.Hash{}, 0, err
	}
	defer src.Close()
	return compressStream(ctxReader{p.ctx, src}, j.entry.size, p.tmp, prog)
}

// ctxReader stops a long read when the push is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(b)
}

func (p *pushRun) upload(ctx context.Context, j *layerJob, out PushedLayer, path string, dig v1.Hash, item string) (PushedLayer, error) {
	select {
	case p.uploadSem <- struct{}{}:
	case <-ctx.Done():
		return out, ctx.Err()
	}
	defer func() { <-p.uploadSem }()
	uprog := newByteProgress(p.rep, "upload", item, out.Size)
	uprog.begin()
	var sent atomic.Int64 // bytes of the current attempt, counted once the blob is in
	uploaded, err := p.putBlob(ctx, dig, out.Size, func() (io.ReadCloser, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		uprog.restart()
		sent.Store(0)
		return &countingReadCloser{r: f, c: f, prog: uprog, sent: &sent}, nil
	})
	if err != nil {
		uprog.finish(progress.Failed, err.Error())
		return out, fmt.Errorf("layer %s: upload %s: %w", item, dig, err)
	}
	p.bytesSent.Add(sent.Load())
	if uploaded {
		out.Action = ActionUploaded
		uprog.finish(progress.Done, dig.String())
	} else {
		out.Action = ActionExists
		uprog.finish(progress.Skipped, "already in the registry")
	}
	p.c.cache.put(out.DiffID, out.Digest, string(types.DockerLayer), out.Size, p.repo.RegistryStr(), p.repo.RepositoryStr())
	return out, nil
}

func (p *pushRun) skip(item string, size int64, why string) {
	p.rep.Emit(progress.Event{Step: "upload", Item: item, Status: progress.Skipped, Message: why, Current: size, Total: size})
}
