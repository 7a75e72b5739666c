package registryserver

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// writeGate sits in front of the registry in esbtui's image and lets the
// online garbage collection sweep while the registry keeps serving: reads
// (GET, HEAD) always pass; writes (blob upload POST/PATCH/PUT, manifest
// PUT, DELETE) are held while a sweep runs and go on when it ends. A write
// held longer than maxHold is answered 503 with Retry-After (docker, crane
// and ggcr retry it).
//
// It also remembers the blobs a push wrote (or found already there)
// recently per repository whose manifest has not been pushed yet (a push
// uploads its layers, then the manifest): the sweep must not delete them
// although no manifest references them yet.
type writeGate struct {
	maxHold time.Duration

	mu sync.Mutex
	// sweeping is closed when the current sweep ends; nil: no sweep.
	sweeping chan struct{}
	// inflight counts writes being served; idle is signalled when it
	// drops to zero.
	inflight int
	idle     *sync.Cond
	// readsServed and writesHeld count requests of the current sweep.
	readsServed, writesHeld int64
	// waiting counts the writes held now, by repository.
	waiting map[string]int
	// pending: repository → blob digest → when its upload (or mount)
	// completed, until a manifest is pushed to that repository.
	pending map[string]map[string]time.Time
}

// pendingTTL is how long a blob with no manifest yet stays protected from
// the sweep (an abandoned push's blobs are collected after it).
const pendingTTL = time.Hour

func newWriteGate(maxHold time.Duration) *writeGate {
	g := &writeGate{maxHold: maxHold, pending: map[string]map[string]time.Time{}, waiting: map[string]int{}}
	g.idle = sync.NewCond(&g.mu)
	return g
}

// isWrite: the requests held during a sweep — those that change the
// registry's content, and a push's blob existence check (HEAD of a blob):
// answered during the sweep, it could say "exists" for a blob the sweep is
// about to delete, and the push would skip uploading it. Pulls GET blobs.
func isWrite(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodOptions:
		return false
	case http.MethodHead:
		_, kind, ok := repoAndKind(r.URL.Path)
		return ok && kind == "blobs"
	}
	return true
}

// Handler wraps next with the gate.
func (g *writeGate) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isWrite(r) {
			rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
			next.ServeHTTP(rec, r)
			g.countRead(rec.status)
			return
		}
		if err := g.enterWrite(r.Context(), r.URL.Path); err != nil {
			w.Header().Set("Retry-After", "5")
			http.Error(w, "registry: garbage collection in progress, retry", http.StatusServiceUnavailable)
			return
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			g.leaveWrite()
			g.notePush(r, rec.status, rec.Header())
		}()
		next.ServeHTTP(rec, r)
	})
}

func (g *writeGate) countRead(status int) {
	g.mu.Lock()
	if g.sweeping != nil && status < 500 {
		g.readsServed++
	}
	g.mu.Unlock()
}

// enterWrite waits while a sweep runs (at most maxHold, or until ctx is
// done) and then counts the write as in flight.
func (g *writeGate) enterWrite(ctx context.Context, path string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.sweeping != nil {
		g.writesHeld++
		repo, _, _ := repoAndKind(path)
		g.waiting[repo]++
		defer func() { // g.mu is held on every way out of the loop
			if g.waiting[repo]--; g.waiting[repo] <= 0 {
				delete(g.waiting, repo)
			}
		}()
		deadline := time.NewTimer(g.maxHold)
		defer deadline.Stop()
		for g.sweeping != nil {
			ch := g.sweeping
			g.mu.Unlock()
			var err error
			select {
			case <-ch:
			case <-deadline.C:
				err = errors.New("held too long")
			case <-ctx.Done():
				err = ctx.Err()
			}
			g.mu.Lock()
			if err != nil {
				return err
			}
		}
	}
	g.inflight++
	return nil
}

// GateState is the write gate now: a sweep running, and the writes held
// by repository.
type GateState struct {
	Sweeping bool           `json:"sweeping"`
	Waiting  map[string]int `json:"waiting,omitempty"`
}

