package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/esbtui/esbtui/internal/flows"
)

// planOutcome is the JSON document of an install or uninstall: the plan
// (P), whether it was applied and what each store or engine did.
type planOutcome[P any] struct {
	Plan    P                   `json:"plan"`
	Applied bool                `json:"applied"`
	Results []flows.TrustResult `json:"results,omitempty"`
}

// planFlow is what `trust install/uninstall` and `mirror
// install/uninstall` share once the plan is printed: settle --dry-run and
// an empty plan, get consent (root or sudo, --yes headless, a prompt on a
// terminal), apply exactly that plan and print what each store or engine
// did.
type planFlow struct {
	// verb names the operation in errors ("trust", "mirror").
	verb string
	// title heads the printed results ("Trust", "Mirror").
	title string
	// changes is what the plan changes, for the headless refusal.
	changes string
	// word is a state as this command prints it.
	word func(flows.TrustState) string
	// execute applies the plan that was shown.
	execute func(context.Context) ([]flows.TrustResult, error)
}

// run carries out the flow for plan (asked for names, all when empty). It
// reports whether the plan was applied and what each item did.
func (f planFlow) run(ctx context.Context, a *app, plan *flows.TrustPlan, names []string, dryRun bool) (applied bool, results []flows.TrustResult, err error) {
	naNamed := namedNotApplicable(f.verb, plan, names)
	switch {
	case dryRun:
		if plan.Failed() {
			return false, nil, &exitError{code: exitFailed}
		}
		return false, nil, nil
	case plan.Empty():
		if plan.Failed() || naNamed != nil {
			return false, nil, &exitError{code: exitFailed, err: errors.Join(planErrors(plan), naNamed)}
		}
		return false, nil, nil
	}
	if !a.yes {
		how := "as root"
		if plan.NeedsRoot() {
			how = "through sudo"
		}
		if a.headless() {
			return false, nil, &exitError{code: exitFailed, err: fmt.Errorf("%s %s: the plan above changes %s (%s); re-run with --yes to apply it, or --dry-run to only print it", f.verb, plan.Op, f.changes, how)}
		}
		ok, err := a.ask(a.stdout, fmt.Sprintf("Apply this plan (%s)?", how))
		if err != nil {
			return false, nil, &exitError{code: exitFailed, err: fmt.Errorf("%s %s: %w; nothing changed", f.verb, plan.Op, err)}
		}
		if !ok {
			return false, nil, &exitError{code: exitFailed, err: fmt.Errorf("%s %s: cancelled, nothing changed", f.verb, plan.Op)}
		}
	}
	results, err = f.execute(ctx)
	if !a.jsonOut {
		printResults(a, f.title, results, f.word)
	}
	if err != nil {
		return true, results, &exitError{code: exitFailed, err: err}
	}
	if naNamed != nil {
		return true, results, &exitError{code: exitFailed, err: naNamed}
	}
	return true, results, nil
}

func planErrors(p *flows.TrustPlan) error {
	var errs []error
	for _, it := range p.Items {
		if it.Error != "" {
			errs = append(errs, errors.New(it.Error))
		}
	}
	return errors.Join(errs...)
}

// namedNotApplicable: a store or engine asked for by name that does not
// exist here is an error of verb ("trust", "mirror"), not a silent skip.
func namedNotApplicable(verb string, p *flows.TrustPlan, names []string) error {
	if len(names) == 0 {
		return nil
	}
	var errs []error
	for _, it := range p.Items {
		if it.Skip != "" {
			errs = append(errs, fmt.Errorf("%s: %s: not applicable: %s", verb, it.Store, it.Skip))
		}
	}
	return errors.Join(errs...)
}

// outputOutcome prints out as JSON when asked (the plan and results were
// printed as text as they came) and then returns the flow's error.
func outputOutcome[T any](a *app, out *T, err error) error {
	if out != nil {
		if jerr := a.output(out, nil); jerr != nil {
			return jerr
		}
	}
	return err
}
