package flows

import (
	"errors"
	"fmt"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/trust"
)

// planRun is what ExecuteTrust and ExecuteMirrors share while they go
// through a plan item by item: the results so far, the error naming the
// items that failed, the progress reporter and the audit log entries.
type planRun struct {
	env *Env
	rep progress.Reporter
	te  *TrustError
	// failedAction and doneAction name the audit entries of an item whose
	// plan failed or ran.
	failedAction, doneAction string
	// root is the sandbox prefix the plans ran under (audited when set).
	root    string
	results []TrustResult
}

// newPlanRun starts going through an op plan of verb ("trust", "mirror").
func newPlanRun(e *Env, verb string, op trust.Op, root string, sink progress.Sink) *planRun {
	return &planRun{
		env:          e,
		rep:          progress.Reporter{Op: verb + " " + string(op), Sink: sink},
		te:           &TrustError{Op: op},
		failedAction: verb + "." + string(op) + ".failed",
		doneAction:   map[trust.Op]string{trust.OpInstall: verb + ".installed", trust.OpUninstall: verb + ".removed"}[op],
		root:         root,
	}
}

// settledWithoutRunning records the result of an item that has nothing to
// run (not applicable, cannot plan, nothing to do) and reports true; false
// when the item has a plan to run.
func (pr *planRun) settledWithoutRunning(it TrustPlanItem) bool {
	r := TrustResult{Store: it.Store}
	switch {
	case it.Skip != "":
		r.Outcome, r.After = TrustNotApplicable, it.Status
		pr.rep.Emit(progress.Event{Step: it.Store, Status: progress.Skipped, Message: "not applicable: " + it.Skip})
	case it.Error != "":
		r.Outcome, r.Error, r.After = TrustFailed, it.Error, it.Status
		pr.te.Failed, pr.te.Errs = append(pr.te.Failed, it.Store), append(pr.te.Errs, errors.New(it.Error))
		pr.rep.Emit(progress.Event{Step: it.Store, Status: progress.Failed, Message: "cannot plan", Err: it.Error})
	case it.Plan.Empty():
		r.Outcome, r.After = TrustNothingToDo, it.Status
		pr.rep.Emit(progress.Event{Step: it.Store, Status: progress.Skipped, Message: "nothing to do (" + string(r.After.State) + ")"})
	default:
		return false
	}
	pr.results = append(pr.results, r)
	return true
}

// start reports that an item's plan of steps starts running.
func (pr *planRun) start(store string, steps int) {
	pr.rep.Emit(progress.Event{Step: store, Status: progress.Start, Message: fmt.Sprintf("%d step(s)", steps)})
}

// ran records what running an item's plan did (err nil: done), with the
// audit entry (fields, plus the sandbox root and the error) and the
// progress event.
func (pr *planRun) ran(r TrustResult, err error, fields map[string]any) {
	if pr.root != "" {
		fields["root"] = pr.root
	}
	if err != nil {
		r.Outcome, r.Error = TrustFailed, err.Error()
		pr.te.Failed, pr.te.Errs = append(pr.te.Failed, r.Store), append(pr.te.Errs, err)
		fields["error"] = err.Error()
		pr.env.record(pr.failedAction, fields)
		pr.rep.Emit(progress.Event{Step: r.Store, Status: progress.Failed, Message: string(r.After.State), Err: err.Error()})
	} else {
		r.Outcome = TrustDone
		pr.te.Succeeded = append(pr.te.Succeeded, r.Store)
		pr.env.record(pr.doneAction, fields)
		pr.rep.Emit(progress.Event{Step: r.Store, Status: progress.Done, Message: string(r.After.State)})
	}
	pr.results = append(pr.results, r)
}

// outcome is every item's result, and the TrustError when any failed.
func (pr *planRun) outcome() ([]TrustResult, error) {
	if len(pr.te.Failed) > 0 {
		return pr.results, pr.te
	}
	return pr.results, nil
}
