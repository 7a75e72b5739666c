package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/termtext"
)

// newAuditCmd builds `esbtui audit`.
func newAuditCmd(a *app) *cobra.Command {
	var since string
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Print the audit log: every change esbtui made (certs, trust, stack, pushes, deletes, GC)",
		Long: `audit prints $ESB_HOME/audit.jsonl, one change per line, merged with the
runs esbtui's registry made on its own schedule (gc.schedule,
retention.schedule in esb.yaml; marked [registry], "source": "registry"
in --json) when the stack is up.
--since takes a duration (24h, 30m) or a date/time (2026-11-24, RFC 3339).`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			from, err := parseSince(since, time.Now())
			if err != nil {
				return &usageError{err}
			}
			entries, regErr, err := a.env.AuditWithRegistry(cmd.Context(), from)
			if err != nil {
				return err
			}
			if regErr != nil {
				a.env.Log.Info("audit: the registry's own runs are not shown", "error", regErr.Error())
			}
			return a.output(entries, func() { printAudit(a, entries) })
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "only entries newer than a duration (24h) or a time (2026-11-24, RFC 3339)")
	return cmd
}

// printAudit prints one line per change: time, action, fields by name.
func printAudit(a *app, entries []flows.AuditEntry) {
	if len(entries) == 0 {
		a.printf("no changes recorded in %s\n", a.env.Audit.Path)
	}
	for _, e := range entries {
		keys := make([]string, 0, len(e.Fields))
		for k := range e.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var kv []string
		for _, k := range keys {
			kv = append(kv, fmt.Sprintf("%s=%v", k, e.Fields[k]))
		}
		src := ""
		if e.Source != "" {
			src = "[" + termtext.Clean(e.Source) + "] "
		}
		// The log is a file in ESB_HOME and the registry's runs come from its
		// container: every part of the line is cleaned, not only the fields.
		a.printf("%s  %s%-22s %s\n", e.Time.Local().Format("2006-01-02 15:04:05"), src, termtext.Clean(e.Action), termtext.Clean(strings.Join(kv, " ")))
	}
}

func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("--since %q: give a duration like 24h or a date like 2026-11-24", s)
}
