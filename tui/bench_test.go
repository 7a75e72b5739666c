package tui

import (
	"fmt"
	"testing"
)

// BenchmarkView measures a frame during a push: Jobs and Log change on every
// frame (as at 20 updates/s), the other panes come from the cache.
// BenchmarkView/idle is a frame where nothing changed.
func BenchmarkView(b *testing.B) {
	for _, sz := range [][2]int{{80, 24}, {120, 40}, {160, 48}} {
		m := newStatic(healthyState(), sz[0], sz[1])
		m.Update(keyMsg("p"))
		id := m.jobs.current().id
		m.Update(jobEventsMsg{id: id, events: pushEvents()})
		b.Run(fmt.Sprintf("push_%dx%d", sz[0], sz[1]), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.jobs.rev++
				m.log.rev++
				_ = m.View()
			}
		})
		b.Run(fmt.Sprintf("idle_%dx%d", sz[0], sz[1]), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = m.View()
			}
		})
		b.Run(fmt.Sprintf("cold_%dx%d", sz[0], sz[1]), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.styleGen++ // invalidates every pane
				_ = m.View()
			}
		})
		m.stop()
	}
}
