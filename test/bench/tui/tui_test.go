// Package tuibench measures the dashboard (tui/) as the binary runs it:
// the real root model in a Bubble Tea program (30 FPS, as tui.Run), over a
// backend that streams a push, and tui.Run itself over internal/flows for
// the time to the first frame.
//
//	go test -run '^$' -bench . ./test/bench/tui/
package tuibench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/esbtui/esbtui/internal/config"
	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/tui"
)

// program runs m like tui.Run does (30 FPS), writing to out at w x h.
func program(ctx context.Context, m tea.Model, out io.Writer, w, h int) (*tea.Program, chan error) {
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithFPS(30), tea.WithInput(nil), tea.WithOutput(out),
		tea.WithWindowSize(w, h), tea.WithoutSignalHandler(), tea.WithEnvironment([]string{"TERM=xterm-256color"}))
	done := make(chan error, 1)
	go func() { _, err := p.Run(); done <- err }()
	return p, done
}

// recorder wraps the root model: it records the messages the program
// delivers during the push, and on replayMsg re-applies them one at a time,
// each followed by View(), on the program's goroutine (the model is not
// safe to touch elsewhere).
type recorder struct {
	m     *tui.Model
	mu    sync.Mutex
	rec   []tea.Msg
	armed bool
}

type replayMsg struct {
	n    int
	done chan time.Duration
}

func (r *recorder) Init() tea.Cmd { return r.m.Init() }

func (r *recorder) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if rp, ok := msg.(replayMsg); ok {
		r.mu.Lock()
		rec := r.rec
		r.mu.Unlock()
		start := time.Now()
		for i := range rp.n {
			r.m.Update(rec[i%len(rec)]) // its Cmds are dropped: a replay starts no work
			_ = r.m.View()
		}
		rp.done <- time.Since(start)
		return r, nil
	}
	_, cmd := r.m.Update(msg)
	if _, key := msg.(tea.KeyPressMsg); !key {
		r.mu.Lock()
		if r.armed {
			r.rec = append(r.rec, msg)
		}
		r.mu.Unlock()
	}
	return r, cmd
}

func (r *recorder) View() tea.View { return r.m.View() }

func (r *recorder) recorded() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.rec)
}

// BenchmarkViewDuringPush is one frame during a push: Update with one of
// the messages the program really delivered while the push streamed
// (progress batches, ≤ 20/s), then View(). ns/op is per frame.
func BenchmarkViewDuringPush(b *testing.B) {
	for _, sz := range [][2]int{{80, 24}, {120, 40}, {160, 48}} {
		ctx, cancel := context.WithCancel(context.Background())
		be := newPushBackend(5*time.Millisecond, 0)
		r := &recorder{m: tui.New(ctx, be, tui.Options{Width: sz[0], Height: sz[1]})}
		p, done := program(ctx, r, io.Discard, sz[0], sz[1])
		p.Send(tea.KeyPressMsg{Code: 'p', Text: "p"})
		<-be.start
		r.mu.Lock()
		r.armed = true
		r.mu.Unlock()
		deadline := time.Now().Add(10 * time.Second)
		for r.recorded() < 20 {
			if time.Now().After(deadline) {
				b.Fatalf("only %d messages during the push in 10 s", r.recorded())
			}
			time.Sleep(20 * time.Millisecond)
		}
		b.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(b *testing.B) {
			b.ReportAllocs()
			rp := replayMsg{n: b.N, done: make(chan time.Duration, 1)}
			b.ResetTimer()
			p.Send(rp)
			<-rp.done
		})
		cancel()
		<-done
	}
}

// countWriter counts what the program writes to the terminal.
type countWriter struct{ n atomic.Int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n.Add(int64(len(p))); return len(p), nil }

// BenchmarkPushOutput is the bytes written to the terminal per second
// while a 3 s push streams progress (an update per layer every 5 ms,
// coalesced by the dashboard to ≤ 20 deliveries/s; 30 FPS renderer).
func BenchmarkPushOutput(b *testing.B) {
	for _, sz := range [][2]int{{80, 24}, {120, 40}, {160, 48}} {
		b.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(b *testing.B) {
			var perSec float64
			for b.Loop() {
				ctx, cancel := context.WithCancel(context.Background())
				be := newPushBackend(5*time.Millisecond, 3*time.Second)
				cw := &countWriter{}
				m := tui.New(ctx, be, tui.Options{Width: sz[0], Height: sz[1]})
				p, done := program(ctx, m, cw, sz[0], sz[1])
				time.Sleep(500 * time.Millisecond) // first frames, snapshot
				before := cw.n.Load()
				t0 := time.Now()
				p.Send(tea.KeyPressMsg{Code: 'p', Text: "p"})
				select {
				case <-be.start:
				case <-time.After(5 * time.Second):
					b.Fatal("p did not start the push")
				}
				time.Sleep(3500 * time.Millisecond) // the push and its last frames
				perSec = float64(cw.n.Load()-before) / time.Since(t0).Seconds()
				cancel()
				<-done
			}
			b.ReportMetric(perSec, "B/s")
		})
	}
}

// firstFrame watches the output for the first frame and the first frame
// with the snapshot applied.
type firstFrame struct {
	mu          sync.Mutex
	buf         bytes.Buffer
	frame, full time.Time
}

func (f *firstFrame) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buf.Write(p)
	now := time.Now()
	if f.frame.IsZero() && bytes.Contains(f.buf.Bytes(), []byte("Certificates")) {
		f.frame = now
	}
	if f.full.IsZero() && bytes.Contains(f.buf.Bytes(), []byte("missing")) {
		f.full = now
	}
	return len(p), nil
}

func (f *firstFrame) times() (time.Time, time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.frame, f.full
}

// BenchmarkFirstFrame is tui.Run over the real internal/flows (a fresh
// ESB_HOME, the machine's engine, a registry port nothing listens on):
// first-frame is the time to the first drawn frame, state-frame to the
// frame that shows the first snapshot (certificates missing).
func BenchmarkFirstFrame(b *testing.B) {
	b.Setenv("ESB_HOME", b.TempDir())
	b.Setenv("ESB_TRUST_ROOT", b.TempDir())
	b.Setenv("ESB_REGISTRY_PORT", strconv.Itoa(freePort(b)))
	b.Setenv("ESB_HOST_GATEWAY", "127.0.0.1")
	cfg, err := config.Load()
	if err != nil {
		b.Fatal(err)
	}
	var first, full time.Duration
	for b.Loop() {
		e := flows.New(cfg)
		ctx, cancel := context.WithCancel(context.Background())
		ff := &firstFrame{}
		start := time.Now()
		done := make(chan error, 1)
		go func() {
			done <- tui.Run(ctx, tui.NewEnvBackend(e), tui.Options{}, tea.WithInput(nil), tea.WithOutput(ff),
				tea.WithWindowSize(120, 40), tea.WithoutSignalHandler(), tea.WithEnvironment([]string{"TERM=xterm-256color"}))
		}()
		deadline := time.Now().Add(20 * time.Second)
		for {
			f, s := ff.times()
			if !f.IsZero() && !s.IsZero() {
				first += f.Sub(start)
				full += s.Sub(start)
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("no frame with the snapshot in 20 s; output %q", ff.buf.String())
			}
			time.Sleep(time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		e.Close()
	}
	b.ReportMetric(float64(first.Microseconds())/1000/float64(b.N), "ms/first-frame")
	b.ReportMetric(float64(full.Microseconds())/1000/float64(b.N), "ms/state-frame")
}

func freePort(b *testing.B) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
