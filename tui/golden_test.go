package tui

import (
	"fmt"
	"testing"

	"github.com/charmbracelet/x/exp/golden"
)

// TestGolden pins the final frame of each scenario at 80x24 and 160x48.
// Regenerate with: go test ./tui -run TestGolden -update
func TestGolden(t *testing.T) {
	scenarios := []struct {
		name  string
		state func() State
		setup func(h *harness)
	}{
		{name: "fresh", state: freshState},
		{name: "healthy", state: healthyState},
		{name: "engine_down", state: engineDownState},
		{name: "cert_expiring", state: expiringState},
		{name: "mirrors", state: mirrorsHealthyState},
		{name: "push", state: healthyState, setup: func(h *harness) {
			h.keys("p")
			h.until("all push events", func(m *Model) bool {
				j := m.jobs.current()
				if j == nil || len(j.order) != 3 {
					return false
				}
				cur, _ := j.totals()
				return cur == 16_000_000
			})
		}},
		{name: "doctor_ok", state: healthyState, setup: func(h *harness) {
			h.f.doctor = healthyDoctor()
			h.keys("c")
			h.until("the doctor report", doctorShown)
		}},
		{name: "doctor_fail", state: engineDownState, setup: func(h *harness) {
			h.f.doctor = stackDownDoctor()
			h.keys("c")
			h.until("the doctor report", doctorShown)
		}},
		{name: "doctor_running", state: healthyState, setup: func(h *harness) {
			h.f.doctor, h.f.doctorHold, h.f.doctorHoldAt = stackDownDoctor(), make(chan struct{}), 8
			h.keys("c")
			h.until("8 checks done, the 9th running", doctorPartial(8))
		}},
	}
	for _, sc := range scenarios {
		for _, size := range [][2]int{{80, 24}, {160, 48}} {
			t.Run(fmt.Sprintf("%s_%dx%d", sc.name, size[0], size[1]), func(t *testing.T) {
				f := &fake{state: sc.state(), pushEvents: pushEvents(), hold: true}
				h := newHarness(t, f, size[0], size[1])
				if sc.setup != nil {
					sc.setup(h)
				}
				golden.RequireEqual(t, h.final().View().Content)
			})
		}
	}
}

func doctorShown(m *Model) bool { return m.doc.open && !m.doc.running && m.doc.report != nil }

// doctorPartial: the overlay is open on a running doctor that has finished
// n checks and started the next.
func doctorPartial(n int) func(*Model) bool {
	return func(m *Model) bool {
		l := m.doc.live
		return m.doc.open && m.doc.running && len(l) == n+1 && m.doctorChecked() == n && l[n].status == ""
	}
}
