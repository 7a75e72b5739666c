package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/trust"
)

// An engine asked for by name that does not apply fails the run, and the
// error names the command that was run: mirror, not trust.
func TestPlanFlowNamesItsVerbForANamedItemThatDoesNotApply(t *testing.T) {
	var out bytes.Buffer
	a := newApp(strings.NewReader(""), &out, &out)
	plan := &flows.TrustPlan{Op: trust.OpInstall, Items: []flows.TrustPlanItem{{Store: "podman", Skip: "podman is not installed"}}}
	f := planFlow{verb: "mirror", title: "Mirror", changes: "engine configuration", word: mirrorWord,
		execute: func(context.Context) ([]flows.TrustResult, error) {
			t.Fatal("a plan with nothing to run was executed")
			return nil, nil
		}}
	applied, _, err := f.run(context.Background(), a, plan, []string{"podman"}, false)
	if applied || err == nil {
		t.Fatalf("run = applied %v, err %v; want not applied and an error", applied, err)
	}
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != exitFailed {
		t.Fatalf("err = %#v, want an exitError with exitFailed", err)
	}
	if want := "mirror: podman: not applicable: podman is not installed"; !strings.Contains(err.Error(), want) {
		t.Errorf("err = %q, want it to contain %q", err, want)
	}
}
