package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

// TestEngineRestartWhileWatching restarts a dockerd of its own (a fresh
// engine: the machine's engine and the other tests are not touched, and no
// test depends on the order they run in) once under two observers
// of the same stack: `esbtui status --watch` and the dashboard (the real
// binary in tmux at 80x24). Both show the engine as gone while it is down,
// then resync by themselves, no key pressed, and see the registry (restart:
// unless-stopped) healthy again. The dashboard then still gets the
// registry's events, answers keys and quits with q and exit status 0.
func TestEngineRestartWhileWatching(t *testing.T) {
	t.Parallel()
	fe := startFreshEngine(t)
	s := newStackOn(t, fe)
	mustCLI(t, s.Env, "up", "--no-tui")
	w := startCLI(t, s.Env, "status", "--watch", "--no-tui")
	w.waitStdout(": up — registry running healthy", 30*time.Second)

	tui := newTUISession(t)
	exitFile := filepath.Join(t.TempDir(), "exit")
	tui.startRecordingExit(t.TempDir(), 80, 24, s.Env, exitFile)
	healthy := func(scr string) bool {
		return lineWith("✓ registry", "running", "healthy")(scr) && contains("Services ✓ 1/1 up")(scr)
	}
	scr := tui.waitFor("the registry healthy and reachable", 60*time.Second, func(scr string) bool {
		return healthy(scr) && contains("Registry ✓ 0 repos", "Certificates ✓ valid")(scr)
	})
	t.Logf("dashboard before the restart:\n%s", scr)

	// Both observers are polled from SIGTERM on, each timed on its own.
	obs := &restartObservers{tui: tui, watch: w, healthy: healthy}
	ctx, stop := context.WithCancel(context.Background())
	polled := make(chan struct{})
	go func() { defer close(polled); obs.poll(ctx) }()
	defer func() { stop(); <-polled }()

	start := time.Now()
	var stopped time.Time
	fe.restart(t, func() {
		stopped = time.Now()
		// While dockerd is really gone (not only shutting down), both
		// show it: the dashboard's latest frame and status --watch's
		// latest line.
		obs.await(t, "dockerd exited", 30*time.Second, func() bool {
			return goneFrame(obs.lastFrame) && strings.Contains(lastLine(obs.lastOut), "engine unreachable")
		})
		obs.mu.Lock()
		obs.downFrame, obs.downLine = obs.lastFrame, lastLine(obs.lastOut)
		obs.mu.Unlock()
	})
	back := time.Now()
	obs.mu.Lock()
	obs.restarted = back
	obs.mu.Unlock()
	// Reconnected: the registry (restart: unless-stopped) comes back with
	// the engine, and both observers, never restarted and never touched,
	// see it healthy again.
	obs.await(t, "dockerd answering again", 90*time.Second, func() bool { return !obs.watchBack.IsZero() && !obs.tuiBack.IsZero() })
	stop()
	<-polled
	ms := func(a time.Time) time.Duration { return a.Sub(start).Round(10 * time.Millisecond) }
	t.Logf("from SIGTERM: dockerd exited %v, status --watch showed the engine gone %v, the dashboard %v; dockerd answering %v; registry healthy again in status --watch %v, in the dashboard %v",
		ms(stopped), ms(obs.watchGone), ms(obs.tuiGone), ms(back), ms(obs.watchBack), ms(obs.tuiBack))
	t.Logf("the dashboard's Services pane title over time (from SIGTERM): %s", strings.Join(obs.titles, " → "))
	t.Logf("status --watch while dockerd was down: %s\nand after it answered again: %s", obs.downLine, obs.backLine)
	t.Logf("dashboard while dockerd was down:\n%s", obs.downFrame)
	t.Logf("dashboard after dockerd is back, no key pressed:\n%s", obs.backFrame)
	// The snapshot that follows the watcher reaches the registry again.
	tui.waitFor("the registry reachable again", 30*time.Second, contains("Registry ✓ 0 repos"))

	// And esbtui up on the recovered engine finds nothing to fix.
	mustCLI(t, s.Env, "up", "--no-tui")
	if code := w.interrupt(10 * time.Second); code != 0 && code != 130 {
		t.Errorf("status --watch exit %d after Ctrl-C", code)
	}
	if e := w.stderr.String(); strings.Contains(e, "panic") || strings.Contains(e, "DATA RACE") {
		t.Fatalf("status --watch stderr: %s", e)
	}

	// The registry's events still reach the dashboard: a push by the CLI
	// shows in the Log pane.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "f"), []byte("pushed after the engine restart\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\nCOPY f /f\n"), 0o644)
	image := s.Addr() + "/after:v1"
	fe.docker(t, "build", "-q", "-t", image, dir)
	mustCLI(t, s.Env, "push", image, "--no-tui")
	tui.waitFor("the CLI's push in the Log pane", 60*time.Second, lineWith("registry push after:v1"))

	// The dashboard still answers: ? opens the help over the panes, ?
	// closes it, q quits with status 0.
	tui.keys("?")
	tui.waitFor("the help", 10*time.Second, contains("esc or ? closes this help.", "esc close help · q quit"))
	tui.keys("?")
	tui.waitFor("the panes back", 10*time.Second, func(scr string) bool {
		return healthy(scr) && !strings.Contains(scr, "closes this help")
	})
	tui.keys("q")
	tui.waitExit()
	code, err := os.ReadFile(exitFile)
	if err != nil {
		t.Fatalf("the dashboard's exit status was not recorded: %v", err)
	}
	if strings.TrimSpace(string(code)) != "0" {
		t.Fatalf("the dashboard exited with status %s after q", strings.TrimSpace(string(code)))
	}
}

