package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/progress"
)

// newEventsCmd builds `esbtui events`.
func newEventsCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "events",
		Short: "Print the registry's pushes, pulls and deletes live (from any client) until Ctrl-C",
		Long: `events receives the registry's notifications: the stack's registry POSTs every
manifest push, pull and delete (and blob deletes), whoever made them (docker,
crane, esbtui), to a listener esbtui runs on the address containers reach as
host.docker.internal, port = registry port + 2, with a bearer token from
~/.esb/auth/events-token. Events that happened while nothing listened were
queued by the registry and arrive first. With --json, one JSON object a line.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := a.env.WatchRegistryEvents(cmd.Context())
			if err != nil {
				return err
			}
			addr := l.Addr
			if a.jsonOut {
				fmt.Fprintf(a.stderr, "{\"listening\": %q}\n", addr)
			} else {
				a.printf("listening for registry events on %s; Ctrl-C to stop\n", addr)
			}
			for ev := range l.Events {
				if a.jsonOut {
					if err := a.printJSONLine(ev); err != nil {
						return fmt.Errorf("events: encode the event as JSON: %w", err)
					}
					continue
				}
				a.printf("%s\n", eventLine(ev))
			}
			// The channel also closes when the listener's server dies:
			// that is a failure, not the end of Ctrl-C.
			if err := l.Stopped(); err != nil {
				return fmt.Errorf("events: %w", err)
			}
			return nil
		},
	}
}

// eventLine is one registry event for people (and the TUI log).
func eventLine(ev flows.RegistryEvent) string {
	line := fmt.Sprintf("%s %-6s %s", ev.Time.Local().Format("15:04:05"), ev.Action, ev.Ref())
	if ev.Kind == "blob" {
		line += " (blob)"
	}
	if ev.Digest != "" && ev.Tag != "" {
		line += " " + ev.Digest
	}
	if ev.Size > 0 {
		line += " " + progress.Bytes(ev.Size)
	}
	return line + ev.Who()
}
