package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/registryclient"
	"github.com/esbtui/esbtui/stack"
)

func init() {
	register(func(a *app) *cobra.Command {
		var dryRun bool
		cmd := &cobra.Command{
			Use:   "gc [--dry-run]",
			Short: "Reclaim the space of deleted images (registry garbage-collect --delete-untagged)",
			Long: `gc runs the registry's garbage collection on the stack's registry: manifests
without a tag and blobs no manifest references are deleted. The registry is
stopped during the sweep (a few seconds) and started again, healthy, with an
empty blob cache, so pushing the same image right after gc is safe.
--dry-run lists what would be deleted and how many bytes it holds, and leaves
the registry running. ` + "`esbtui prune --keep N`" + ` then ` + "`esbtui gc`" + ` is the
retention policy.`,
			Args: usageArgs(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				res, err := a.env.GC(cmd.Context(), dryRun, a.sink())
				if err != nil {
					return err
				}
				if a.jsonOut {
					return a.printJSON(res)
				}
				printGC(a, res)
				return nil
			},
		}
		cmd.Flags().BoolVar(&dryRun, "dry-run", false, "list what would be deleted; delete nothing, keep the registry running")
		return cmd
	})
	register(func(a *app) *cobra.Command {
		var interval time.Duration
		cmd := &cobra.Command{
			Use:   "metrics [--interval D]",
			Short: "Show the registry's request rate, error rate, p95 latency and bytes in/out",
			Long: `metrics reads the registry's Prometheus endpoint (its debug server, published on
127.0.0.1 at the registry port + 1) and prints request rate, 5xx error rate,
p95 request latency and request/response bytes: since the registry started,
or with --interval D over the next D (two scrapes).`,
			Args: usageArgs(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				m, err := a.env.Metrics(cmd.Context(), interval)
				if err != nil {
					return err
				}
				if a.jsonOut {
					return a.printJSON(m)
				}
				a.printf("registry metrics (%s, %s)\n", a.env.MetricsURL(), windowText(m))
				for _, l := range metricLines(m) {
					a.printf("  %s\n", l)
				}
				return nil
			},
		}
		cmd.Flags().DurationVar(&interval, "interval", 0, "measure over this long instead of since the registry started")
		return cmd
	})
}

func init() {
	register(func(a *app) *cobra.Command {
		auth := &cobra.Command{
			Use:   "auth",
			Short: "The registry's basic auth: status, rotate",
			Long: `The registry's basic auth is opt-in: ` + "`esbtui up --auth`" + ` creates the user esbtui
with a random password (~/.esb/auth/password, 0600, never printed), a bcrypt
htpasswd the registry mounts read-only, and logs the Docker CLI and esbtui in
($DOCKER_CONFIG/config.json, or its credential helper). ` + "`esbtui up --auth=false`" + `
turns it off. A registry published on a non-loopback address (--bind) needs it.`,
			Args: usageArgs(cobra.NoArgs),
		}
		status := &cobra.Command{
			Use:   "status",
			Short: "Say whether basic auth is on and where its files are",
			Args:  usageArgs(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				st := a.env.Auth()
				if a.jsonOut {
					return a.printJSON(st)
				}
				if !st.Enabled {
					a.printf("basic auth is off (turn it on: esbtui up --auth)\n")
					return nil
				}
				a.printf("basic auth is on: user %s\n  password  %s\n  htpasswd  %s\n", st.User, st.PasswordFile, st.HTPasswd)
				return nil
			},
		}
		rotate := &cobra.Command{
			Use:   "rotate",
			Short: "Give the registry user a new random password and update the login",
			Long: `rotate writes a new random password and htpasswd (the registry re-reads it on
its next request: no restart), updates the Docker login, and checks that the
registry accepts the new password and refuses the old one.`,
			Args: usageArgs(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				st, err := a.env.AuthRotate(cmd.Context(), a.sink())
				if err != nil {
					return err
				}
				if a.jsonOut {
					return a.printJSON(st)
				}
				a.printf("rotated the password of %s (in %s); login updated in %s\n", st.User, st.PasswordFile, st.Login)
				if !st.Verified {
					a.printf("  not verified against the registry: it applies when the stack is up\n")
				}
				return nil
			},
		}
		auth.AddCommand(status, rotate)
		return auth
	})
}

func init() {
	register(func(a *app) *cobra.Command {
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
				ch, addr, err := a.env.WatchRegistryEvents(cmd.Context())
				if err != nil {
					return err
				}
				if a.jsonOut {
					fmt.Fprintf(a.stderr, "{\"listening\": %q}\n", addr)
				} else {
					a.printf("listening for registry events on %s; Ctrl-C to stop\n", addr)
				}
				for ev := range ch {
					if a.jsonOut {
						b, _ := json.Marshal(ev)
						a.printf("%s\n", b)
						continue
					}
					a.printf("%s\n", eventLine(ev))
				}
				return nil
			},
		}
	})
}

// eventLine is one registry event for people (and the TUI log).
func eventLine(ev registryclient.RegistryEvent) string {
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

func windowText(m *registryclient.Metrics) string {
	w := m.Window.Round(time.Second)
	if m.Since == "start" {
		return "since the registry started " + w.String() + " ago"
	}
	return "over " + w.String()
}

// metricLines is the metrics block of `metrics` and `status`.
func metricLines(m *registryclient.Metrics) []string {
	return []string{
		fmt.Sprintf("requests  %d (%.2f/s), 5xx %d (%.1f%%), 4xx %d", m.Requests, m.RequestRate, m.Errors, 100*m.ErrorRate, m.ClientErrors),
		fmt.Sprintf("p95       %s", m.P95.Round(10*time.Microsecond)),
		fmt.Sprintf("bytes     in %s (%s/s), out %s (%s/s)", progress.Bytes(m.BytesIn), progress.Bytes(int64(m.BytesInRate)), progress.Bytes(m.BytesOut), progress.Bytes(int64(m.BytesOutRate))),
	}
}

func printGC(a *app, res *stack.GCResult) {
	if res.DryRun {
		a.printf("gc --dry-run: would delete %d manifest(s) and %d blob(s), reclaiming %s\n",
			len(res.Manifests), len(res.Blobs), progress.Bytes(res.BytesReclaimed))
		return
	}
	a.printf("gc: deleted %d manifest(s) and %d blob(s), reclaimed %s", len(res.Manifests), len(res.Blobs), progress.Bytes(res.BytesReclaimed))
	if res.BytesAfter >= 0 {
		a.printf(" (storage now %s)", progress.Bytes(res.BytesAfter))
	}
	a.printf("\n  sweep %s, registry down %s\n", res.GC.Round(time.Millisecond), res.Downtime.Round(time.Millisecond))
}
