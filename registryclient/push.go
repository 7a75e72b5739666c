package registryclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/esbtui/esbtui/internal/progress"
)

// Layer actions in a PushResult.
const (
	ActionUploaded = "uploaded" // compressed (or taken as is) and sent
	ActionExists   = "exists"   // the registry already had the blob
	ActionMounted  = "mounted"  // mounted from another repository of the registry
)

// PushedLayer is one layer of a push.
type PushedLayer struct {
	DiffID       string `json:"diff_id"`
	Digest       string `json:"digest"`
	Size         int64  `json:"size"`
	Uncompressed int64  `json:"uncompressed"`
	Action       string `json:"action"`
	Compressed   bool   `json:"compressed"` // compressed during this push
	CacheHit     bool   `json:"cache_hit"`
}

// PushResult is what PushTarball did, with the counters tests and
// benchmarks assert on.
type PushResult struct {
	Ref              string        `json:"ref"`
	Digest           string        `json:"digest"`
	Config           string        `json:"config_digest"`
	Layers           []PushedLayer `json:"layers"`
	Export           string        `json:"export,omitempty"` // how the image was read: "save" (docker save stream), "layer-store", or "none" (nothing needed)
	ExportBytes      int64         `json:"export_bytes"`
	LayersCompressed int           `json:"layers_compressed"`
	BytesCompressed  int64         `json:"bytes_compressed"` // uncompressed input fed to gzip
	BytesSent        int64         `json:"bytes_sent"`       // blob bytes read by the uploads
	CacheHits        int           `json:"cache_hits"`
	Elapsed          time.Duration `json:"elapsed_ns"`
}

// PushTarball pushes the image in a docker-save tar stream (`docker save`,
// the engine's ImageSave) to dst. Layers are spooled as they arrive, each
// compressed once (pgzip, fast level, parallel) unless the layer cache and
// the registry show it is already there, and uploaded concurrently over
// HTTP/1.1. The manifest is put only after every blob is in, so a failed
// push never leaves a partial image tagged. Progress: per layer "compress"
// and "upload" steps (start, monotonic updates, done at 100% or skipped),
// then "image" done at 100%.
func (c *Client) PushTarball(ctx context.Context, tarball io.Reader, dst, defaultRegistry string, sink progress.Sink) (*PushResult, error) {
	return c.push(ctx, dst, defaultRegistry, sink, func(p *pushRun) (*PushResult, error) { return p.run(tarball) })
}

// LocalImage is an engine image whose layers can be read one by one,
// uncompressed, in any order, from where the engine keeps them (see
// engine.Engine.LocalImage): no export at all, and a layer the registry
// already has is never even read.
type LocalImage struct {
	// Config is the image config JSON; its sha256 is the image ID.
	Config []byte
	// Layers are base first, as in the config's rootfs.
	Layers []LocalLayer
	// Source says where the layers are read from (for progress messages).
	Source string
}

// LocalLayer is one layer of a LocalImage.
type LocalLayer struct {
	DiffID string // "sha256:<hex>"
	Size   int64  // exact uncompressed size
	Open   func() (io.ReadCloser, error)
}

// PushLocal pushes img to dst like PushTarball, reading layers straight
// from the engine's store. Each layer's stream is checked against its
// diffID before anything of it is uploaded: on a mismatch the push fails
// with a *DiffIDMismatchError and nothing is tagged, so the caller can fall
// back to an export.
func (c *Client) PushLocal(ctx context.Context, img *LocalImage, dst, defaultRegistry string, sink progress.Sink) (*PushResult, error) {
	return c.push(ctx, dst, defaultRegistry, sink, func(p *pushRun) (*PushResult, error) { return p.runLocal(img) })
}

