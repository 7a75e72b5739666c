package tui

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func plainView(m *Model) string { return ansi.Strip(m.View().Content) }

func TestKeyInitCerts(t *testing.T) {
	f := &fake{state: freshState()}
	h := newHarness(t, f, 80, 24)
	h.keys("i")
	h.until("init done and certs healthy", func(m *Model) bool {
		return jobIs("init", jobDone)(m) && m.certs.level() == lvlOK
	})
	h.called("init")
	v := plainView(h.final())
	for _, want := range []string{"✓ init done", "created the CA", "✓ valid"} {
		if !strings.Contains(v, want) {
			t.Errorf("frame lacks %q:\n%s", want, v)
		}
	}
}

func TestKeyTrustAsksFirst(t *testing.T) {
	f := &fake{state: freshState(), plan: TrustPlan{Lines: []string{"sudo cp rootCA.crt /usr/local/share/ca-certificates/esbtui.crt", "sudo update-ca-certificates"}}}
	h := newHarness(t, f, 80, 24)
	h.keys("t")
	h.until("the plan is shown", func(m *Model) bool { return m.confirm != nil })
	if slices.Contains(f.Calls(), "trust") {
		t.Fatal("trust installed before the user said yes")
	}
	h.keys("n")
	h.until("plan dismissed", func(m *Model) bool { return m.confirm == nil })
	h.keys("t")
	h.until("plan shown again", func(m *Model) bool { return m.confirm != nil })
	h.keys("y")
	h.until("trust done", jobIs("trust", jobDone))
	h.called("trust")
}

func TestKeyStackAndBuild(t *testing.T) {
	f := &fake{state: healthyState(), pushEvents: pushEvents()}
	h := newHarness(t, f, 160, 48)
	h.keys("u")
	h.until("up done", jobIs("up", jobDone))
	h.keys("d")
	h.until("down done", jobIs("down", jobDone))
	h.keys("b")
	h.until("build all done", jobIs("build all", jobDone))
	h.called("build[]")
	// Focus Services (tab tab), select "hello" (down), build it alone.
	h.keys("tab", "tab", "down", "b")
	h.until("build hello done", jobIs("build hello", jobDone))
	h.called("build[hello]")
	h.keys("p")
	h.until("push hello done", jobIs("push hello", jobDone))
	h.called("push[hello]")
	v := plainView(h.final())
	if !strings.Contains(v, "localhost:5000/hello@sha256:4f1c0e9a7b2d") {
		t.Errorf("result digest missing from the frame:\n%s", v)
	}
}

func TestKeyRegistryBrowseAndDelete(t *testing.T) {
	f := &fake{state: healthyState(), tags: map[string][]string{"worker": {"latest", "v1"}}}
	h := newHarness(t, f, 80, 24)
	h.keys("/", "w", "o", "r", "enter")
	h.until("filtered to worker", func(m *Model) bool {
		return !m.reg.filtering && slices.Equal(m.reg.items(), []string{"worker"})
	})
	h.keys("enter")
	h.until("tags open", func(m *Model) bool { return m.reg.mode == regTags && len(m.reg.tags) == 2 })
	h.called("tags worker")
	h.keys("enter")
	h.until("image open", func(m *Model) bool { return m.reg.mode == regImage })
	h.called("inspect worker:latest")
	h.keys("x")
	h.until("delete asks", func(m *Model) bool { return m.confirm != nil })
	h.keys("y")
	h.until("deleted and tags reloaded", func(m *Model) bool {
		return jobIs("delete worker:latest", jobDone)(m) && m.reg.mode == regTags && slices.Equal(m.reg.tags, []string{"v1"})
	})
	h.keys("esc", "esc")
	h.until("back to repos", func(m *Model) bool { return m.reg.mode == regRepos })
	h.keys("g")
	h.until("gc asks", func(m *Model) bool { return m.confirm != nil })
	h.keys("y")
	h.until("gc done", jobIs("gc", jobDone))
	h.called("gc")
}

// TestRegistryImageListsReferrers: the image view lists the image's
// referrers (an SBOM) under its layers.
func TestRegistryImageListsReferrers(t *testing.T) {
	f := &fake{state: healthyState(), tags: map[string][]string{"worker": {"latest"}}}
	h := newHarness(t, f, 120, 60)
	h.keys("/", "w", "o", "r", "enter")
	h.until("filtered to worker", func(m *Model) bool {
		return !m.reg.filtering && slices.Equal(m.reg.items(), []string{"worker"})
	})
	h.keys("enter")
	h.until("tags open", func(m *Model) bool { return m.reg.mode == regTags && len(m.reg.tags) == 1 })
	h.keys("enter")
	h.until("image open", func(m *Model) bool { return m.reg.mode == regImage && m.reg.image.Digest != "" })
	v := plainView(h.final())
	if !strings.Contains(v, "1 referrer") || !strings.Contains(v, "sha256:5a5a5a5a5a5a     512 B signature (notary)") {
		t.Errorf("the image view does not list the referrer:\n%s", v)
	}
}

// TestRegistryMarksSignedTags: the tags view says what each tag holds and
// marks the signed ones; the image view of a signed tag says so.
func TestRegistryMarksSignedTags(t *testing.T) {
	f := &fake{state: healthyState(), tags: map[string][]string{"worker": {"latest", "v1"}}, signed: map[string]bool{"worker:v1": true}}
	h := newHarness(t, f, 120, 60)
	h.keys("/", "w", "o", "r", "enter")
	h.until("filtered to worker", func(m *Model) bool {
		return !m.reg.filtering && slices.Equal(m.reg.items(), []string{"worker"})
	})
	h.keys("enter")
	h.until("tags open", func(m *Model) bool { return m.reg.mode == regTags && len(m.reg.tags) == 2 })
	v := plainView(h.final())
	if !strings.Contains(v, "v1      image  ✓ signed") || strings.Contains(v, "latest  image  ✓") || !strings.Contains(v, "latest  image") {
		t.Errorf("the tags view does not mark v1 (only) as signed:\n%s", v)
	}
}

