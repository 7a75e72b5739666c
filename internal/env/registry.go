package env

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/esbtui/esbtui/internal/config"
	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/pki"
	"github.com/esbtui/esbtui/registryclient"
	"github.com/esbtui/esbtui/stack"
)

// RegistryStatus is the registry section of a Snapshot.
type RegistryStatus struct {
	Address    string `json:"address"`
	Reachable  bool   `json:"reachable"`
	APIVersion string `json:"api_version,omitempty"`
	Auth       string `json:"auth,omitempty"`
	LatencyMS  int64  `json:"latency_ms,omitempty"`
	// Repositories is the catalog size; -1 when it could not be listed.
	Repositories int `json:"repositories"`
	// StorageBytes is the size of the registry's data where esbtui can see
	// it (the in-process registry's directory); -1 when unknown.
	StorageBytes  int64  `json:"storage_bytes"`
	StorageSource string `json:"storage_source,omitempty"`
	// Metrics are the registry's rates since it started (request rate,
	// 5xx error rate, p95 latency, bytes in/out), from its loopback
	// /metrics; nil when that does not answer (esbtui serve has none).
	Metrics *registryclient.Metrics `json:"metrics,omitempty"`
	// Stage, Error and Fix say why it is unreachable: "tcp" (nothing
	// listens: the stack is down), "tls" or "http" (something is wrong).
	Stage string `json:"stage,omitempty"`
	Error string `json:"error,omitempty"`
	Fix   string `json:"fix,omitempty"`
}

// ok: a registry that does not listen is a state (the stack is down, as
// stackStatus reports); one that answers with the wrong certificate or is
// not a registry is a failure.
func (s *RegistryStatus) ok() bool {
	return s == nil || s.Reachable || s.Stage == string(registryclient.StageTCP) || s.Stage == string(registryclient.StageDNS)
}

func (e *Env) registryStatus(ctx context.Context) *RegistryStatus {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st := &RegistryStatus{Address: e.Cfg.Registry, Repositories: -1, StorageBytes: -1}
	c, err := e.Registry()
	if err != nil {
		st.Error = err.Error()
		return st
	}
	p, err := c.Probe(ctx, e.Cfg.Registry)
	if err != nil {
		var ue *registryclient.UnreachableError
		if errors.As(err, &ue) {
			st.Stage, st.Error, st.Fix = string(ue.Stage), ue.Reason, ue.Fix
		} else {
			st.Error = err.Error()
		}
		return st
	}
	st.Reachable, st.APIVersion, st.Auth, st.LatencyMS = true, p.APIVersion, p.Auth, p.Latency.Milliseconds()
	if cat, err := c.Catalog(ctx, e.Cfg.Registry); err == nil {
		st.Repositories = len(cat.Repositories)
	} else {
		st.Error = "catalog: " + err.Error()
	}
	if ms, err := e.ScrapeMetrics(ctx); err == nil {
		m := registryclient.ComputeMetrics(nil, ms)
		st.Metrics = &m
	}
	if dir := e.Cfg.RegistryDataDir(); isDir(dir) {
		if n, err := dirSize(ctx, dir); err == nil {
			st.StorageBytes, st.StorageSource = n, dir
		}
	}
	return st
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func dirSize(ctx context.Context, dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n, err
}

// registryCache is an Env's registry client, kept for the Env's lifetime
// (Close releases it) and made again when rootCA.crt changes (a CA created
// or restored while the dashboard runs).
type registryCache struct {
	mu      sync.Mutex
	client  *registryclient.Client
	caStamp string
}

// close releases the client's idle connections.
func (r *registryCache) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.client != nil {
		r.client.Close()
		r.client = nil
	}
}

// Registry returns the registry client of this Env: TLS trusting
// $ESB_CERT_DIR/rootCA.crt plus the system pool, Docker keychain
// credentials, the layer cache in $ESB_HOME/cache.
func (e *Env) Registry() (*registryclient.Client, error) {
	r := &e.registry
	r.mu.Lock()
	defer r.mu.Unlock()
	// The client trusts the CA file as it was when the client was made: a
	// CA created or restored since (init in a running dashboard) needs a new
	// client.
	stamp := ""
	if st, err := os.Stat(e.Certs.Path(pki.CACertFile)); err == nil {
		stamp = st.ModTime().String() + "/" + strconv.FormatInt(st.Size(), 10)
	}
	if r.client != nil {
		if r.caStamp == stamp {
			return r.client, nil
		}
		r.client.Close()
		r.client = nil
	}
	c, err := registryclient.New(registryclient.Options{
		CACertFile: e.Certs.Path(pki.CACertFile),
		CacheDir:   e.CacheDir(),
		UserAgent:  "esbtui",
	})
	if err != nil {
		return nil, err
	}
	r.client, r.caStamp = c, stamp
	return c, nil
}