func (c *Client) push(ctx context.Context, dst, defaultRegistry string, sink progress.Sink, run func(*pushRun) (*PushResult, error)) (*PushResult, error) {
	start := time.Now()
	ref, err := ParseReference(dst, defaultRegistry)
	if err != nil {
		return nil, err
	}
	repo := ref.Context()
	if _, err := c.probe(ctx, repo.Registry); err != nil {
		return nil, err
	}
	rep := progress.Reporter{Op: "push", Sink: sink}
	hc, err := c.authClient(ctx, repo.Registry, []string{repo.Scope("push")})
	if err != nil {
		return nil, err
	}
	pusher, err := remote.NewPusher(c.remoteOptions(ctx)...)
	if err != nil {
		return nil, fmt.Errorf("registryclient: push %s: %w", ref.Name(), err)
	}
	tmp, err := os.MkdirTemp(c.tempDir(), "push-*")
	if err != nil {
		return nil, fmt.Errorf("registryclient: push %s: temp dir: %w", ref.Name(), err)
	}
	defer os.RemoveAll(tmp)

	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g, gctx := errgroup.WithContext(lctx)
	p := &pushRun{
		c: c, ref: ref, repo: repo, rep: rep, hc: hc, pusher: pusher, tmp: tmp,
		jobs: map[string]*layerJob{}, g: g, ctx: gctx, parent: ctx, cancel: cancel,
		compressSem: make(chan struct{}, 2), uploadSem: make(chan struct{}, c.opts.Jobs),
	}
	res, err := run(p)
	if err != nil {
		if transient(err) && ctx.Err() == nil {
			err = fmt.Errorf("%w; the registry %s went away during the push: nothing was tagged (the manifest goes last), check it with `esbtui status` or restart it with `esbtui up`, then push again", err, repo.RegistryStr())
		}
		rep.Emit(progress.Event{Step: "image", Item: ref.Name(), Status: progress.Failed, Err: err.Error()})
		if serr := c.cache.save(); serr != nil {
			err = errors.Join(err, serr)
		}
		return nil, err
	}
	if err := c.cache.save(); err != nil {
		return nil, err
	}
	res.Elapsed = time.Since(start)
	c.stats.add(res)
	return res, nil
}

type pushRun struct {
	c      *Client
	ref    name.Reference
	repo   name.Repository
	rep    progress.Reporter
	hc     *http.Client
	pusher *remote.Pusher
	tmp    string

	mu   sync.Mutex
	jobs map[string]*layerJob // by resolved entry name
	g    *errgroup.Group
	ctx  context.Context // layer jobs: cancelled on the first failure
	// parent is the caller's context, for the config and manifest that
	// follow the jobs (errgroup cancels ctx when Wait returns).
	parent context.Context
	cancel context.CancelFunc

	compressSem, uploadSem chan struct{}
	compressed             atomic.Int64
	bytesCompressed        atomic.Int64
	bytesSent              atomic.Int64
	cacheHits              atomic.Int64
}

type layerJob struct {
	entry  *saveEntry  // a layer of a docker-save stream, or
	local  *LocalLayer // a layer read from the engine's store
	diffID v1.Hash     // known for uncompressed entries; set from the config for gzip ones
	done   chan struct{}
	res    PushedLayer
	err    error
}

func (p *pushRun) run(tarball io.Reader) (*PushResult, error) {
	sr := &saveReader{dir: p.tmp}
	p.rep.Emit(progress.Event{Step: "export", Item: p.ref.Name(), Status: progress.Start})
	var lastExport int64
	readErr := sr.read(p.ctx, tarball, func(e *saveEntry) {
		if e.kind == kindTar {
			p.start(e, e.hash)
		}
	}, func(n int64) {
		if n-lastExport >= 16<<20 {
			lastExport = n
			p.rep.Emit(progress.Event{Step: "export", Item: p.ref.Name(), Status: progress.Update, Current: n})
		}
	})
	if readErr != nil {
		layerFailed := p.ctx.Err() != nil && p.parent.Err() == nil
		p.cancel()
		err := p.g.Wait()
		if layerFailed && err != nil {
			readErr = err // a layer failure cancelled the read: report the cause
		}
		p.rep.Emit(progress.Event{Step: "export", Item: p.ref.Name(), Status: progress.Failed, Err: readErr.Error()})
		return nil, fmt.Errorf("registryclient: push %s: %w", p.ref.Name(), readErr)
	}
	p.rep.Emit(progress.Event{Step: "export", Item: p.ref.Name(), Status: progress.Done, Current: sr.bytes, Total: sr.bytes})

	m, cfgEntry, cf, err := sr.manifest()
	if err != nil {
		p.g.Wait()
		return nil, fmt.Errorf("registryclient: push %s: %w", p.ref.Name(), err)
	}
	jobs := make([]*layerJob, len(m.Layers))
	for i, lp := range m.Layers {
		e, err := sr.entry(lp)
		if err != nil {
			p.g.Wait()
			return nil, fmt.Errorf("registryclient: push %s: layer %d: %w", p.ref.Name(), i, err)
		}
		want := cf.RootFS.DiffIDs[i]
		if e.kind != kindGzip && e.hash != want {
			p.g.Wait()
			return nil, fmt.Errorf("registryclient: push %s: layer %s has sha256 %s but the config says %s: the tarball is corrupt", p.ref.Name(), lp, e.hash, want)
		}
		jobs[i] = p.start(e, want)
	}
	return p.finish(jobs, cfgEntry.data, cfgEntry.hash, sr.bytes, "save")
}

