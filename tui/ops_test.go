package tui

import (
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/registryserver"
)

func logText(m *Model) string { return strings.Join(m.log.lines, "\n") }

func TestDoctorOverlayHealthy(t *testing.T) {
	f := &fake{state: healthyState(), doctor: healthyDoctor()}
	h := newHarness(t, f, 80, 24)
	h.keys("c")
	var v string
	h.until("the report", func(m *Model) bool { v = plainView(m); return doctorShown(m) })
	h.called("doctor")
	for _, want := range []string{"Doctor ✓ all ok", "✓ All 11 checks passed.", "✓ ok    root CA: RSA 4096", "lines 1-20 of 22", "esc close"} {
		if !strings.Contains(v, want) {
			t.Errorf("overlay lacks %q:\n%s", want, v)
		}
	}
	// The report is longer than the screen: end scrolls to its last line.
	h.keys("end")
	h.until("scrolled to the end", func(m *Model) bool {
		v = plainView(m)
		return strings.Contains(v, "✓ ok    probe push → pull → run: pushed, pulled back")
	})
	if strings.Contains(v, "All 11 checks passed") {
		t.Errorf("scrolled window still shows the top:\n%s", v)
	}
	h.keys("esc")
	h.until("overlay closed", func(m *Model) bool { v = plainView(m); return !m.doc.open })
	if !strings.Contains(v, "Certificates") || strings.Contains(v, "Doctor") {
		t.Errorf("esc did not bring the panes back:\n%s", v)
	}
	if !strings.Contains(logText(h.final()), "✓ doctor done: all 11 checks passed") {
		t.Errorf("log lacks the doctor's result:\n%s", logText(h.m))
	}
}

func TestDoctorOverlayFailureShowsFix(t *testing.T) {
	f := &fake{state: engineDownState(), doctor: stackDownDoctor()}
	h := newHarness(t, f, 80, 24)
	h.keys("c")
	var v, raw, hiFix, hiWarn string
	h.until("the report", func(m *Model) bool {
		raw = m.View().Content
		v = ansi.Strip(raw)
		hiFix, hiWarn = m.st.bad.Render("→ fix: esbtui up"), m.st.bad.Render("fix: esbtui trust install --store nss")
		return doctorShown(m)
	})
	for _, want := range []string{"Doctor ✗ 2 failed", "✗ First broken link: stack services", "  fix: esbtui up", "! warn  trust: nss", "fix: esbtui trust install --store nss", "✗ FAIL  stack services: stack esb is down", "→ fix: esbtui up"} {
		if !strings.Contains(v, want) {
			t.Errorf("overlay lacks %q:\n%s", want, v)
		}
	}
	// Highlighted: the first failure's fix is drawn in the failure style,
	// the warning's fix is not.
	if !strings.Contains(raw, hiFix) {
		t.Errorf("the first failure's fix is not highlighted:\n%q", raw)
	}
	if strings.Contains(raw, hiWarn) {
		t.Error("a warning's fix is highlighted like the first failure's")
	}
	h.keys("end")
	h.until("the skipped links", func(m *Model) bool {
		v = plainView(m)
		return strings.Contains(v, "- skip  probe push → pull → run: skipped: registry API /v2/ is broken")
	})
	fm := h.final()
	if !strings.Contains(logText(fm), "doctor done: 6 ok, 1 warn, 2 failed; first broken link: stack services (fix: esbtui up)") {
		t.Errorf("log lacks the summary:\n%s", logText(fm))
	}
}