func (g *writeGate) state() GateState {
	g.mu.Lock()
	defer g.mu.Unlock()
	st := GateState{Sweeping: g.sweeping != nil, Waiting: map[string]int{}}
	for k, v := range g.waiting {
		st.Waiting[k] = v
	}
	return st
}

func (g *writeGate) leaveWrite() {
	g.mu.Lock()
	g.inflight--
	if g.inflight == 0 {
		g.idle.Broadcast()
	}
	g.mu.Unlock()
}

// BusyError: writes were still in flight when the sweep had to start.
type BusyError struct{ Writes int }

func (e *BusyError) Error() string {
	return strconv.Itoa(e.Writes) + " write request(s) still in flight (a large upload?): run gc again when the push is done"
}

// beginSweep holds new writes and waits (at most wait) for the writes in
// flight to finish. end lifts the hold and returns the reads served and
// writes held meanwhile.
func (g *writeGate) beginSweep(wait time.Duration) (end func() (reads, held int64), err error) {
	g.mu.Lock()
	if g.sweeping != nil {
		g.mu.Unlock()
		return nil, errors.New("a garbage collection is already running")
	}
	done := make(chan struct{})
	g.sweeping = done
	g.readsServed, g.writesHeld = 0, 0
	// sync.Cond has no timeout: a timer broadcasts once.
	expired := false
	t := time.AfterFunc(wait, func() {
		g.mu.Lock()
		expired = true
		g.idle.Broadcast()
		g.mu.Unlock()
	})
	for g.inflight > 0 && !expired {
		g.idle.Wait()
	}
	t.Stop()
	end = func() (int64, int64) {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.sweeping = nil
		close(done)
		return g.readsServed, g.writesHeld
	}
	if n := g.inflight; n > 0 {
		g.mu.Unlock()
		end()
		return nil, &BusyError{Writes: n}
	}
	g.mu.Unlock()
	return end, nil
}

// notePush records a completed blob upload or mount as pending in its
// repository, and forgets a repository's pending blobs once a manifest is
// pushed to it.
func (g *writeGate) notePush(r *http.Request, status int, h http.Header) {
	if status/100 != 2 {
		return
	}
	repo, kind, ok := repoAndKind(r.URL.Path)
	if !ok {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case kind == "manifests" && r.Method == http.MethodPut:
		delete(g.pending, repo)
	case kind == "blobs" && (r.Method == http.MethodPut || r.Method == http.MethodPost || r.Method == http.MethodHead):
		// An upload or mount done (201), or a blob a push found already
		// there (HEAD 200) and will not upload: the manifest coming next
		// needs it.
		d := h.Get("Docker-Content-Digest")
		if d == "" || (status != http.StatusCreated && !(r.Method == http.MethodHead && status == http.StatusOK)) {
			return
		}
		if g.pending[repo] == nil {
			g.pending[repo] = map[string]time.Time{}
		}
		g.pending[repo][d] = time.Now()
	}
}

// protected is the set of pending blobs (younger than pendingTTL), by
// digest and by repository.
func (g *writeGate) protected() (blobs map[string]bool, links map[string]map[string]bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	blobs, links = map[string]bool{}, map[string]map[string]bool{}
	for repo, m := range g.pending {
		for d, at := range m {
			if time.Since(at) > pendingTTL {
				delete(m, d)
				continue
			}
			blobs[d] = true
			if links[repo] == nil {
				links[repo] = map[string]bool{}
			}
			links[repo][d] = true
		}
		if len(m) == 0 {
			delete(g.pending, repo)
		}
	}
	return blobs, links
}

// repoAndKind splits /v2/<name>/(blobs|manifests)/... into the repository
// name and "blobs" or "manifests" (blob uploads are "blobs").
func repoAndKind(p string) (repo, kind string, ok bool) {
	rest, found := strings.CutPrefix(p, "/v2/")
	if !found {
		return "", "", false
	}
	for _, k := range []string{"/blobs/", "/manifests/"} {
		if i := strings.LastIndex(rest, k); i > 0 {
			return rest[:i], strings.Trim(k, "/"), true
		}
	}
	return "", "", false
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

// Flush and Unwrap keep streaming and http.ResponseController working.
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
