package registryclient

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/esbtui/esbtui/registryclient/registrytest"
)

// silentListener accepts TCP connections and never writes a byte.
func silentListener(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var held []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				close(done)
				return
			}
			held = append(held, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		for _, c := range held {
			c.Close()
		}
	})
	return l.Addr().String()
}

// silent returns the *UnreachableError in err when it reports a registry
// that stopped answering.
func silent(err error) *UnreachableError {
	ue := unreachable(err)
	if ue == nil || !ue.Silent {
		return nil
	}
	return ue
}

const silentTLSText = "accepted the TCP connection but did not answer the TLS handshake within"

// A server that accepts TCP and then says nothing (a paused registry
// container behind docker-proxy) is reported as such by the probe and by
// every operation, not as a "TLS handshake failed".
func TestSilentTLSServer(t *testing.T) {
	addr := silentListener(t)
	c := newClient(t, Options{HandshakeTimeout: 300 * time.Millisecond})
	ctx := ctxT(t)
	ops := map[string]func() error{
		"probe":   func() error { _, err := c.Probe(ctx, addr); return err },
		"catalog": func() error { _, err := c.Catalog(ctx, addr); return err },
		"tags":    func() error { _, err := c.Tags(ctx, "fn", addr); return err },
		"inspect": func() error { _, err := c.Inspect(ctx, "fn:1", addr); return err },
		"delete":  func() error { _, err := c.Delete(ctx, "fn:1", addr); return err },
		"pull":    func() error { _, err := c.Pull(ctx, "fn:1", addr, io.Discard, nil); return err },
	}
	for name, op := range ops {
		err := op()
		ue := silent(err)
		if ue == nil || ue.Stage != StageTLS || ue.Registry != addr {
			t.Errorf("%s: %v", name, err)
			continue
		}
		msg := err.Error()
		for _, want := range []string{"registry " + addr + " unreachable", silentTLSText + " 300ms", "paused, overloaded or not a TLS server", "esbtui status", "docker ps", "esbtui up"} {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: %q lacks %q", name, msg, want)
			}
		}
		if strings.Contains(msg, "TLS handshake failed") {
			t.Errorf("%s: still says the handshake failed: %v", name, err)
		}
	}
	// Through the transport (what ggcr uses once the probe passed).
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+addr+"/v2/", nil)
	_, err := c.rt.RoundTrip(req)
	if ue := silent(err); ue == nil || ue.Stage != StageTLS {
		t.Errorf("transport: %v", err)
	}

	// A caller's deadline shorter than the handshake bound says the same.
	c2 := newClient(t, Options{})
	dctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := c2.Probe(dctx, addr); silent(err) == nil || !strings.Contains(err.Error(), silentTLSText) {
		t.Errorf("probe with a short deadline: %v", err)
	}
	// A cancelled call is a cancellation, not a diagnosis.
	cctx, cancel2 := context.WithCancel(ctx)
	time.AfterFunc(100*time.Millisecond, cancel2)
	if _, err := c2.Probe(cctx, addr); !errors.Is(err, context.Canceled) || unreachable(err) != nil {
		t.Errorf("cancelled probe: %v", err)
	}
}

