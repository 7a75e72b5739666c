package trust

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
)

// StepKind is what a plan step does.
type StepKind string

// Step kinds. Files are written and removed by esbtui itself (or, through
// sudo, by `tee`, `rm` and `rmdir`); commands run as argv, never through a
// shell; calls are in-process API calls (Windows crypt32).
const (
	StepWrite  StepKind = "write"
	StepRemove StepKind = "remove"
	StepRmdir  StepKind = "rmdir" // remove a directory if it is empty
	StepRun    StepKind = "run"
	StepCall   StepKind = "call"
)

// Step is one action of a plan.
type Step struct {
	Kind StepKind    `json:"kind"`
	Path string      `json:"path,omitempty"`
	Mode os.FileMode `json:"mode,omitempty"`
	Argv []string    `json:"argv,omitempty"`
	// Desc says what a call does (the API and its arguments) or why a step
	// is there.
	Desc string `json:"desc,omitempty"`

	data []byte
	call func(context.Context) error
}

func writeStep(path string, data []byte) Step {
	return Step{Kind: StepWrite, Path: path, Mode: 0o644, data: data}
}

func removeStep(path string) Step { return Step{Kind: StepRemove, Path: path} }

func rmdirStep(path string) Step { return Step{Kind: StepRmdir, Path: path} }

func runStep(argv ...string) Step { return Step{Kind: StepRun, Argv: argv} }

// String renders the step for people: what a dry run prints.
func (s Step) String() string {
	switch s.Kind {
	case StepWrite:
		return fmt.Sprintf("write  %s (%04o, %d bytes)", s.Path, s.Mode.Perm(), len(s.data))
	case StepRemove:
		return "remove " + s.Path
	case StepRmdir:
		return "rmdir  " + s.Path + " (if empty)"
	case StepRun:
		return "run    " + quoteArgv(s.Argv)
	case StepCall:
		return "call   " + s.Desc
	}
	return string(s.Kind)
}

// quoteArgv shows argv unambiguously (arguments with spaces or quotes are
// quoted); it is for display only: argv is never given to a shell.
func quoteArgv(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`;&|<>*?") {
			out[i] = fmt.Sprintf("%q", a)
		} else {
			out[i] = a
		}
	}
	return strings.Join(out, " ")
}

// Plan is what installing or uninstalling the CA in one store does, in
// order: the unit that is shown, audited and run (Execute).
type Plan struct {
	Store     string
	Op        Op
	Steps     []Step
	NeedsRoot bool
	// Notes are shown with the plan (warnings, what happens after, entries
	// left because they belong to another esbtui CA).
	Notes []string

	// source is the store that made the plan: Execute asks it to plan again
	// (reading only) to check that the store still needs exactly these steps.
	source Store
}

// newPlan starts a plan of store s.
func newPlan(s Store, op Op) Plan { return Plan{Store: s.Name(), Op: op, source: s} }

// sameSteps reports whether q would do exactly what p does: the same steps
// (kind, path, mode, argv, call, bytes written) in the same order, with the
// same need for root.
func (p Plan) sameSteps(q Plan) bool {
	if p.Store != q.Store || p.Op != q.Op || p.NeedsRoot != q.NeedsRoot || len(p.Steps) != len(q.Steps) {
		return false
	}
	for i, a := range p.Steps {
		b := q.Steps[i]
		if a.Kind != b.Kind || a.Path != b.Path || a.Mode != b.Mode || a.Desc != b.Desc ||
			!slices.Equal(a.Argv, b.Argv) || !bytes.Equal(a.data, b.data) {
			return false
		}
	}
	return true
}

// Empty reports whether there is nothing to do.
func (p Plan) Empty() bool { return len(p.Steps) == 0 }

// Files lists every file or directory the plan writes or removes.
func (p Plan) Files() []string {
	var out []string
	for _, s := range p.Steps {
		if s.Path != "" {
			out = append(out, s.Path)
		}
	}
	return out
}

// Commands lists the argv of every command the plan runs (without sudo).
func (p Plan) Commands() [][]string {
	var out [][]string
	for _, s := range p.Steps {
		if s.Kind == StepRun {
			out = append(out, s.Argv)
		}
	}
	return out
}

// MarshalJSON includes the Files and Commands views.
func (p Plan) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Store     string     `json:"store"`
		Op        Op         `json:"op"`
		NeedsRoot bool       `json:"needs_root"`
		Files     []string   `json:"files"`
		Commands  [][]string `json:"commands"`
		Steps     []Step     `json:"steps"`
		Notes     []string   `json:"notes,omitempty"`
	}{p.Store, p.Op, p.NeedsRoot, nonNil(p.Files()), nonNilArgv(p.Commands()), nonNilSteps(p.Steps), p.Notes})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilArgv(s [][]string) [][]string {
	if s == nil {
		return [][]string{}
	}
	return s
}

func nonNilSteps(s []Step) []Step {
	if s == nil {
		return []Step{}
	}
	return s
}

// Lines renders the plan for people; elevated shows the sudo prefix the run
// will use.
func (p Plan) Lines(sudo []string) []string {
	if p.Empty() {
		return []string{"nothing to do"}
	}
	var out []string
	for _, s := range p.Steps {
		line := s.String()
		if len(sudo) > 0 && p.NeedsRoot && s.Kind != StepCall {
			line += "   (via " + sudo[0] + ")"
		}
		out = append(out, line)
	}
	return out
}