// CacheDir holds the push layer cache (layers.json) and push temp files.
func (e *Env) CacheDir() string { return filepath.Join(e.Cfg.Home, "cache") }

// ImageRef is the image of a function: <registry>/<name>:latest when a
// registry is configured, the bare name otherwise.
func (e *Env) ImageRef(fn string) string { return registryclient.ImageRef(e.Cfg.Registry, fn) }

// Catalog lists the registry's repositories.
func (e *Env) Catalog(ctx context.Context) (*registryclient.CatalogResult, error) {
	c, err := e.Registry()
	if err != nil {
		return nil, err
	}
	return c.Catalog(ctx, e.Cfg.Registry)
}

// Tags lists the tags of repo (in the configured registry unless it names one).
func (e *Env) Tags(ctx context.Context, repo string) (*registryclient.TagsResult, error) {
	c, err := e.Registry()
	if err != nil {
		return nil, err
	}
	return c.Tags(ctx, repo, e.Cfg.Registry)
}

// Inspect describes ref's manifest or index and its images.
func (e *Env) Inspect(ctx context.Context, ref string) (*registryclient.Inspection, error) {
	c, err := e.Registry()
	if err != nil {
		return nil, err
	}
	return c.Inspect(ctx, ref, e.Cfg.Registry)
}

// Delete removes a tag or a manifest (by digest) and records it.
func (e *Env) Delete(ctx context.Context, ref string) (*registryclient.Deleted, error) {
	c, err := e.Registry()
	if err != nil {
		return nil, err
	}
	d, err := c.Delete(ctx, ref, e.Cfg.Registry)
	if err != nil {
		return nil, err
	}
	e.record("registry.delete", map[string]any{"ref": d.Ref, "digest": d.Digest, "by_digest": d.ByDigest})
	return d, nil
}

// Prune keeps the keep newest tags of each repository (all of them, or
// repos) and deletes the rest; dryRun only plans.
func (e *Env) Prune(ctx context.Context, keep int, dryRun bool, repos []string, sink progress.Sink) (*registryclient.PruneResult, error) {
	c, err := e.Registry()
	if err != nil {
		return nil, err
	}
	res, err := c.Prune(ctx, registryclient.PruneOptions{Registry: e.Cfg.Registry, Repos: repos, Keep: keep, DryRun: dryRun}, sink)
	if res != nil && !dryRun {
		var deleted []string
		for _, r := range res.Repos {
			for _, d := range r.Deleted {
				deleted = append(deleted, d.Ref)
			}
		}
		if len(deleted) > 0 {
			e.record("registry.prune", map[string]any{"keep": keep, "deleted": deleted})
		}
	}
	return res, err
}

// Copy mirrors src into dst (references without a registry are in the
// configured one).
func (e *Env) Copy(ctx context.Context, src, dst string, sink progress.Sink) (*registryclient.Copied, error) {
	c, err := e.Registry()
	if err != nil {
		return nil, err
	}
	cp, err := c.Copy(ctx, src, dst, e.Cfg.Registry, sink)
	if err != nil {
		return nil, err
	}
	e.record("registry.copy", map[string]any{"src": cp.Source, "dst": cp.Destination, "digest": cp.Digest})
	return cp, nil
}

// PushTarball pushes a docker-save tarball stream to dst.
func (e *Env) PushTarball(ctx context.Context, tarball io.Reader, dst string, sink progress.Sink) (*registryclient.PushResult, error) {
	c, err := e.Registry()
	if err != nil {
		return nil, err
	}
	res, err := c.PushTarball(ctx, tarball, dst, e.Cfg.Registry, sink)
	if err != nil {
		return nil, err
	}
	e.recordPush(res)
	return res, nil
}

// PushDestination is where `esbtui push IMAGE` sends an engine image: IMAGE
// itself when it names a registry, else the configured registry with the
// same repository and tag ("app" → localhost:5000/app:latest).
func (e *Env) PushDestination(image string) (string, error) {
	r, err := registryclient.ParseReference(image, "")
	if err != nil {
		return "", err
	}
	first, _, found := strings.Cut(image, "/")
	if found && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return r.Name(), nil
	}
	repo := strings.TrimPrefix(r.Context().RepositoryStr(), "library/")
	return e.Cfg.Registry + "/" + repo + refSuffix(r.Name()), nil
}

func refSuffix(full string) string {
	if i := strings.LastIndex(full, "@"); i >= 0 {
		return full[i:]
	}
	if i := strings.LastIndex(full, ":"); i > strings.LastIndex(full, "/") {
		return full[i:]
	}
	return ":latest"
}