// While the checks run the overlay says so; esc hides it and the report
// opens when they end; c during the run does not start a second one.
func TestDoctorRunning(t *testing.T) {
	f := &fake{state: healthyState(), doctor: healthyDoctor(), doctorHold: make(chan struct{})}
	h := newHarness(t, f, 80, 24)
	h.keys("c")
	var v string
	h.until("running", func(m *Model) bool { v = plainView(m); return m.doc.open && m.doc.running })
	if !strings.Contains(v, "Doctor … running") || !strings.Contains(v, "checking every link") {
		t.Errorf("running overlay:\n%s", v)
	}
	h.keys("esc")
	h.until("hidden", func(m *Model) bool { return !m.doc.open && jobIs("doctor", jobRunning)(m) })
	h.keys("c")
	h.until("shown again", func(m *Model) bool { return m.doc.open })
	close(f.doctorHold)
	h.until("the report", doctorShown)
	n := 0
	for _, c := range f.Calls() {
		if c == "doctor" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("doctor ran %d times, want 1", n)
	}
}

// While the doctor runs, the overlay lists the checks ended so far, each
// with its verdict and result, and marks the one running now; the Jobs pane
// names it. When the run ends the full report replaces the list. The frame
// fits 80x24 and reads the same without colour.
func TestDoctorLiveChecks(t *testing.T) {
	for _, env := range [][]string{nil, {"NO_COLOR=1"}, {"TERM=dumb"}} {
		t.Run(strings.Join(append([]string{"colour"}, env...), " "), func(t *testing.T) {
			f := &fake{state: engineDownState(), doctor: stackDownDoctor(), doctorHold: make(chan struct{}), doctorHoldAt: 8}
			h := newHarness(t, f, 80, 24, env...)
			h.keys("c")
			var v string
			h.until("8 checks done, the 9th running", func(m *Model) bool { v = plainView(m); return doctorPartial(8)(m) })
			for _, want := range []string{
				"Doctor … running (8 checked)",
				"✓ ok    root CA: RSA 4096, 3649 days left",
				"! warn  trust: nss: missing: ~/.pki/nssdb does not hold the CA",
				"✓ ok    container engine: Docker 20.10.24",
				"✗ FAIL  stack services: stack esb is down (fix: esbtui up)",
				"… now   TLS to registry (system roots): running…",
				"esc hides this; the report opens when the checks end.",
			} {
				if !strings.Contains(v, want) {
					t.Errorf("partial overlay lacks %q:\n%s", want, v)
				}
			}
			if strings.Contains(v, "registry API /v2/") || strings.Contains(v, "First broken link") {
				t.Errorf("partial overlay shows checks not run yet or a verdict:\n%s", v)
			}
			lines := strings.Split(v, "\n")
			if len(lines) != 24 {
				t.Errorf("partial overlay is %d lines, want 24", len(lines))
			}
			for _, l := range lines {
				if ansi.StringWidth(l) > 80 {
					t.Errorf("line wider than 80: %q", l)
				}
			}
			if len(env) > 0 {
				// What reaches the terminal: the partial frame in words,
				// no colour.
				h.final()
				out := readAll(t, h)
				if colourSGR(out) {
					t.Errorf("%v: colour escapes in the output: %q", env, firstSGR(out))
				}
				if !strings.Contains(out, "running…") || !strings.Contains(out, "FAIL") {
					t.Errorf("%v: the running and failed checks are not in words in the output", env)
				}
				return
			}
			close(f.doctorHold)
			h.until("the report", func(m *Model) bool { v = plainView(m); return doctorShown(m) })
			if !strings.Contains(v, "✗ First broken link: stack services") || strings.Contains(v, "running…") {
				t.Errorf("the report did not replace the live list:\n%s", v)
			}
		})
	}
}

// A run started after a cancelled one starts its list afresh.
func TestDoctorLiveRestarts(t *testing.T) {
	f := &fake{state: healthyState(), doctor: healthyDoctor(), doctorHold: make(chan struct{}), doctorHoldAt: 3}
	h := newHarness(t, f, 80, 24)
	h.keys("c")
	h.until("3 checks done", doctorPartial(3))
	h.keys("ctrl+c")
	h.until("cancelled", jobIs("doctor", jobCancelled))
	f.mu.Lock()
	f.doctorHoldAt = 1
	f.mu.Unlock()
	h.keys("c")
	var v string
	h.until("1 check done in the new run", func(m *Model) bool { v = plainView(m); return doctorPartial(1)(m) })
	if !strings.Contains(v, "… now   server certificate: running…") || strings.Contains(v, "trust: system") {
		t.Errorf("second run's list:\n%s", v)
	}
}