// restartObservers polls `status --watch`'s output and the dashboard's
// screen during an engine restart and notes when each first showed the
// engine gone and then the registry healthy again.
type restartObservers struct {
	tui     *tuiSession
	watch   *bgCLI
	healthy func(string) bool

	mu sync.Mutex
	// First time each showed the engine gone (dockerd may still be
	// shutting down then).
	watchGone, tuiGone time.Time
	// Set once dockerd answers again; only later output counts as back.
	restarted           time.Time
	watchBack, tuiBack  time.Time
	lastFrame, lastOut  string
	downFrame, downLine string
	backFrame, backLine string
	titles              []string // the Services pane's distinct titles, timed
}

// goneFrame: the dashboard's Services pane says the engine is unreachable.
func goneFrame(scr string) bool {
	return strings.Contains(scr, "Services ✗ engine down") && strings.Contains(servicesPane(scr), "✗ engine unreachable: ")
}

// servicesPane is the Services pane of an 80-column frame: the left half of
// the lines from its title to its bottom border (the Log pane beside it
// also mentions the engine going away and coming back).
func servicesPane(scr string) string {
	var b strings.Builder
	in := false
	for _, line := range strings.Split(scr, "\n") {
		r := []rune(line)
		left := string(r[:min(len(r), 40)])
		if strings.Contains(left, "Services") {
			in = true
		}
		if in {
			b.WriteString(left + "\n")
			if strings.HasPrefix(left, "╰") || strings.HasPrefix(left, "┗") {
				break
			}
		}
	}
	return b.String()
}

// lastLine is the last non-empty line of out.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[len(lines)-1]
}

var servicesTitle = regexp.MustCompile(`Services [^─━╮┓]*`)

func (o *restartObservers) poll(ctx context.Context) {
	start := time.Now()
	lastTitle := ""
	for ctx.Err() == nil {
		// Read before capturing: a frame taken before dockerd answered
		// again never counts as back.
		o.mu.Lock()
		after := !o.restarted.IsZero()
		o.mu.Unlock()
		out := o.watch.stdout.String()
		scr, err := o.tui.tmux("capture-pane", "-p", "-t", "tui")
		now := time.Now()
		o.mu.Lock()
		o.lastOut = out
		if o.watchGone.IsZero() && strings.Contains(out, "engine unreachable") {
			o.watchGone = now
		}
		if after && o.watchBack.IsZero() && strings.Contains(lastLine(out), ": up — registry running healthy") {
			o.watchBack, o.backLine = now, lastLine(out)
		}
		if err == nil {
			o.lastFrame = scr
			if title := strings.TrimSpace(servicesTitle.FindString(scr)); title != "" && title != lastTitle {
				lastTitle = title
				o.titles = append(o.titles, fmt.Sprintf("%q at %v", title, now.Sub(start).Round(10*time.Millisecond)))
			}
			if o.tuiGone.IsZero() && goneFrame(scr) {
				o.tuiGone = now
			}
			if after && o.tuiBack.IsZero() && o.healthy(scr) && !strings.Contains(servicesPane(scr), "engine unreachable") {
				o.tuiBack, o.backFrame = now, scr
			}
		}
		o.mu.Unlock()
		time.Sleep(100 * time.Millisecond)
	}
}

// await waits until done holds (read under the lock), failing with both
// observers' last output after timeout.
func (o *restartObservers) await(t *testing.T, since string, timeout time.Duration, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		o.mu.Lock()
		ok := done()
		watchGone, tuiGone, watchBack, tuiBack, frame := !o.watchGone.IsZero(), !o.tuiGone.IsZero(), !o.watchBack.IsZero(), !o.tuiBack.IsZero(), o.lastFrame
		o.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v after %s: engine gone in status --watch %v, in the dashboard %v; healthy again in status --watch %v, in the dashboard %v\nstatus --watch:\n%s\nscreen:\n%s",
				timeout, since, watchGone, tuiGone, watchBack, tuiBack, o.watch.stdout.String(), frame)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startRecordingExit is tuiSession.start that also writes the program's
// exit status to exitFile when it ends (a panic or a race report exits
// non-zero while tmux just closes the session).
func (s *tuiSession) startRecordingExit(dir string, w, h int, env []string, exitFile string) {
	s.t.Helper()
	s.startShell(dir, w, h, s.command(env)+"; echo $? > "+shellQuote(exitFile))
}
