package tui

import (
	"context"
	"errors"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/esbtui/esbtui/internal/progress"
)

// jobState is where a job is in its life; the word is what the panes show.
type jobState string

// Job states.
const (
	jobRunning   jobState = "running"
	jobDone      jobState = "done"
	jobFailed    jobState = "failed"
	jobCancelled jobState = "cancelled"
)

// jobKind is what a job does; the dashboard dispatches on it, never on
// the job's name.
type jobKind int

// Job kinds, one per long Backend call.
const (
	jobInit jobKind = iota
	jobTrust
	jobUp
	jobDown
	jobBuild
	jobPush
	jobDelete
	jobGC
	jobServe
	jobLogs
	jobDoctor
)

// String is the kind's name in the panes and esbtui.log.
func (k jobKind) String() string {
	switch k {
	case jobInit:
		return "init"
	case jobTrust:
		return "trust"
	case jobUp:
		return "up"
	case jobDown:
		return "down"
	case jobBuild:
		return "build"
	case jobPush:
		return "push"
	case jobDelete:
		return "delete"
	case jobGC:
		return "gc"
	case jobServe:
		return "serve"
	case jobLogs:
		return "logs"
	case jobDoctor:
		return "doctor"
	}
	return "job"
}

// background kinds (logs, serve) are long-lived and run beside the one
// foreground job.
func (k jobKind) background() bool { return k == jobServe || k == jobLogs }

// jobSpec says what a job does and on what ("build" "hello").
type jobSpec struct {
	kind   jobKind
	target string // a function, a service, a repo:tag; "" for the whole
}

// name is the job's name in the panes and the log ("build hello").
func (s jobSpec) name() string {
	if s.target == "" {
		return s.kind.String()
	}
	return s.kind.String() + " " + s.target
}

// job is one long operation started from the dashboard.
type job struct {
	id      int
	spec    jobSpec
	name    string // spec.name()
	s       *stream
	state   jobState
	result  string
	err     error
	items   map[string]*itemProgress
	order   []string
	first   time.Time // first event time (producer clock)
	last    time.Time // latest event time
	message string    // latest step message
	// bg jobs (logs, serve) are long-lived and do not block other actions.
	bg bool
	// after runs when the job succeeds (e.g. reload the tags after a delete).
	after func(*Model) tea.Cmd
	// end runs when the job ends, whatever the outcome.
	end func(*Model)
}

// itemProgress is one layer (or other item with a size) of a job.
type itemProgress struct {
	name       string
	phase      string // the item's current step (compress, upload)
	cur, total int64
	status     progress.Status
}

func (j *job) apply(e progress.Event) {
	if j.first.IsZero() {
		j.first = e.Time
	}
	if e.Time.After(j.last) {
		j.last = e.Time
	}
	if e.Message != "" && e.Status != progress.Info {
		j.message = stepText(e)
	}
	if e.Total <= 0 && e.Item == "" {
		return
	}
	// Whole-image steps of a push (docker save export, the manifest at
	// the end) are not layers: the overall bar is the sum of the layers.
	if e.Step == "export" || e.Step == "image" {
		return
	}
	// One row per item (a layer): its phases (compress, upload) follow
	// each other on the same row.
	key := e.Item
	if key == "" {
		key = e.Step
	}
	it := j.items[key]
	if it == nil {
		if e.Total <= 0 {
			return
		}
		it = &itemProgress{name: e.Item}
		if it.name == "" {
			it.name = e.Step
		}
		j.items[key] = it
		j.order = append(j.order, key)
	}
	if e.Total > 0 {
		it.cur, it.total = e.Current, e.Total
	}
	if e.Item != "" {
		it.phase = e.Step
	}
	it.status = e.Status
	if e.Status == progress.Done || e.Status == progress.Skipped {
		it.cur = it.total
	}
}

func stepText(e progress.Event) string {
	s := e.Step
	if e.Item != "" {
		s += " " + e.Item
	}
	if e.Message != "" {
		if s != "" {
			s += ": "
		}
		s += e.Message
	}
	return s
}

func (j *job) finish(res string, err error) {
	j.result, j.err = res, err
	switch {
	case errors.Is(err, context.Canceled):
		j.state = jobCancelled
	case err != nil:
		j.state = jobFailed
	default:
		j.state = jobDone
	}
}

// totals sums the items with a known size.
func (j *job) totals() (cur, total int64) {
	for _, k := range j.order {
		it := j.items[k]
		cur += it.cur
		total += it.total
	}
	return cur, total
}