func TestKeyLogsServeRefresh(t *testing.T) {
	f := &fake{state: engineDownState()}
	h := newHarness(t, f, 80, 24)
	h.keys("s")
	h.until("serving shown", func(m *Model) bool { return m.svc.st != nil && m.svc.st.Serving })
	h.keys("s")
	h.until("serve stopped", jobIs("serve", jobCancelled))

	f.mu.Lock()
	f.state = healthyState()
	f.mu.Unlock()
	h.keys("r")
	// Serving alone reads as OK too: wait for the healthy snapshot itself.
	h.until("refreshed", func(m *Model) bool {
		return m.svc.st != nil && !m.svc.st.Serving && m.svc.level() == lvlOK && !m.refreshing
	})
	h.keys("tab", "tab", "l")
	h.until("log line", func(m *Model) bool {
		return strings.Contains(strings.Join(m.log.lines, "\n"), "listening on [::]:5000")
	})
	h.called("logs registry")
	h.keys("l")
	h.until("logs stopped", jobIs("logs registry", jobCancelled))
}

func TestCtrlCCancelsJobThenQuits(t *testing.T) {
	f := &fake{state: healthyState(), pushEvents: pushEvents(), hold: true}
	h := newHarness(t, f, 80, 24)
	h.keys("p")
	h.until("push running", jobIs("push all", jobRunning))
	h.keys("q")
	h.until("quit asks", func(m *Model) bool { return m.confirm != nil })
	h.keys("n")
	h.until("still running", func(m *Model) bool { return m.confirm == nil && jobIs("push all", jobRunning)(m) })
	h.keys("ctrl+c")
	h.until("push cancelled", jobIs("push all", jobCancelled))
	h.keys("q") // nothing runs: quits at once
	fm := h.tm.FinalModel(t).(*Model)
	if !strings.Contains(strings.Join(fm.log.lines, "\n"), "push all cancelled") {
		t.Errorf("log lacks the cancellation:\n%s", strings.Join(fm.log.lines, "\n"))
	}
}

func TestFailedJobSaysWhy(t *testing.T) {
	f := &fake{state: healthyState(), fail: map[string]error{"up": errors.New("stack: up esb: port 5000 in use by pid 42 (nginx): stop it or set ESB_REGISTRY")}}
	h := newHarness(t, f, 80, 24)
	h.keys("u")
	h.until("up failed", jobIs("up", jobFailed))
	v := plainView(h.final())
	if !strings.Contains(v, "✗ up failed") || !strings.Contains(v, "port 5000 in use") {
		t.Errorf("failure not shown in words:\n%s", v)
	}
}

// With a plan that needs root the sudo command runs in the foreground
// first; the install runs only when it succeeds.
func TestKeyTrustSudoFirst(t *testing.T) {
	for _, tc := range []struct {
		sudo    string
		install bool
	}{{"true", true}, {"false", false}} {
		t.Run(tc.sudo, func(t *testing.T) {
			f := &fake{state: freshState(), plan: TrustPlan{Lines: []string{"write /usr/local/share/ca-certificates/esbtui.crt"}, Sudo: []string{tc.sudo}}}
			h := newHarness(t, f, 80, 24)
			h.keys("t")
			var v string
			h.until("the plan is shown", func(m *Model) bool { v = plainView(m); return m.confirm != nil })
			if !strings.Contains(v, "needs root") {
				t.Errorf("the plan does not say it needs root:\n%s", v)
			}
			h.keys("y")
			if tc.install {
				h.until("trust done", jobIs("trust", jobDone))
				h.called("trust")
				return
			}
			h.until("sudo failure logged", func(m *Model) bool {
				return strings.Contains(strings.Join(m.log.lines, "\n"), "nothing changed")
			})
			if slices.Contains(f.Calls(), "trust") {
				t.Fatal("installed although sudo failed")
			}
		})
	}
}

func TestKeyTrustNothingToDo(t *testing.T) {
	f := &fake{state: healthyState(), plan: TrustPlan{Empty: true, Lines: []string{"= system: nothing to do (trusted)"}}}
	h := newHarness(t, f, 80, 24)
	h.keys("t")
	h.until("nothing to do logged", func(m *Model) bool {
		return strings.Contains(strings.Join(m.log.lines, "\n"), "trust: nothing to do")
	})
	if h.final().confirm != nil {
		t.Error("asked to confirm an empty plan")
	}
}

// Engine events reach the Services pane as they come, without `r`.
func TestWatchUpdatesServices(t *testing.T) {
	f := &fake{state: healthyState(), watch: make(chan *StackState)}
	h := newHarness(t, f, 80, 24)
	st := *healthyState().Stack
	st.Services = append([]Service(nil), st.Services...)
	st.Services[0].State, st.Services[0].Health, st.Services[0].Detail = "exited", "", "exit code 2 level=fatal msg=\"configuration error\""
	f.watch <- &st
	// The fake's snapshot still says running: only the watch can say exited.
	var v string
	h.until("registry shown exited", func(m *Model) bool {
		v = plainView(m)
		return m.svc.st != nil && len(m.svc.st.Services) > 0 && m.svc.st.Services[0].State == "exited"
	})
	for _, want := range []string{"✗ registry exited", "exit code 2 level=fatal"} {
		if !strings.Contains(v, want) {
			t.Errorf("frame lacks %q:\n%s", want, v)
		}
	}
	h.called("watch")
}
