package registryclient

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	kgzip "github.com/klauspost/compress/gzip"
	"github.com/klauspost/pgzip"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/esbtui/esbtui/internal/progress"
)

// streamAttempts is how often a streamed layer is tried: a layer read from
// the engine's store can be read again, so a dropped connection costs a
// re-read, not the push.
const streamAttempts = 3

var errUploadEnded = errors.New("the upload ended before the layer did")

// streamLocal compresses a layer read from the engine's store straight into
// a blob upload (POST, one streamed PATCH, PUT with the digest computed on
// the way): nothing is written to disk and compression overlaps the upload.
// The uncompressed stream is checked against the diffID before the PUT, so
// a layer that is not what the config says is never committed.
func (p *pushRun) streamLocal(ctx context.Context, j *layerJob, out PushedLayer, item string) (PushedLayer, error) {
	select {
	case p.compressSem <- struct{}{}:
	case <-ctx.Done():
		return out, ctx.Err()
	}
	defer func() { <-p.compressSem }()
	cprog := newByteProgress(p.rep, "compress", item, out.Uncompressed)
	cprog.begin()
	var (
		dig  v1.Hash
		size int64
		err  error
	)
	for attempt := 1; attempt <= streamAttempts; attempt++ {
		cprog.restart()
		dig, size, err = p.streamOnce(ctx, j, cprog)
		if err == nil || ctx.Err() != nil || errors.Is(err, ErrLocalLayer) || !transient(err) {
			break
		}
	}
	if err != nil {
		cprog.finish(progress.Failed, err.Error())
		return out, fmt.Errorf("layer %s: %w", item, err)
	}
	cprog.finish(progress.Done, progress.Bytes(out.Uncompressed)+" → "+progress.Bytes(size))
	p.compressed.Add(1)
	p.bytesCompressed.Add(out.Uncompressed)
	// The upload ran alongside; report it done in one go.
	uprog := newByteProgress(p.rep, "upload", item, size)
	uprog.begin()
	uprog.finish(progress.Done, dig.String())
	out.Compressed = true
	out.Action = ActionUploaded
	out.Digest, out.Size = dig.String(), size
	p.c.cache.put(out.DiffID, out.Digest, string(types.DockerLayer), out.Size, p.repo.RegistryStr(), p.repo.RepositoryStr())
	return out, nil
}

// streamOnce is one attempt: read, compress, upload, verify, commit.
func (p *pushRun) streamOnce(ctx context.Context, j *layerJob, prog *byteProgress) (v1.Hash, int64, error) {
	src, err := j.local.Open()
	if err != nil {
		return v1.Hash{}, 0, fmt.Errorf("%w: %w", ErrLocalLayer, err)
	}
	defer src.Close()
	loc, err := p.startUpload(ctx)
	if err != nil {
		return v1.Hash{}, 0, err
	}
	committed := false
	defer func() {
		if !committed {
			p.cancelUpload(loc)
		}
	}()

	pr, pw := io.Pipe()
	digest := sha256.New()
	counter := &countWriter{w: io.MultiWriter(pw, digest)}
	var diffID hash.Hash = sha256.New()
	compressErr := make(chan error, 1)
	go func() {
		err := compressTo(counter, io.TeeReader(&countingReadCloser{r: ctxReader{ctx, sourceReader{src}}, prog: prog}, diffID), j.local.Size)
		if err == nil {
			if got := hashOf(diffID); got != j.diffID {
				err = &DiffIDMismatchError{Want: j.diffID, Got: got}
			}
		}
		pw.CloseWithError(err) // nil: EOF, the PATCH body ends
		compressErr <- err
	}()
	var sent atomic.Int64 // counted once the blob is in
	body := &countingReadCloser{r: pr, c: pr, sent: &sent}
	next, err := p.patchUpload(ctx, loc, body)
	pr.CloseWithError(errUploadEnded)
	cerr := <-compressErr
	switch {
	case errors.Is(cerr, ErrLocalLayer):
		return v1.Hash{}, 0, cerr // the layer's own failure explains the PATCH's
	case err != nil:
		return v1.Hash{}, 0, err
	case cerr != nil:
		return v1.Hash{}, 0, cerr
	}
	dig := hashOf(digest)
	if err := p.commitUpload(ctx, next, dig); err != nil {
		return v1.Hash{}, 0, err
	}
	committed = true
	p.bytesSent.Add(sent.Load())
	return dig, counter.n, nil
}

