package main

import (
	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/internal/termtext"
)

// printMaintenance prints the registry's own schedules: each job's next
// run and last run, and what the recorded runs reclaimed.
func printMaintenance(a *app, m *flows.MaintenanceStatus) {
	if m == nil {
		return
	}
	a.printf("\nregistry maintenance:\n")
	if m.Error != "" {
		a.printf("  ✗ %s\n", termtext.Clean(m.Error))
		return
	}
	for _, j := range m.Jobs {
		a.printf("  %-10s %-16s next %s", j.Job, termtext.Clean(j.Spec), j.Next.Local().Format("2006-01-02 15:04:05"))
		if r := j.LastRun; r != nil {
			a.printf(", last %s", r.Finished.Local().Format("2006-01-02 15:04:05"))
			if r.Error != "" {
				a.printf(" ✗ %s", termtext.Clean(r.Error))
			} else {
				a.printf(" ✓ reclaimed %s", progress.Bytes(r.BytesReclaimed))
			}
		}
		a.printf("\n")
	}
	a.printf("  reclaimed by the recorded runs: %s\n", progress.Bytes(m.ReclaimedBytes))
}
