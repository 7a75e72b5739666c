package trust

import (
	"context"
	"os"
)

// The constructors below let other packages that change engine
// configuration (enginemirror) build plans that Execute runs the same way:
// shown, audited and re-checked against a fresh plan of their Store.

// NewPlan starts a plan of store s (Execute re-plans s before it runs).
func NewPlan(s Store, op Op) Plan { return newPlan(s, op) }

// WriteStep writes data to path (atomically; through sudo `tee`).
func WriteStep(path string, data []byte, mode os.FileMode) Step {
	s := writeStep(path, data)
	s.Mode = mode
	return s
}

// RemoveStep removes path (a missing file is fine).
func RemoveStep(path string) Step { return removeStep(path) }

// RmdirStep removes dir when it is empty.
func RmdirStep(dir string) Step { return rmdirStep(dir) }

// RunStep runs argv (never through a shell); desc says why.
func RunStep(desc string, argv ...string) Step {
	s := runStep(argv...)
	s.Desc = desc
	return s
}

// Data is what a write step writes.
func (s Step) Data() []byte { return s.data }

// NeedsRoot reports whether writing into any of dirs needs privileges this
// process does not have (the nearest existing ancestor of each is checked).
func NeedsRoot(dirs ...string) bool { return needsRoot(dirs...) }

// CallStep runs fn in-process; desc says what it does (shown in the plan
// and compared when Execute re-plans).
func CallStep(desc string, fn func(context.Context) error) Step {
	return Step{Kind: StepCall, Desc: desc, call: fn}
}
