package registryserver

import (
	"encoding/json"
	"expvar"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/distribution/distribution/v3/registry/proxy"
	"github.com/opencontainers/go-digest"

	"github.com/esbtui/esbtui/internal/safefile"
	"github.com/esbtui/esbtui/internal/wire"
)

// MirrorStatsPath is where a mirror serves its counters (JSON); the
// reader is registryclient.ReadMirrorStats.
const MirrorStatsPath = "/esbtui/mirror/stats"

// MirrorStats is the stats document (registryclient.MirrorStats reads the
// same record).
type MirrorStats = wire.MirrorStats

// mirrorHandler goes in front of distribution's proxy: it serves the stats,
// records which blobs clients read (the LRU order eviction follows), and
// turns the "unknown" a never-cached image gets during an upstream outage
// into an error naming the upstream and why.
type mirrorHandler struct {
	next     http.Handler
	settings MirrorSettings
	tr       *upstreamTransport
	cache    *mirrorCache
}

func (h *mirrorHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == MirrorStatsPath {
		h.serveStats(w, r)
		return
	}
	name, kind, ref, ok := splitMirrorPath(r.URL.Path)
	if !ok || (kind != "manifests" && kind != "blobs") || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		h.next.ServeHTTP(w, r)
		return
	}
	if kind == "blobs" {
		if d, err := digest.Parse(ref); err == nil {
			h.cache.touch(d)
		}
	}
	if kind == "manifests" {
		if d, ok := h.checkedTag(r, name, ref); ok {
			// Served by digest: the same answer, without distribution
			// re-linking the tag on disk (four fsyncs) on every request.
			r = r.Clone(r.Context())
			r.URL.Path = "/v2/" + name + "/manifests/" + d.String()
			r.URL.RawPath = ""
		}
	}
	ctx, note := withUpstreamNote(r.Context())
	h.next.ServeHTTP(&outageWriter{ResponseWriter: w, h: h, note: note, head: r.Method == http.MethodHead}, r.WithContext(ctx))
	if kind == "blobs" {
		h.cache.afterRead()
	}
}

// checkedTag returns the digest a tag request can be served by: the
// upstream answered for this tag within the tag-check window, the cache's
// tag points at the same digest, and the client accepts that manifest's
// media type (else distribution's by-tag answer may differ: the default
// platform's manifest for a client that takes no lists).
func (h *mirrorHandler) checkedTag(r *http.Request, name, tag string) (digest.Digest, bool) {
	if !tagRE.MatchString(tag) {
		return "", false
	}
	d, mediaType, ok := h.tr.tags.fresh("/v2/"+name+"/manifests/"+tag, h.tr.now())
	if !ok || mediaType == "" || !acceptsMediaType(r, mediaType) {
		return "", false
	}
	link := filepath.Join(h.cache.root, "docker", "registry", "v2", "repositories", filepath.FromSlash(name), "_manifests", "tags", tag, "current", "link")
	data, err := safefile.ReadFile(link, "a cached tag", 256)
	if err != nil || strings.TrimSpace(string(data)) != d.String() {
		return "", false
	}
	return d, true
}

var tagRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)

// acceptsMediaType: the client's Accept lists mediaType (no Accept at all
// takes only what distribution serves by default, so it does not count).
func acceptsMediaType(r *http.Request, mediaType string) bool {
	for _, v := range r.Header.Values("Accept") {
		for _, t := range strings.Split(v, ",") {
			if mt, _, _ := strings.Cut(strings.TrimSpace(t), ";"); strings.EqualFold(strings.TrimSpace(mt), mediaType) {
				return true
			}
		}
	}
	return false
}

// splitMirrorPath splits /v2/<name>/(manifests|blobs)/<ref>.
func splitMirrorPath(p string) (name, kind, ref string, ok bool) {
	rest, found := strings.CutPrefix(p, "/v2/")
	if !found {
		return "", "", "", false
	}
	for _, k := range []string{"manifests", "blobs"} {
		i := strings.LastIndex(rest, "/"+k+"/")
		if i <= 0 {
			continue
		}
		ref = rest[i+len(k)+2:]
		if ref == "" || strings.Contains(ref, "/") || !anchoredName.MatchString(rest[:i]) {
			continue
		}
		return rest[:i], k, ref, true
	}
	return "", "", "", false
}