// ctrl+c cancels a running doctor and closes its overlay.
func TestDoctorCancelled(t *testing.T) {
	f := &fake{state: healthyState(), doctor: healthyDoctor(), doctorHold: make(chan struct{})}
	h := newHarness(t, f, 80, 24)
	h.keys("c")
	h.until("running", func(m *Model) bool { return m.doc.open && m.doc.running })
	h.keys("ctrl+c")
	var v string
	h.until("cancelled", func(m *Model) bool { v = plainView(m); return jobIs("doctor", jobCancelled)(m) })
	if strings.Contains(v, "Doctor") || !strings.Contains(v, "Certificates") {
		t.Errorf("the overlay stayed after the cancel:\n%s", v)
	}
}

func TestDoctorCompact(t *testing.T) {
	f := &fake{state: healthyState(), doctor: stackDownDoctor()}
	h := newHarness(t, f, 60, 20)
	h.keys("c")
	var v string
	h.until("the report", func(m *Model) bool { v = plainView(m); return doctorShown(m) })
	if !strings.Contains(v, "First broken link: stack services") || !strings.Contains(v, "fix: esbtui up") {
		t.Errorf("compact overlay:\n%s", v)
	}
	if n := len(strings.Split(v, "\n")); n != 20 {
		t.Errorf("compact overlay is %d lines, want 20", n)
	}
}