// Push exports image from the engine once (docker save) and pushes it to
// dst (empty: PushDestination) with live per-layer progress.
func (e *Env) Push(ctx context.Context, image, dst string, sink progress.Sink) (*registryclient.PushResult, error) {
	if dst == "" {
		d, err := e.PushDestination(image)
		if err != nil {
			return nil, err
		}
		dst = d
	}
	c, err := e.Registry()
	if err != nil {
		return nil, err
	}
	dr, err := registryclient.ParseReference(dst, e.Cfg.Registry)
	if err != nil {
		return nil, err
	}
	eng, err := e.Engine(ctx)
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	// An unchanged image (same ID = config digest) needs no export at all.
	ii, err := eng.Client().ImageInspect(ctx, image)
	if cerrdefs.IsNotFound(err) {
		return nil, fmt.Errorf("push %s: the engine has no image %q: build it first (`esbtui build`, `docker build -t %s .`) or check the name with `docker images`", image, image, image)
	}
	known := err == nil && ii.ID != ""
	if known {
		res, ok, err := c.PushKnown(ctx, ii.ID, dst, e.Cfg.Registry, sink)
		if err != nil {
			return nil, err
		}
		if ok {
			e.recordPush(res)
			return res, nil
		}
	}
	// Check the registry before reading hundreds of MiB from the engine.
	if _, err := c.Probe(ctx, dr.Context().RegistryStr()); err != nil {
		return nil, err
	}
	if known && e.Cfg.PushExport != config.PushExportSave {
		res, err := e.pushLocal(ctx, eng, c, ii.ID, dst, sink)
		switch {
		case err == nil:
			return res, nil
		case errors.Is(err, stack.ErrNoLayerStore), errors.Is(err, registryclient.ErrLocalLayer):
			if e.Cfg.PushExport == config.PushExportLayerStore {
				return nil, fmt.Errorf("push %s: %w (%s=layer-store)", image, err, PushExportEnv)
			}
			e.Log.Debug("push: exporting through the engine API instead of its layer store", "image", image, "why", err)
		default:
			return nil, fmt.Errorf("push %s: %w", image, err)
		}
	}
	rc, err := eng.SaveImage(ctx, image)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	res, err := e.PushTarball(ctx, rc, dst, sink)
	if err != nil {
		return nil, fmt.Errorf("push %s: %w", image, err)
	}
	return res, nil
}

// PushExportEnv is config.EnvPushExport, named in messages.
const PushExportEnv = config.EnvPushExport

// recordPush writes a push to the audit log.
func (e *Env) recordPush(res *registryclient.PushResult) {
	e.record("registry.push", map[string]any{"ref": res.Ref, "digest": res.Digest,
		"layers_compressed": res.LayersCompressed, "bytes_sent": res.BytesSent, "export": res.Export})
}

// pushLocal pushes image id with its layers read from the engine's store.
func (e *Env) pushLocal(ctx context.Context, eng *stack.Engine, c *registryclient.Client, id, dst string, sink progress.Sink) (*registryclient.PushResult, error) {
	li, err := eng.LocalImage(ctx, id)
	if err != nil {
		return nil, err
	}
	img := &registryclient.LocalImage{Config: li.Config, Source: "the engine's layer store (" + li.Root + ")"}
	for _, l := range li.Layers {
		img.Layers = append(img.Layers, registryclient.LocalLayer{DiffID: l.DiffID, Size: l.Size, Open: l.Open})
	}
	res, err := c.PushLocal(ctx, img, dst, e.Cfg.Registry, sink)
	if err != nil {
		return nil, err
	}
	e.recordPush(res)
	return res, nil
}

// Pull fetches ref from the registry and loads it into the engine (the
// image keeps the reference as its tag). Layers go to the engine compressed,
// as the registry holds them.
func (e *Env) Pull(ctx context.Context, ref string, sink progress.Sink) (*registryclient.Pulled, error) {
	c, err := e.Registry()
	if err != nil {
		return nil, err
	}
	r, err := registryclient.ParseReference(ref, e.Cfg.Registry)
	if err != nil {
		return nil, err
	}
	if _, err := c.Probe(ctx, r.Context().RegistryStr()); err != nil {
		return nil, err
	}
	eng, err := e.Engine(ctx)
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	pr, pw := io.Pipe()
	type result struct {
		p   *registryclient.Pulled
		err error
	}
	done := make(chan result, 1)
	go func() {
		p, err := c.Pull(ctx, r.Name(), "", pw, sink)
		pw.CloseWithError(err)
		done <- result{p, err}
	}()
	loadErr := eng.LoadImage(ctx, pr, sink)
	pr.CloseWithError(loadErr) // unblock the writer if the engine stopped reading
	res := <-done
	if res.err != nil {
		return nil, res.err
	}
	if loadErr != nil {
		return nil, fmt.Errorf("pull %s: %w", r.Name(), loadErr)
	}
	e.record("registry.pull", map[string]any{"ref": res.p.Ref, "digest": res.p.Digest})
	return res.p, nil
}