func (h *mirrorHandler) serveStats(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "GET only", http.StatusMethodNotAllowed)
		return
	}
	if r.URL.Query().Get("probe") != "" {
		h.tr.probe(r.Context(), h.settings.RemoteURL)
	}
	st := h.stats()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(st)
}

func (h *mirrorHandler) stats() MirrorStats {
	blobs, manifests := proxyCounters()
	us := h.tr.state()
	pulled := blobs.BytesPulled + manifests.BytesPulled
	pushed := blobs.BytesPushed + manifests.BytesPushed
	fromCache := uint64(0)
	if pushed > pulled {
		fromCache = pushed - pulled
	}
	size, evicted := h.cache.usage()
	return MirrorStats{
		RemoteURL:         h.settings.RemoteURL,
		Hits:              blobs.Hits + manifests.Hits,
		Misses:            blobs.Misses + manifests.Misses,
		BytesFromCache:    fromCache,
		BytesFromUpstream: pulled,
		UpstreamRequests:  us.requests,
		CachedBytes:       size,
		MaxSize:           h.settings.MaxSize,
		Evicted:           evicted,
		TTLSeconds:        h.settings.TTLSeconds,
		LastError:         us.lastErr,
		LastErrorAt:       us.lastErrAt,
		UpstreamReachable: us.reachable,
		UpstreamCheckedAt: us.checkedAt,
	}
}

// proxyCounters reads distribution's proxy counters (process-wide; a
// mirror container serves one upstream, so they are this mirror's).
func proxyCounters() (blobs, manifests proxy.Metrics) {
	reg, _ := expvar.Get("registry").(*expvar.Map)
	if reg == nil {
		return
	}
	pm, _ := reg.Get("proxy").(*expvar.Map)
	if pm == nil {
		return
	}
	if f, ok := pm.Get("blobs").(expvar.Func); ok {
		blobs, _ = f.Value().(proxy.Metrics)
	}
	if f, ok := pm.Get("manifests").(expvar.Func); ok {
		manifests, _ = f.Value().(proxy.Metrics)
	}
	return
}

// outageWriter replaces the body of an error answer with one naming the
// upstream and why it is unreachable, when it is: distribution answers a
// tag it never cached with MANIFEST_UNKNOWN (404) whether or not the
// upstream was asked, which would tell the user the image does not exist.
type outageWriter struct {
	http.ResponseWriter
	h        *mirrorHandler
	note     *upstreamNote
	head     bool
	once     sync.Once
	replaced bool
}

func (o *outageWriter) WriteHeader(code int) {
	o.once.Do(func() {
		if code >= 400 {
			msg := o.note.get()
			if msg == "" {
				msg = o.h.tr.problem()
			}
			if msg != "" {
				o.replaced = true
				hdr := o.ResponseWriter.Header()
				hdr.Del("Content-Length")
				hdr.Set("Content-Type", "application/json")
				// The status stays distribution's (404 for a tag it does
				// not have): clients show the message of a 4xx answer
				// (Docker drops a 5xx body) and do not retry it, so the
				// pull fails at once with the reason.
				o.ResponseWriter.WriteHeader(code)
				if !o.head {
					_ = json.NewEncoder(o.ResponseWriter).Encode(map[string]any{"errors": []map[string]any{{
						"code": "UNAVAILABLE", "message": msg + " (not in the cache: only cached images pull while the upstream fails)",
					}}})
				}
				return
			}
		}
		o.ResponseWriter.WriteHeader(code)
	})
}

func (o *outageWriter) Write(b []byte) (int, error) {
	o.once.Do(func() { o.ResponseWriter.WriteHeader(http.StatusOK) })
	if o.replaced {
		return len(b), nil
	}
	return o.ResponseWriter.Write(b)
}

// ReadFrom keeps the underlying writer's fast path (sendfile) for blobs.
func (o *outageWriter) ReadFrom(r io.Reader) (int64, error) {
	o.once.Do(func() { o.ResponseWriter.WriteHeader(http.StatusOK) })
	if o.replaced {
		return io.Copy(io.Discard, r)
	}
	if rf, ok := o.ResponseWriter.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{o.ResponseWriter}, r)
}

// Flush keeps streaming blobs streaming.
func (o *outageWriter) Flush() {
	if f, ok := o.ResponseWriter.(http.Flusher); ok && !o.replaced {
		f.Flush()
	}
}
