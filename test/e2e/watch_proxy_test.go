package e2e

import (
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// engineProxy forwards a unix socket to the real engine's, and can cut the
// engine off (listener and every connection closed) and bring it back: an
// engine outage without restarting dockerd.
type engineProxy struct {
	t     *testing.T
	path  string
	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

func newEngineProxy(t *testing.T) *engineProxy {
	p := &engineProxy{t: t, path: filepath.Join(t.TempDir(), "docker.sock")}
	p.up()
	t.Cleanup(p.down)
	return p
}

func (p *engineProxy) up() {
	ln, err := net.Listen("unix", p.path)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			e, err := net.Dial("unix", "/var/run/docker.sock")
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, e)
			p.mu.Unlock()
			go func() { io.Copy(e, c); e.Close() }()
			go func() { io.Copy(c, e); c.Close() }()
		}
	}()
}

func (p *engineProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestWatchResyncsWithNothingChanged: when the engine goes away and comes
// back with the project exactly as it was (here: not running at all, the
// case of a dockerd restart with the stack down), `status --watch` still
// says the engine is back instead of staying "unreachable".
func TestWatchResyncsWithNothingChanged(t *testing.T) {
	t.Parallel()
	home := newHome(t)
	p := newEngineProxy(t)
	env := []string{"ESB_HOME=" + home, "ESB_PROJECT=" + randomName("esbwatch"), "DOCKER_HOST=unix://" + p.path}
	w := startCLI(t, env, "status", "--watch", "--no-tui")
	w.waitStdout(": down", 30*time.Second)
	p.down()
	w.waitStdout("engine unreachable", 30*time.Second)
	p.up()
	deadline := time.Now().Add(45 * time.Second)
	for {
		out := strings.TrimSpace(w.stdout.String())
		lines := strings.Split(out, "\n")
		if last := lines[len(lines)-1]; strings.Contains(last, ": down") && strings.Contains(out, "engine unreachable") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("status --watch did not resync after the engine came back:\n%s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code := w.interrupt(10 * time.Second); code != 0 && code != 130 {
		t.Fatalf("status --watch exited %d", code)
	}
}
