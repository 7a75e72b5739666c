package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/progress"
)

// defaultMetricsEvery is how often the Registry pane's rates refresh.
const defaultMetricsEvery = 3 * time.Second

// metricsTimeout bounds one scrape: a registry that stops answering
// delays the next refresh, never the UI.
const metricsTimeout = 2 * time.Second

// metricsPoll scrapes the registry's /metrics every few seconds while the
// stack is up and the Registry pane is on screen, and turns consecutive
// samples into live rates. Nothing ticks otherwise.
type metricsPoll struct {
	every    time.Duration
	prev     *flows.MetricsSample
	ticking  bool // a metricsTickMsg is on its way
	inflight bool // a scrape runs
	failing  bool // the last scrape failed (logged once per streak)
	shown    bool // the Registry pane holds live metrics or an error
	// win holds the scrapes of the last flows.DashboardAlertWindow: the
	// rate and p95 alerts are judged over it.
	win flows.MetricsWindow
}

type (
	metricsMsg struct {
		s   *flows.MetricsSample
		err error
	}
	metricsTickMsg struct{}
)

// stackUp: the stack's registry answers (not the in-process one, which
// has no metrics) and a service runs.
func (m *Model) stackUp() bool {
	s, r := m.state.Stack, m.state.Registry
	if s == nil || s.Serving || r == nil || !r.Reachable {
		return false
	}
	for _, svc := range s.Services {
		if svc.State == "running" {
			return true
		}
	}
	return false
}

// registryVisible: the Registry pane is drawn (full layout, no overlay).
func (m *Model) registryVisible() bool {
	return m.w >= minW && m.h >= minH && m.confirm == nil && !m.showHelp && !m.doc.open
}

// pollMetrics runs after every Update: it starts a scrape when one is due
// and clears the live rates when the stack went down.
func (m *Model) pollMetrics() tea.Cmd {
	p := &m.met
	if !m.stackUp() {
		if p.shown || p.prev != nil {
			p.prev, p.shown, p.failing = nil, false, false
			p.win.Reset()
			m.reg.setMetrics(nil, "")
			m.reg.setLiveAlerts(nil)
		}
		return nil
	}
	if p.ticking || p.inflight || !m.registryVisible() || m.ctx.Err() != nil {
		return nil
	}
	p.inflight = true
	b, ctx := m.b, m.ctx
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, metricsTimeout)
		defer cancel()
		s, err := b.ScrapeMetrics(ctx)
		return metricsMsg{s, err}
	}
}

func (m *Model) onMetrics(msg metricsMsg) tea.Cmd {
	p := &m.met
	p.inflight = false
	if !m.stackUp() {
		return nil
	}
	switch {
	case msg.err != nil:
		p.prev = nil
		p.win.Reset()
		m.reg.setMetrics(nil, msg.err.Error())
		m.reg.setLiveAlerts(nil)
		if !p.failing {
			m.logLine(m.now(), m.st.mark(lvlWarn, "metrics: "+msg.err.Error()))
			m.note(progress.Event{Op: "metrics", Status: progress.Warning, Err: msg.err.Error()})
		}
		p.failing = true
	case msg.s != nil:
		mm := flows.ComputeMetrics(p.prev, msg.s)
		p.prev, p.failing = msg.s, false
		m.reg.setMetrics(&mm, "")
		if m.state.Registry != nil {
			win := p.win.Add(msg.s)
			m.reg.setLiveAlerts(flows.MetricsAlerts(m.state.Registry.AlertThresholds, &win, ""))
		}
	}
	p.shown = true
	p.ticking = true
	return tea.Tick(p.every, func(time.Time) tea.Msg { return metricsTickMsg{} })
}

// sinceStartLabels say the rates are averages over the registry's life,
// the longest first.
var sinceStartLabels = []string{" since start", " lifetime"}

// metricsLines are the Registry pane's rates: one line when w allows,
// else two.
func metricsLines(mm *flows.Metrics, w int) []string {
	a := fmt.Sprintf("%s req/s · 5xx %.1f%% · p95 %s", rate(mm.RequestRate), 100*mm.ErrorRate, latency(mm.P95))
	b := fmt.Sprintf("in %s/s · out %s/s", byteRate(mm.BytesInRate), byteRate(mm.BytesOutRate))
	// Until the second scrape the rates are averages since the registry
	// started: say so, in fewer words where the pane is narrow (80
	// columns), and not at all where even those do not fit.
	if mm.Since == "start" {
		for _, since := range sinceStartLabels {
			if len([]rune(b+since)) <= w {
				b += since
				break
			}
		}
	}
	if one := a + " · " + b; len([]rune(one)) <= w {
		return []string{one}
	}
	return []string{a, b}
}

// byteRate is progress.Bytes with no decimal from 100 up: "500 KiB", "12.5 MiB".
func byteRate(r float64) string {
	s := progress.Bytes(int64(r))
	if num, unit, ok := strings.Cut(s, " "); ok && strings.Contains(num, ".") && len(num) > 4 {
		return strings.TrimSuffix(num[:strings.IndexByte(num, '.')], ".") + " " + unit
	}
	return s
}

func rate(r float64) string {
	if r >= 100 {
		return fmt.Sprintf("%.0f", r)
	}
	return fmt.Sprintf("%.1f", r)
}

func latency(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Round(time.Millisecond)/time.Millisecond)
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}
