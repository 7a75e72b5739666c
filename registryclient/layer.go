package registryclient

import (
	"errors"
	"io"
	"sync"
	"sync/atomic"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/esbtui/esbtui/internal/progress"
)

// errNeedCompress is what a mount-only layer returns when ggcr falls back to
// uploading: the caller then compresses and uploads for real.
var errNeedCompress = errors.New("registryclient: blob must be uploaded")

// blobLayer is a layer whose compressed blob and digests are known up front,
// so ggcr never computes (or recompresses) anything.
type blobLayer struct {
	digest, diffID v1.Hash
	size           int64
	mediaType      types.MediaType
	open           func() (io.ReadCloser, error)
}

func (l *blobLayer) Digest() (v1.Hash, error)            { return l.digest, nil }
func (l *blobLayer) DiffID() (v1.Hash, error)            { return l.diffID, nil }
func (l *blobLayer) Size() (int64, error)                { return l.size, nil }
func (l *blobLayer) MediaType() (types.MediaType, error) { return l.mediaType, nil }
func (l *blobLayer) Compressed() (io.ReadCloser, error)  { return l.open() }
func (l *blobLayer) Uncompressed() (io.ReadCloser, error) {
	return nil, errors.New("registryclient: uncompressed layer not available")
}

// byteProgress emits monotonic Update events for one (step, item) and never
// anything after finish: a retried upload re-reads from 0, which must not
// move a bar backwards.
type byteProgress struct {
	rep        progress.Reporter
	step, item string
	total      int64
	every      int64

	mu       sync.Mutex
	read     int64 // bytes read in the current attempt
	emitted  int64 // highest Current sent
	lastSent int64
	finished bool
}

func newByteProgress(rep progress.Reporter, step, item string, total int64) *byteProgress {
	every := total / 100
	if every < 256<<10 {
		every = 256 << 10
	}
	return &byteProgress{rep: rep, step: step, item: item, total: total, every: every, emitted: -1}
}

// begin sends the Start event.
func (p *byteProgress) begin() {
	p.rep.Emit(progress.Event{Step: p.step, Item: p.item, Status: progress.Start, Total: p.total})
}

func (p *byteProgress) restart() {
	p.mu.Lock()
	p.read = 0
	p.mu.Unlock()
}

func (p *byteProgress) add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.read += int64(n)
	cur := min(p.read, p.total)
	if p.finished || cur <= p.emitted || (cur-p.lastSent < p.every && cur < p.total) {
		return
	}
	p.emitted, p.lastSent = cur, cur
	p.rep.Emit(progress.Event{Step: p.step, Item: p.item, Status: progress.Update, Current: cur, Total: p.total})
}

// finish sends the 100% update (if not sent yet) and the terminal event.
func (p *byteProgress) finish(st progress.Status, msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	p.finished = true
	if st == progress.Done && p.emitted < p.total {
		p.rep.Emit(progress.Event{Step: p.step, Item: p.item, Status: progress.Update, Current: p.total, Total: p.total})
		p.emitted = p.total
	}
	e := progress.Event{Step: p.step, Item: p.item, Status: st, Message: msg, Total: p.total}
	if st == progress.Done || st == progress.Skipped {
		e.Current = p.total
	}
	if st == progress.Failed {
		e.Err = msg
		e.Message = ""
	}
	p.rep.Emit(e)
}

type countingReadCloser struct {
	r    io.Reader
	c    io.Closer
	prog *byteProgress
	sent *atomic.Int64
}

func (r *countingReadCloser) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	if n > 0 && r.prog != nil {
		r.prog.add(n)
	}
	if n > 0 && r.sent != nil {
		r.sent.Add(int64(n))
	}
	return n, err
}

func (r *countingReadCloser) Close() error { return r.c.Close() }

// rawManifest is a manifest ggcr puts as is.
type rawManifest struct {
	body      []byte
	mediaType types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.body, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mediaType, nil }
