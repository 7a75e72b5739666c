package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/progress"
)

// newDoctorCmd builds `esbtui doctor`.
func newDoctorCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "doctor",
		Short: "Check every link of the chain in order; say which one is broken and how to fix it",
		Long: `doctor checks, in order: the root CA, the server certificate, each trust store,
the engine, certs.d entries, the stack's services, a TLS handshake to the registry
verified with the SYSTEM roots (what curl and browsers see), the registry API, and a
probe image pushed, pulled back, run and deleted; then the registry's alerts (storage
filesystem use, push and pull success, API p95; thresholds in esb.yaml's alerts). Each
check prints ok / warn / fail, one line why and one line fix (an alert that cannot be
measured is skipped, saying why). Exit 3 when any check fails.

While the checks run, each link's start and result are printed live on stderr
(JSON lines with --json); stdout gets the report only, at the end.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			rep := a.env.Doctor(cmd.Context(), a.doctorSink())
			if err := a.output(rep, func() { printDoctor(a, rep) }); err != nil {
				return err
			}
			if rep.Failed() {
				return &exitError{code: exitProblems}
			}
			return nil
		},
	}
}

// doctorSink prints each link's start and end as it happens on stderr (plain
// lines, or JSON lines with --json), so that stdout holds only the report.
func (a *app) doctorSink() progress.Sink {
	if a.jsonOut {
		return &jsonLines{w: a.stderr}
	}
	return &plainLines{w: a.stderr}
}

func printDoctor(a *app, r flows.DoctorReport) {
	for _, c := range r.Checks {
		mark := map[flows.CheckStatus]string{flows.CheckOK: "✓ ok  ", flows.CheckWarn: "! warn", flows.CheckFail: "✗ FAIL", flows.CheckSkipped: "- skip"}[c.Status]
		a.printf("%s  %-32s %s\n", mark, c.Name, c.Why)
		if c.Fix != "" && c.Status != flows.CheckOK {
			a.printf("        %-32s fix: %s\n", "", c.Fix)
		}
	}
	if f, ok := r.FirstFailure(); ok {
		a.printf("\nFirst broken link: %s. Fix: %s\n", f.Name, f.Fix)
	} else {
		a.printf("\n%s\n", fmt.Sprintf("All %d checks passed.", len(r.Checks)))
	}
}
