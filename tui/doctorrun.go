package tui

import (
	"context"
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/esbtui/esbtui/internal/progress"
)

// doctorEvent records a running doctor's progress event: a Start adds the
// link as running, its end gives it a verdict and a result. Events of
// another job (an earlier, cancelled run) are ignored.
func (m *Model) doctorEvent(j *job, e progress.Event) {
	if j.id != m.doc.job || e.Op != jobDoctor.String() || e.Step == "" {
		return
	}
	if e.Status == progress.Start {
		m.doc.live = append(m.doc.live, doctorLive{name: e.Step})
		return
	}
	status := map[progress.Status]string{progress.Done: CheckOK, progress.Warning: CheckWarn, progress.Failed: CheckFail, progress.Skipped: CheckSkipped}[e.Status]
	if status == "" {
		return
	}
	text := e.Message
	if e.Status == progress.Failed && e.Err != "" {
		text = e.Err
	}
	for i := len(m.doc.live) - 1; i >= 0; i-- {
		if l := &m.doc.live[i]; l.name == e.Step && l.status == "" {
			l.status, l.text = status, text
			return
		}
	}
	m.doc.live = append(m.doc.live, doctorLive{name: e.Step, status: status, text: text})
}

// runDoctor starts the doctor as a job and opens the overlay, which shows
// the report when the job ends. While it runs, c only reopens the overlay.
func (m *Model) runDoctor() tea.Cmd {
	if m.doc.running {
		m.doc.open = true
		return nil
	}
	var rep DoctorReport
	b := m.b
	cmd := m.runJob(jobSpec{kind: jobDoctor}, func(ctx context.Context, sink progress.Sink) (string, error) {
		rep = b.Doctor(ctx, sink)
		if err := ctx.Err(); err != nil {
			return "", err
		}
		return doctorSummary(rep), nil
	}, func(m *Model) tea.Cmd {
		m.doc.report, m.doc.offset, m.doc.open = &rep, 0, true
		return nil
	}, func(m *Model) {
		// A failed or cancelled run has no report to show (the Log says
		// why); a finished one reopens the overlay in after.
		m.doc.running, m.doc.open = false, false
	})
	if cmd != nil {
		m.doc.open, m.doc.running, m.doc.offset = true, true, 0
		m.doc.job, m.doc.live = m.jobs.jobs[len(m.jobs.jobs)-1].id, nil
	}
	return cmd
}

// doctorSummary is the job's one-line result.
func doctorSummary(r DoctorReport) string {
	n := map[string]int{}
	for _, c := range r.Checks {
		n[c.Status]++
	}
	if f, ok := r.FirstFailure(); ok {
		return fmt.Sprintf("%d ok, %d warn, %d failed; first broken link: %s (fix: %s)", n[CheckOK], n[CheckWarn], n[CheckFail], f.Name, f.Fix)
	}
	if n[CheckWarn] > 0 {
		return fmt.Sprintf("no check failed; %d ok, %d warn", n[CheckOK], n[CheckWarn])
	}
	return fmt.Sprintf("all %d checks passed", len(r.Checks))
}

// doctorChecked is how many links the running doctor has finished.
func (m *Model) doctorChecked() int {
	n := 0
	for _, l := range m.doc.live {
		if l.status != "" {
			n++
		}
	}
	return n
}