// Live rates: the second scrape gives the rates between the two samples
// (30 requests, 3 of them 5xx, 1 MB in, 300 kB out in 3 s).
func TestMetricsLive(t *testing.T) {
	f := &fake{state: healthyState()}
	h := newHarnessWith(t, f, Options{Width: 80, Height: 24, MetricsEvery: 10 * time.Millisecond})
	var v string
	h.until("live rates", func(m *Model) bool {
		v = plainView(m)
		return m.reg.live != nil && m.reg.live.Since == "sample"
	})
	for _, want := range []string{"10.0 req/s · 5xx 10.0% · p95 444ms", "in 325 KiB/s · out 97.7 KiB/s"} {
		if !strings.Contains(v, want) {
			t.Errorf("Registry pane lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "since start") {
		t.Errorf("live rates labelled as since start:\n%s", v)
	}
	// Where the pane is wide enough they fit one line.
	h.tm.Send(tea.WindowSizeMsg{Width: 220, Height: 50})
	h.until("wide", func(m *Model) bool { v = plainView(m); return m.w == 220 })
	if !strings.Contains(v, "10.0 req/s · 5xx 10.0% · p95 444ms · in 325 KiB/s · out 97.7 KiB/s") {
		t.Errorf("wide frame:\n%s", v)
	}
}

// No scrapes while the help covers the panes, none with the stack down.
func TestMetricsOnlyWhenVisibleAndUp(t *testing.T) {
	f := &fake{state: healthyState()}
	h := newHarnessWith(t, f, Options{Width: 80, Height: 24, MetricsEvery: 5 * time.Millisecond})
	h.until("scraping", func(m *Model) bool { return countCalls(f, "metrics") >= 2 })
	h.keys("?")
	h.until("polling stopped under the help", func(m *Model) bool { return m.showHelp && !m.met.ticking && !m.met.inflight })
	n := countCalls(f, "metrics")
	for range 5 {
		h.until("a nudge", func(m *Model) bool { return true })
		time.Sleep(10 * time.Millisecond) // two periods: a tick would have come
	}
	if got := countCalls(f, "metrics"); got != n {
		t.Errorf("%d scrapes while the help covered the Registry pane", got-n)
	}
	h.keys("esc")
	h.until("scraping again", func(m *Model) bool { return countCalls(f, "metrics") > n })

	down := &fake{state: engineDownState()}
	h2 := newHarnessWith(t, down, Options{Width: 80, Height: 24, MetricsEvery: 5 * time.Millisecond})
	h2.keys("r")
	h2.until("refreshed", func(m *Model) bool { return !m.refreshing })
	if c := countCalls(down, "metrics"); c != 0 {
		t.Errorf("%d scrapes with the stack down", c)
	}
}

func TestMetricsFailureSaysWhyOnce(t *testing.T) {
	f := &fake{state: healthyState(), fail: map[string]error{"metrics": errors.New("registryclient: metrics http://127.0.0.1:5001/metrics: connection refused")}}
	f.state.Registry.Metrics = nil
	h := newHarnessWith(t, f, Options{Width: 80, Height: 24, MetricsEvery: 5 * time.Millisecond})
	var v string
	h.until("three failed scrapes", func(m *Model) bool { v = plainView(m); return countCalls(f, "metrics") >= 3 })
	if !strings.Contains(v, "· metrics n/a: registryclient: metric") {
		t.Errorf("Registry pane does not say why there are no rates:\n%s", v)
	}
	if n := strings.Count(logText(h.final()), "metrics: registryclient"); n != 1 {
		t.Errorf("logged the failure %d times, want once:\n%s", n, logText(h.m))
	}
}

// Pushes, pulls and deletes by any client reach the Log pane with the
// registry's timestamp.
func TestRegistryEventsInLog(t *testing.T) {
	f := &fake{state: healthyState(), events: make(chan flows.RegistryEvent)}
	h := newHarness(t, f, 80, 24)
	f.events <- flows.RegistryEvent{Time: t0.Add(-5 * time.Second), Action: "push", Kind: "manifest", Repository: "hello", Tag: "latest",
		Digest: "sha256:4f1c0e9a7b2d5e8f00112233445566778899aabbccddeeff0011223344556677", Size: 1_234, UserAgent: "docker/20.10.24 go/go1.18.1"}
	f.events <- flows.RegistryEvent{Time: t0.Add(-4 * time.Second), Action: "pull", Kind: "manifest", Repository: "hello", Tag: "latest", UserAgent: "crane/0.20"}
	f.events <- flows.RegistryEvent{Time: t0.Add(-3 * time.Second), Action: "delete", Kind: "manifest", Repository: "worker",
		Digest: "sha256:99887766554433aa99887766554433aa99887766554433aa99887766554433aa", User: "esbtui"}
	h.until("three events", func(m *Model) bool { return strings.Count(logText(m), "registry ") >= 3 })
	log := logText(h.final())
	for _, want := range []string{
		"10:29:55 registry push hello:latest 1.2 KiB (docker/20.10.24)",
		"10:29:56 registry pull hello:latest (crane/0.20)",
		"10:29:57 registry delete worker@sha256:998877665544 (by esbtui)",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if !strings.Contains(plainView(h.m), "registry pull hello:latest") {
		t.Errorf("Log pane does not show the events:\n%s", plainView(h.m))
	}
}

// A push by another client shows in the Registry pane by itself: the
// event refreshes the catalog.
func TestRegistryEventRefreshesCatalog(t *testing.T) {
	f := &fake{state: healthyState(), events: make(chan flows.RegistryEvent)}
	h := newHarness(t, f, 80, 24)
	h.until("first frame", func(m *Model) bool { return strings.Contains(plainView(m), "4 repos") })
	f.mu.Lock()
	reg := *f.state.Registry
	reg.Repos = append(append([]string(nil), reg.Repos...), "zz-from-cli")
	f.state.Registry = &reg
	f.mu.Unlock()
	f.events <- flows.RegistryEvent{Time: t0, Action: "pull", Kind: "manifest", Repository: "hello", Tag: "latest"}
	h.until("the pull logged", func(m *Model) bool { return strings.Contains(logText(m), "registry pull hello:latest") })
	if strings.Contains(plainView(h.m), "5 repos") {
		t.Fatal("a pull refreshed the catalog")
	}
	f.events <- flows.RegistryEvent{Time: t0, Action: "push", Kind: "manifest", Repository: "zz-from-cli", Tag: "v1"}
	h.until("the pushed repository listed", func(m *Model) bool { return strings.Contains(plainView(m), "5 repos") })
}

// A listener that cannot start (port taken by `esbtui events`) is one
// clear line; r tries again.
func TestRegistryEventsListenerBusy(t *testing.T) {
	busy := &registryserver.ListenEventsError{Addr: "172.17.0.1:5002", Err: errors.New("bind: address already in use")}
	f := &fake{state: healthyState(), eventsErr: busy}
	h := newHarness(t, f, 80, 24)
	h.until("the warning", func(m *Model) bool { return strings.Contains(logText(m), "registry events: not listening") })
	h.keys("u")
	h.until("tried again after up", func(m *Model) bool { return strings.Count(logText(m), "registry events: not listening") == 2 })
	h.keys("r")
	h.until("tried again", func(m *Model) bool { return countCalls(f, "events") == 3 && !m.events.starting })
	log := logText(h.final())
	if n := strings.Count(log, "registry events: not listening"); n != 3 {
		t.Errorf("%d warnings for 3 attempts:\n%s", n, log)
	}
	if !strings.Contains(log, "address already in use (is another `esbtui events` or the dashboard already listening? only one can)") {
		t.Errorf("the warning does not say why:\n%s", log)
	}
}

func countCalls(f *fake, name string) int {
	n := 0
	for _, c := range f.Calls() {
		if c == name {
			n++
		}
	}
	return n
}

// TestRegistryEventsOffIsProminent: when the listener cannot start (an
// engine whose host-gateway address cannot be found), the Registry pane
// says so in its title and shows the whole reason with its fix, wrapped at
// 80 columns; once listening, the warning goes away.
func TestRegistryEventsOffIsProminent(t *testing.T) {
	f := &fake{state: healthyState(), eventsErr: errors.New("stack: set ESB_HOST_GATEWAY to an IP of this host that containers reach (a Linux engine's bridge address: `ip -4 addr show docker0`): esbtui cannot find where containers reach this host as host.docker.internal: rootless Docker")}
	h := newHarness(t, f, 80, 24)
	h.until("the pane's warning", func(m *Model) bool {
		v := plainView(m)
		return strings.Contains(v, "events off") && strings.Contains(v, "live events off:")
	})
	flat := strings.Join(strings.Fields(plainView(h.m)), " ")
	if !strings.Contains(flat, "ESB_HOST_GATEWAY") {
		t.Errorf("the fix is not on screen:\n%s", plainView(h.m))
	}
	f.mu.Lock()
	f.eventsErr = nil
	f.mu.Unlock()
	h.keys("r")
	h.until("the warning cleared", func(m *Model) bool { return !strings.Contains(plainView(m), "events off") })
}

// TestRegistryEventsOffQuietWithoutAContainer: with no engine (the
// in-process registry, which sends no notifications) the listener's
// failure stays a Log line; the Registry pane keeps its ✓.
func TestRegistryEventsOffQuietWithoutAContainer(t *testing.T) {
	st := healthyState()
	st.Stack = &StackState{EngineErr: "the Docker engine cannot be reached", Serving: true}
	f := &fake{state: st, eventsErr: errors.New("stack: the Docker engine at unix:///nope is not running")}
	h := newHarness(t, f, 80, 24)
	h.until("the Log line", func(m *Model) bool { return strings.Contains(logText(m), "registry events: not listening") })
	if v := plainView(h.m); strings.Contains(v, "events off") {
		t.Errorf("the pane warns about events with no registry container:\n%s", v)
	}
}
