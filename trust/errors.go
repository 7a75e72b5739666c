package trust

import (
	"errors"
	"fmt"
	"strings"
)

// ToolError is a tool that failed: its argv, exit code and the end of its
// stderr.
type ToolError struct {
	Argv     []string
	ExitCode int // -1 when it did not run or was killed
	Stderr   string
	Err      error
}

func (e *ToolError) Error() string {
	msg := fmt.Sprintf("%s: %v", quoteArgv(e.Argv), e.Err)
	if e.ExitCode >= 0 {
		msg = fmt.Sprintf("%s exited with status %d", quoteArgv(e.Argv), e.ExitCode)
	}
	if s := strings.TrimSpace(e.Stderr); s != "" {
		msg += ": " + s
	}
	return msg
}

func (e *ToolError) Unwrap() error { return e.Err }

// StepError is a plan that stopped at one step: what ran before it and what
// was not run, so the user knows the exact state the store is in.
type StepError struct {
	Store string
	Op    Op
	Step  Step
	Done  []Step
	Left  []Step
	Err   error
}

func (e *StepError) Error() string {
	msg := fmt.Sprintf("trust: %s %s: %s: %v", e.Store, e.Op, strings.Join(strings.Fields(e.Step.String()), " "), e.Err)
	if len(e.Done) > 0 || len(e.Left) > 0 {
		msg += fmt.Sprintf(" (%d step(s) done before it, %d not run; run `esbtui trust status` to see the store's state, then retry)", len(e.Done), len(e.Left))
	}
	return msg
}

func (e *StepError) Unwrap() error { return e.Err }

// NeedsRootError is a plan that needs root when esbtui is not root and may
// not elevate (headless without --yes, no sudo, or Windows not elevated).
type NeedsRootError struct {
	Plan Plan
	Why  string
}

func (e *NeedsRootError) Error() string {
	return fmt.Sprintf("trust: %s %s needs root: %s", e.Plan.Store, e.Plan.Op, e.Why)
}

// ErrNeedsRoot matches every NeedsRootError with errors.Is.
var ErrNeedsRoot = errors.New("trust: needs root")

func (e *NeedsRootError) Is(target error) bool { return target == ErrNeedsRoot }

// NotApplicableError is an operation asked of a store that does not exist
// on this machine.
type NotApplicableError struct {
	Store  string
	Reason string
}

func (e *NotApplicableError) Error() string {
	return fmt.Sprintf("trust: %s: not applicable: %s", e.Store, e.Reason)
}

// PlanChangedError is a plan that was not run because the store changed
// after it was shown: a fresh plan has other steps. Nothing was changed.
type PlanChangedError struct {
	Shown Plan
	Now   Plan
}

// AlreadyDone reports whether the store needs nothing any more: something
// else (another store's step, another run) already did what the plan shown
// would have done.
func (e *PlanChangedError) AlreadyDone() bool { return e.Now.Empty() }

func (e *PlanChangedError) Error() string {
	if e.AlreadyDone() {
		return fmt.Sprintf("trust: %s %s: the store changed after the plan was shown and needs nothing now; nothing was run", e.Shown.Store, e.Shown.Op)
	}
	return fmt.Sprintf("trust: %s %s: the store changed after the plan was shown (%d step(s) shown, %d needed now); nothing was run: run `esbtui trust %s` again to see the new plan",
		e.Shown.Store, e.Shown.Op, len(e.Shown.Steps), len(e.Now.Steps), e.Shown.Op)
}
