package tui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/esbtui/esbtui/internal/progress"
)

// rate is bytes per second over the job so far, from the producer's clock.
func (j *job) rate() float64 {
	cur, _ := j.totals()
	d := j.last.Sub(j.first).Seconds()
	if d <= 0 {
		return 0
	}
	return float64(cur) / d
}

// jobsPane shows the latest job in detail and earlier ones in one line each.
type jobsPane struct {
	jobs []*job
	// functions are what b builds and p pushes (State.Functions).
	functions []string
	rev       int
}

func (p *jobsPane) setFunctions(fns []string) {
	if !slices.Equal(fns, p.functions) {
		p.functions = fns
		p.rev++
	}
}

func (p *jobsPane) functionsLine(st *styles) string {
	if len(p.functions) == 0 {
		return st.dim.Render("no functions to build: add functions/<name>/Dockerfile")
	}
	return st.dim.Render("functions: " + strings.Join(p.functions, ", ") + " (b builds and pushes them)")
}

func (p *jobsPane) title() string { return "Jobs" }

func (p *jobsPane) version() int { return p.rev }

// key: the pane has no keys of its own.
func (p *jobsPane) key(*keyMap, tea.KeyPressMsg) tea.Cmd { return nil }

func (p *jobsPane) running() []*job {
	var out []*job
	for _, j := range p.jobs {
		if j.state == jobRunning {
			out = append(out, j)
		}
	}
	return out
}

func (p *jobsPane) byID(id int) *job {
	for _, j := range p.jobs {
		if j.id == id {
			return j
		}
	}
	return nil
}

func (p *jobsPane) add(j *job) {
	p.jobs = append(p.jobs, j)
	if len(p.jobs) > 50 {
		p.jobs = p.jobs[len(p.jobs)-50:]
	}
	p.rev++
}

// current is the job shown in detail: the latest foreground one running,
// else the latest one.
func (p *jobsPane) current() *job {
	for i := len(p.jobs) - 1; i >= 0; i-- {
		if j := p.jobs[i]; j.state == jobRunning && !j.bg {
			return j
		}
	}
	if len(p.jobs) > 0 {
		return p.jobs[len(p.jobs)-1]
	}
	return nil
}

func jobLevel(j *job) int {
	switch j.state {
	case jobRunning:
		return lvlBusy
	case jobDone:
		return lvlOK
	case jobCancelled:
		return lvlWarn
	}
	return lvlBad
}

func (p *jobsPane) level() int {
	if j := p.current(); j != nil {
		return jobLevel(j)
	}
	return lvlNone
}

// transferText is "15.3/29.6 MiB · 3.8 MiB/s · ETA 4s": one unit when both
// counts share it, so the ETA still fits an 80-column pane.
func transferText(j *job) string {
	cur, total := j.totals()
	s := progress.Bytes(cur) + "/" + progress.Bytes(total)
	if nc, uc, ok := strings.Cut(progress.Bytes(cur), " "); ok {
		if nt, ut, ok := strings.Cut(progress.Bytes(total), " "); ok && uc == ut {
			s = nc + "/" + nt + " " + ut
		}
	}
	if r := j.rate(); r > 0 {
		s += " · " + progress.Bytes(int64(r)) + "/s"
		if j.state == jobRunning && cur < total {
			s += " · ETA " + humanDuration(time.Duration(float64(total-cur)/r*float64(time.Second)))
		}
	}
	return s
}

func (p *jobsPane) status(st *styles) string {
	if j := p.current(); j != nil && j.state == jobRunning {
		text := j.name
		if cur, total := j.totals(); total > 0 {
			text += fmt.Sprintf(" %d%%", cur*100/total)
		}
		if n := len(p.running()); n > 1 {
			text += fmt.Sprintf(" (+%d)", n-1)
		}
		return st.mark(lvlBusy, text)
	}
	if j := p.current(); j != nil {
		return st.mark(jobLevel(j), j.name+" "+string(j.state))
	}
	return st.mark(lvlNone, "idle")
}

func (p *jobsPane) summary(st *styles) string {
	j := p.current()
	if j == nil {
		return "no jobs yet"
	}
	s := j.name + " " + string(j.state)
	if cur, total := j.totals(); total > 0 && j.state == jobRunning {
		s += fmt.Sprintf(" %d%%", cur*100/total)
	}
	return s
}

func (p *jobsPane) body(f paneFrame) []string {
	st, w := f.st, f.w
	j := p.current()
	if j == nil {
		return []string{st.dim.Render("no jobs yet: i init · t trust · u up · b build · p push"), p.functionsLine(st)}
	}
	lines := []string{st.mark(jobLevel(j), j.name+" "+string(j.state))}
	if j.state == jobRunning && j.message != "" {
		lines[0] += st.dim.Render("  " + j.message)
	}
	switch {
	case j.err != nil:
		lines = append(lines, st.bad.Render(symBad+" "+j.err.Error()))
	case j.result != "":
		lines = append(lines, st.ok.Render(symOK+" ")+j.result)
	}
	cur, total := j.totals()
	if total > 0 {
		bw := max(min(w-14, 40), 8)
		frac := float64(cur) / float64(total)
		lines = append(lines, fmt.Sprintf("overall %s %3d%%", bar(frac, bw), int(frac*100)))
		lines = append(lines, "  "+transferText(j))
		// A 5-cell bar at the narrowest keeps "19.1 MiB" whole in a 38-column pane.
		lw := max(min(w-34, 30), 5)
		for _, k := range j.order {
			it := j.items[k]
			f := float64(it.cur) / float64(max(it.total, 1))
			mark := st.sym(lvlBusy)
			switch it.status {
			case progress.Done, progress.Skipped:
				mark = st.sym(lvlOK)
			case progress.Failed:
				mark = st.sym(lvlBad)
			}
			lines = append(lines, fmt.Sprintf("  %s %-19s %s %s", mark, itemLabel(it), bar(f, lw), progress.Bytes(it.total)))
		}
	}
	for i := len(p.jobs) - 1; i >= 0; i-- {
		if o := p.jobs[i]; o != j {
			lines = append(lines, st.dim.Render("  ")+st.mark(jobLevel(o), o.name+" "+string(o.state)))
		}
	}
	return lines
}

// itemLabel is the item's short name and, for a push, its phase.
func itemLabel(it *itemProgress) string {
	name := shortDigest(it.name)
	switch it.phase {
	case "compress":
		return fmt.Sprintf("%-12.12s gzip", name)
	case "upload":
		return fmt.Sprintf("%-12.12s upload", name)
	}
	return name
}