// TestPausedRegistry: a registry that stops answering after the client
// has talked to it (probe cached, connections pooled) makes every call fail
// within the bounds, with an error saying it is paused; a short pause is
// ridden out; after the pause everything works again.
func TestPausedRegistry(t *testing.T) {
	reg := startRegistry(t, registrytest.Options{})
	px := startPauseProxy(t, reg.Addr)
	addr := px.Addr()
	c := newClient(t, Options{HandshakeTimeout: 300 * time.Millisecond, ResponseTimeout: 300 * time.Millisecond, PageSize: 2})
	ctx := ctxT(t)
	img := testImage(t, 1, 4<<10, time.Unix(1e9, 0), 91)
	for _, r := range []string{"a", "b", "c"} {
		writeImage(t, c, reg.Addr+"/"+r+":1", img)
	}
	warm := func() {
		t.Helper()
		if _, err := c.Catalog(ctx, addr); err != nil {
			t.Fatalf("catalog: %v", err)
		}
	}
	warm()

	// A short pause is ridden out.
	px.pause()
	time.AfterFunc(200*time.Millisecond, px.unpause)
	res, err := c.Catalog(ctx, addr)
	if err != nil || !slices.Equal(res.Repositories, []string{"a", "b", "c"}) {
		t.Fatalf("catalog across a short pause: %+v %v", res, err)
	}

	ops := []struct {
		name string
		op   func() error
	}{
		{"catalog", func() error { _, err := c.Catalog(ctx, addr); return err }},
		{"tags", func() error { _, err := c.Tags(ctx, "a", addr); return err }},
		{"inspect", func() error { _, err := c.Inspect(ctx, "a:1", addr); return err }},
		{"delete", func() error { _, err := c.Delete(ctx, "a:1", addr); return err }},
		{"pull", func() error { _, err := c.Pull(ctx, "a:1", addr, io.Discard, nil); return err }},
		{"copy", func() error { _, err := c.Copy(ctx, "a:1", "d:1", addr, nil); return err }},
		{"prune", func() error {
			_, err := c.Prune(ctx, PruneOptions{Registry: addr, Keep: 1, DryRun: true}, nil)
			return err
		}},
	}
	for _, o := range ops {
		warm() // probe cached, connections pooled
		px.pause()
		start := time.Now()
		err := o.op()
		took := time.Since(start)
		px.unpause()
		t.Logf("measured: %s against a paused registry failed after %v: %v", o.name, took.Round(time.Millisecond), err)
		if silent(err) == nil || !strings.Contains(err.Error(), "paused, overloaded") || !strings.Contains(err.Error(), "registry "+addr+" unreachable") {
			t.Errorf("%s: %v", o.name, err)
		}
		if strings.Contains(err.Error(), "https://") {
			t.Errorf("%s: the error carries URL noise: %v", o.name, err)
		}
	}
	// Listings retry with backoff before giving up.
	warm()
	px.pause()
	_, err = c.Catalog(ctx, addr)
	px.unpause()
	if !strings.Contains(err.Error(), "gave up after 4 attempts") {
		t.Errorf("catalog: %v", err)
	}

	// After the pause, it all works again.
	if _, err := c.Inspect(ctx, "a:1", addr); err != nil {
		t.Fatalf("inspect after the pause: %v", err)
	}
}

// slow delays what the response-header bound must not cut: the body of a
// blob GET trickles out, and every PUT (manifest, blob commit) waits before
// it is handled, as a registry re-hashing a big blob does.
func slow(d time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPut {
				time.Sleep(d)
			}
			if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/sha256:") {
				rec := &bufferedResponse{header: http.Header{}}
				next.ServeHTTP(rec, r)
				for k, v := range rec.header {
					w.Header()[k] = v
				}
				w.WriteHeader(rec.status)
				body := rec.body.Bytes()
				step := max(1, len(body)/4)
				for len(body) > 0 {
					n := min(step, len(body))
					w.Write(body[:n])
					w.(http.Flusher).Flush()
					if body = body[n:]; len(body) > 0 {
						time.Sleep(d / 4)
					}
				}
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }
func (b *bufferedResponse) WriteHeader(s int) {
	if b.status == 0 {
		b.status = s
	}
}
func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// The bounds are on the handshake and on the wait for GET/HEAD headers,
// never on a body transfer or on the answer to an upload: a blob that
// takes 4× the response bound to arrive and PUTs answered after 4× the
// bound both succeed.
func TestBoundsDoNotCutTransfers(t *testing.T) {
	const bound = 250 * time.Millisecond
	reg := startRegistry(t, registrytest.Options{Wrap: slow(4 * bound)})
	c := newClient(t, Options{HandshakeTimeout: bound, ResponseTimeout: bound})
	ctx := ctxT(t)
	img := testImage(t, 2, 256<<10, time.Unix(1e9, 0), 92)
	writeImage(t, c, reg.Addr+"/src:1", img)
	var tar bytes.Buffer
	want, _ := img.Digest()
	p, err := c.Pull(ctx, "src:1", reg.Addr, &tar, nil)
	if err != nil || p.Digest != want.String() || int64(tar.Len()) < p.Bytes {
		t.Fatalf("pull of slowly served blobs: %+v %v", p, err)
	}
	if _, err := c.Copy(ctx, "src:1", "dst:1", reg.Addr, nil); err != nil {
		t.Fatalf("copy with slow PUTs: %v", err)
	}
	if _, err := c.Inspect(ctx, "dst:1", reg.Addr); err != nil {
		t.Fatal(err)
	}
}