// runLocal pushes the layers of an image read from the engine's store: all
// known up front, so the cache and the registry are asked before a single
// layer is read.
func (p *pushRun) runLocal(img *LocalImage) (*PushResult, error) {
	p.rep.Emit(progress.Event{Step: "export", Item: p.ref.Name(), Status: progress.Skipped, Message: "layers read from " + img.Source})
	cfgDigest, _, err := v1.SHA256(bytes.NewReader(img.Config))
	if err != nil {
		return nil, err
	}
	jobs := make([]*layerJob, len(img.Layers))
	for i := range img.Layers {
		l := &img.Layers[i]
		diffID, err := v1.NewHash(l.DiffID)
		if err != nil {
			p.cancel()
			p.g.Wait()
			return nil, fmt.Errorf("registryclient: push %s: layer %d: diffID %q: %w", p.ref.Name(), i, l.DiffID, err)
		}
		jobs[i] = p.schedule(l.DiffID, &layerJob{local: l, diffID: diffID})
	}
	return p.finish(jobs, img.Config, cfgDigest, 0, "layer-store")
}

// finish waits for the layer jobs, then puts the config blob and the
// manifest: the tag appears only now.
func (p *pushRun) finish(jobs []*layerJob, cfg []byte, cfgDigest v1.Hash, exportBytes int64, export string) (*PushResult, error) {
	if err := p.g.Wait(); err != nil {
		return nil, fmt.Errorf("registryclient: push %s: %w", p.ref.Name(), err)
	}
	cfgSize := int64(len(cfg))
	man := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.DockerManifestSchema2,
		Config: v1.Descriptor{
			MediaType: types.DockerConfigJSON, Size: cfgSize, Digest: cfgDigest,
		},
	}
	res := &PushResult{Ref: p.ref.Name(), Config: cfgDigest.String(), ExportBytes: exportBytes, Export: export}
	var total int64
	for _, j := range jobs {
		dig, err := v1.NewHash(j.res.Digest)
		if err != nil {
			return nil, fmt.Errorf("registryclient: push %s: layer %s: blob digest %q: %w", p.ref.Name(), j.res.DiffID, j.res.Digest, err)
		}
		man.Layers = append(man.Layers, v1.Descriptor{MediaType: types.DockerLayer, Size: j.res.Size, Digest: dig})
		res.Layers = append(res.Layers, j.res)
		total += j.res.Size
	}
	uploaded, err := p.putBlob(p.parent, cfgDigest, cfgSize, func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(cfg)), nil
	})
	if err != nil {
		return nil, fmt.Errorf("registryclient: push %s: upload config %s: %w", p.ref.Name(), cfgDigest, err)
	}
	if uploaded {
		p.bytesSent.Add(cfgSize)
	}
	body, err := json.Marshal(man)
	if err != nil {
		return nil, fmt.Errorf("registryclient: push %s: encode manifest: %w", p.ref.Name(), err)
	}
	if err := p.pusher.Push(p.parent, p.ref, rawManifest{body: body, mediaType: types.DockerManifestSchema2}); err != nil {
		err = headDetail(p.parent, func() (*http.Client, error) { return p.hc, nil }, err)
		return nil, fmt.Errorf("registryclient: push %s: put manifest: %w", p.ref.Name(), err)
	}
	p.c.cache.putManifest(man)
	dig, _, err := v1.SHA256(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	res.Digest = dig.String()
	res.LayersCompressed = int(p.compressed.Load())
	res.BytesCompressed = p.bytesCompressed.Load()
	res.BytesSent = p.bytesSent.Load()
	res.CacheHits = int(p.cacheHits.Load())
	p.rep.Emit(progress.Event{Step: "image", Item: p.ref.Name(), Status: progress.Done, Current: total, Total: total, Message: res.Digest})
	return res, nil
}

// start schedules the push of one layer entry once (an entry referenced
// twice, or first seen while streaming, is not pushed twice).
func (p *pushRun) start(e *saveEntry, diffID v1.Hash) *layerJob {
	return p.schedule(e.name, &layerJob{entry: e, diffID: diffID})
}

// schedule runs j's push unless a job with key was scheduled before; it
// returns the job that runs.
func (p *pushRun) schedule(key string, j *layerJob) *layerJob {
	p.mu.Lock()
	defer p.mu.Unlock()
	if prev, ok := p.jobs[key]; ok {
		return prev
	}
	j.done = make(chan struct{})
	p.jobs[key] = j
	p.g.Go(func() error {
		defer close(j.done)
		j.res, j.err = p.layer(p.ctx, j)
		return j.err
	})
	return j
}