// putBlob uploads a blob whose digest is known: after a HEAD shows the
// repository lacks it, two requests (POST opens a session, PUT sends the
// body with the digest) where go-containerregistry's Upload sends three
// (POST, PATCH, PUT) — for many small images that is a fifth fewer
// requests on the registry. open is called once per attempt; a dropped
// connection is retried. uploaded is false when the blob was already there.
func (p *pushRun) putBlob(ctx context.Context, dig v1.Hash, size int64, open func() (io.ReadCloser, error)) (uploaded bool, err error) {
	exists, err := p.blobExists(ctx, dig)
	if err != nil {
		return false, err
	}
	if exists {
		return false, nil
	}
	for attempt := 1; ; attempt++ {
		err = p.putOnce(ctx, dig, size, open)
		if err == nil || attempt == streamAttempts || ctx.Err() != nil || !transient(err) {
			return err == nil, err
		}
		select {
		case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
}

func (p *pushRun) putOnce(ctx context.Context, dig v1.Hash, size int64, open func() (io.ReadCloser, error)) error {
	loc, err := p.startUpload(ctx)
	if err != nil {
		return err
	}
	body, err := open()
	if err != nil {
		p.cancelUpload(loc)
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, withDigest(loc, dig), body)
	if err != nil {
		body.Close()
		return err
	}
	req.ContentLength = size
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := p.hc.Do(req)
	if err != nil {
		p.cancelUpload(loc)
		return fmt.Errorf("upload %s to %s: %w", dig, p.repo, err)
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusCreated {
		p.cancelUpload(loc)
		return fmt.Errorf("upload %s to %s: %s%s", dig, p.repo, resp.Status, registryErrorText(resp))
	}
	return nil
}

// compressTo gzips r (size bytes) into w at the fastest level: pgzip in
// parallel 1 MiB blocks, or for a layer under 1 MiB plain single-stream
// gzip with buffers sized to it (pgzip's blocks and a 1 MiB copy buffer,
// allocated and zeroed for a 32 KiB layer, were a third of a small push's
// CPU). The choice depends on size alone, so a layer read from the
// engine's store and the same layer from a docker save give the same blob.
func compressTo(w io.Writer, r io.Reader, size int64) error {
	var zw io.WriteCloser
	bufSize := 1 << 20
	if size < 1<<20 {
		z, err := kgzip.NewWriterLevel(w, kgzip.BestSpeed)
		if err != nil {
			return err
		}
		zw, bufSize = z, int(max(size, 32<<10))
	} else {
		z, err := pgzip.NewWriterLevel(w, gzip.BestSpeed)
		if err != nil {
			return err
		}
		if err := z.SetConcurrency(1<<20, max(2, runtime.GOMAXPROCS(0))); err != nil {
			return err
		}
		zw = z
	}
	buf := make([]byte, bufSize)
	if _, err := io.CopyBuffer(zw, r, buf); err != nil {
		zw.Close()
		return fmt.Errorf("compress: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("compress: %w", err)
	}
	return nil
}

func (p *pushRun) blobsURL() string {
	return "https://" + p.repo.RegistryStr() + "/v2/" + p.repo.RepositoryStr() + "/blobs/uploads/"
}

// startUpload opens an upload session and returns its location.
func (p *pushRun) startUpload(ctx context.Context) (*url.URL, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.blobsURL(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("start upload to %s: %w", p.repo, err)
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusAccepted {
		return nil, fmt.Errorf("start upload to %s: %s%s", p.repo, resp.Status, registryErrorText(resp))
	}
	return location(req.URL, resp)
}

// patchUpload streams body into the session as one chunk.
func (p *pushRun) patchUpload(ctx context.Context, loc *url.URL, body io.ReadCloser) (*url.URL, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPatch, loc.String(), body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.ContentLength = -1
	resp, err := p.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("upload to %s: %w", p.repo, err)
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusNoContent {
		return nil, fmt.Errorf("upload to %s: %s%s", p.repo, resp.Status, registryErrorText(resp))
	}
	return location(req.URL, resp)
}

// commitUpload ends the session: the registry checks the digest and links
// the blob into the repository.
func (p *pushRun) commitUpload(ctx context.Context, loc *url.URL, dig v1.Hash) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, withDigest(loc, dig), nil)
	if err != nil {
		return err
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		return fmt.Errorf("commit blob %s to %s: %w", dig, p.repo, err)
	}
	defer drain(resp)
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("commit blob %s to %s: %s%s", dig, p.repo, resp.Status, registryErrorText(resp))
	}
	return nil
}

// cancelUpload drops an unfinished session (best effort: registries also
// purge stale uploads by themselves).
func (p *pushRun) cancelUpload(loc *url.URL) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(p.parent), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, loc.String(), nil)
	if err != nil {
		return
	}
	if resp, err := p.hc.Do(req); err == nil {
		drain(resp)
	}
}

// withDigest is an upload location with ?digest= added (the PUT that
// commits the blob).
func withDigest(loc *url.URL, dig v1.Hash) string {
	u := *loc
	q := u.Query()
	q.Set("digest", dig.String())
	u.RawQuery = q.Encode()
	return u.String()
}

// location resolves a response's Location header against the request URL.
func location(base *url.URL, resp *http.Response) (*url.URL, error) {
	l := resp.Header.Get("Location")
	if l == "" {
		return nil, fmt.Errorf("%s %s: the registry sent no Location", resp.Request.Method, base.Redacted())
	}
	u, err := base.Parse(l)
	if err != nil {
		return nil, fmt.Errorf("%s %s: bad Location %q: %w", resp.Request.Method, base.Redacted(), l, err)
	}
	return u, nil
}

// drain reads what is left of a response body (so the connection can be
// reused) and closes it.
func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// registryErrorText is ": <first error message>" from a registry's error
// body, or "".
func registryErrorText(resp *http.Response) string {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	s := strings.TrimSpace(string(b))
	if s == "" {
		return ""
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return ": " + s
}
