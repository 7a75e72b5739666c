package main

import (
	"errors"

	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/progress"
)

func printRegistry(a *app, s *flows.RegistryStatus) {
	if s == nil {
		return
	}
	a.printf("\nRegistry (%s)\n", s.Address)
	if !s.Reachable {
		mark := "✗"
		if s.Stage == string(flows.StageTCP) {
			mark = "·"
		}
		if s.Stage != "" {
			a.printf("  %s unreachable (%s): %s\n", mark, s.Stage, s.Error)
		} else {
			a.printf("  %s unreachable: %s\n", mark, s.Error)
		}
		if s.Fix != "" {
			a.printf("      fix       %s\n", s.Fix)
		}
		return
	}
	a.printf("  ✓ reachable  API %s, %d ms\n", orDash(s.APIVersion), s.LatencyMS)
	if s.Repositories >= 0 {
		a.printf("      repos     %d\n", s.Repositories)
	}
	if s.StorageBytes >= 0 {
		a.printf("      storage   %s (%s)\n", progress.Bytes(s.StorageBytes), s.StorageSource)
	}
	if m := s.Metrics; m != nil {
		a.printf("      metrics   %s\n", windowText(m))
		for _, l := range metricLines(m) {
			a.printf("        %s\n", l)
		}
	}
	if s.Error != "" {
		a.printf("      ! %s\n", s.Error)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// regErr makes a malformed reference a usage error (exit 2).
func regErr(err error) error {
	var bad *flows.BadReferenceError
	if errors.As(err, &bad) {
		return &usageError{err}
	}
	return err
}
