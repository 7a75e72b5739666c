package trust

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestExecuteRunsTheShownPlan: a plan shown to the user is the unit that
// runs. When the store changes between the plan and its execution (here an
// older CA of this ESB_HOME reappears, which a fresh plan would also remove),
// the shown plan is not silently swapped for another: execution refuses and
// nothing is changed. Real update-ca-certificates in a sandbox.
func TestExecuteRunsTheShownPlan(t *testing.T) {
	old, cur := testCAs(t)
	ctx := context.Background()
	r := debianRoot(t)
	s := debianStore(t, r, cur.ca, nil)
	recordInstalled(s.cfg, old.ca)
	p, err := s.Plan(ctx, OpInstall)
	if err != nil {
		t.Fatal(err)
	}
	if err := runPlan(ctx, s.cfg, s, p); err != nil {
		t.Fatal(err)
	}

	shown, err := s.Plan(ctx, OpUninstall)
	if err != nil {
		t.Fatal(err)
	}
	// Between showing and running: an older CA's anchor appears.
	oldAnchor := filepath.Join(r, "usr/local/share/ca-certificates", baseName(old.ca.Cert)+".crt")
	copyFile(t, old.ca.File, oldAnchor)

	err = runPlan(ctx, s.cfg, s, shown)
	var changed *PlanChangedError
	if !errors.As(err, &changed) {
		t.Errorf("the store changed after the plan was shown, and execution said %v, want a *PlanChangedError", err)
	} else if changed.AlreadyDone() || len(changed.Now.Steps) != len(shown.Steps)+1 {
		t.Errorf("the fresh plan in the error is %q, want the shown one plus removing %s", stepsOf(changed.Now), oldAnchor)
	}
	for _, f := range []string{oldAnchor, s.anchorPath()} {
		if _, serr := os.Stat(f); serr != nil {
			t.Errorf("%s is gone: a plan other than the one shown ran (shown: %q)", f, stepsOf(shown))
		}
	}
}

// TestExecuteAlreadyDone: a plan whose work another step already did (on
// Debian, the system store's Java hook adds the CA to cacerts before the
// java store's turn) runs nothing and says so.
func TestExecuteAlreadyDone(t *testing.T) {
	_, cur := testCAs(t)
	ctx := context.Background()
	r := debianRoot(t)
	s := debianStore(t, r, cur.ca, nil)
	shown, err := s.Plan(ctx, OpInstall)
	if err != nil {
		t.Fatal(err)
	}
	if err := Execute(ctx, s.cfg, shown); err != nil {
		t.Fatal(err)
	}
	var changed *PlanChangedError
	if err := Execute(ctx, s.cfg, shown); !errors.As(err, &changed) || !changed.AlreadyDone() {
		t.Fatalf("executing a plan whose work is done: %v, want a *PlanChangedError with AlreadyDone", err)
	}
}
