package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/esbtui/esbtui/internal/env"
	"github.com/esbtui/esbtui/stack"
)

func printStack(a *app, s *env.StackStatus) {
	if s == nil {
		return
	}
	mark := map[string]string{env.StackUp: "✓", env.StackDown: "·", env.StackDegraded: "✗", env.StackUnavailable: "✗"}[s.State]
	a.printf("\nStack (compose project %s)\n", s.Project)
	switch s.State {
	case env.StackUnavailable:
		a.printf("  %s engine    %s\n", mark, s.Error)
		return
	case env.StackDown:
		a.printf("  %s down      no containers: run `esbtui up`\n", mark)
	default:
		a.printf("  %s %-9s on %s (API %s)\n", mark, s.State, s.Engine.Host, s.Engine.APIVersion)
	}
	now := time.Now()
	for _, svc := range s.Services {
		m := "✓"
		if !svc.OK() {
			m = "✗"
		}
		state := svc.State
		if svc.Health != "" {
			state += " (" + svc.Health + ")"
		}
		if up := svc.Uptime(now); up > 0 {
			state += ", up " + up.String()
		}
		a.printf("  %s %-9s %s\n", m, svc.Name, state)
		a.printf("      image     %s\n", svc.Image)
		if ri := s.RegistryImage; ri != nil && svc.Name == stack.RegistryService && ri.Ref == svc.Image {
			a.printf("      why       %s\n", ri.Reason)
		}
		if len(svc.Ports) > 0 {
			a.printf("      ports     %s\n", strings.Join(svc.Ports, ", "))
		}
		if !svc.OK() && svc.HealthOutput != "" {
			a.printf("      health    %s\n", svc.HealthOutput)
		}
	}
}

type stackFlags struct {
	files     []string
	noDefault bool
}

func (f *stackFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringArrayVarP(&f.files, "file", "f", nil, "a compose file merged over the default stack (repeatable; default $ESB_COMPOSE_FILE)")
	cmd.Flags().BoolVar(&f.noDefault, "no-default", false, "leave the default registry project out: the -f files define everything")
}

func (f *stackFlags) options() env.StackOptions {
	return env.StackOptions{Files: f.files, NoDefault: f.noDefault}
}

func init() {
	register(func(a *app) *cobra.Command {
		var sf stackFlags
		var wait time.Duration
		var auth bool
		var bind string
		cmd := &cobra.Command{
			Use:   "up",
			Short: "Start the HTTPS registry stack and wait until it is healthy",
			Long: `up starts the compose project "esb" (the registry on https://localhost:5000,
plus the services of any -f files) on the Docker engine and returns once every
service is healthy and https://localhost:5000/v2/ answers with a certificate
that verifies against esbtui's CA. It needs the certificates (` + "`esbtui init`" + `).

The default compose file is written to ~/.esb/stack/compose.yaml; -f FILE is
merged over it with ESB_CERT_DIR, ESB_REGISTRY and ESB_REGISTRY_PORT set for
interpolation. Ctrl-C stops waiting; ` + "`esbtui down`" + ` removes what was created.`,
			Args: usageArgs(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				o := sf.options()
				o.WaitTimeout = wait
				o.Bind = bind
				if cmd.Flags().Changed("auth") {
					o.Auth = &auth
				}
				services, err := a.env.Up(cmd.Context(), o, a.sink())
				if errors.As(err, new(*env.BindNeedsAuthError)) {
					return &usageError{err}
				}
				if err != nil {
					return err
				}
				if a.jsonOut {
					return a.printJSON(map[string]any{"project": a.env.Cfg.Project, "registry": a.env.RegistryAddr(), "services": services})
				}
				a.printf("stack %s is up: https://%s\n", a.env.Cfg.Project, a.env.RegistryAddr())
				return nil
			},
		}
		sf.add(cmd)
		cmd.Flags().DurationVar(&wait, "wait-timeout", 2*time.Minute, "how long to wait for every service to be healthy")
		cmd.Flags().BoolVar(&auth, "auth", false, "basic auth on the registry (user esbtui, random password in ~/.esb/auth/password; kept for later ups; --auth=false turns it off)")
		cmd.Flags().StringVar(&bind, "bind", "", "publish the registry port on this address instead of 127.0.0.1 (a non-loopback address needs --auth)")
		return cmd
	})
	register(func(a *app) *cobra.Command {
		var sf stackFlags
		var volumes bool
		cmd := &cobra.Command{
			Use:   "down",
			Short: "Stop and remove the stack's containers (keeps the registry's data)",
			Long: `down stops and removes the containers and networks of the compose project.
The registry's data (volume registry-data) is kept unless --volumes is given,
which asks first (headless: needs --yes).`,
			Args: usageArgs(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				if volumes {
					q := fmt.Sprintf("Delete the volumes of project %s, with every image pushed to the registry?", a.env.Cfg.Project)
					if err := a.confirm(q, "down --volumes"); err != nil {
						return err
					}
				}
				if err := a.env.Down(cmd.Context(), sf.options(), volumes, a.sink()); err != nil {
					return err
				}
				if a.jsonOut {
					return a.printJSON(map[string]any{"project": a.env.Cfg.Project, "volumes_removed": volumes})
				}
				a.printf("stack %s is down\n", a.env.Cfg.Project)
				return nil
			},
		}
		sf.add(cmd)
		cmd.Flags().BoolVar(&volumes, "volumes", false, "also delete the named volumes (the registry's data); asks first")
		return cmd
	})
	register(func(a *app) *cobra.Command {
		var follow bool
		cmd := &cobra.Command{
			Use:   "logs SERVICE",
			Short: "Print a stack service's engine logs (-f to follow)",
			Args:  usageArgs(cobra.ExactArgs(1)),
			RunE: func(cmd *cobra.Command, args []string) error {
				return a.env.Logs(cmd.Context(), args[0], follow, a.stdout)
			},
		}
		cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep streaming new lines until Ctrl-C")
		return cmd
	})
}

func init() {
	register(func(a *app) *cobra.Command {
		return &cobra.Command{
			Use:   "serve",
			Short: "Run the HTTPS registry in this process (no Docker engine needed)",
			Long: `serve runs the registry (distribution v3) inside esbtui on
https://localhost:5000 with esbtui's server certificate, storing images under
~/.esb/registry, until Ctrl-C. Use it on machines without a Docker engine; it
cannot run at the same time as the stack's registry (same port).`,
			Args: usageArgs(cobra.NoArgs),
			RunE: func(cmd *cobra.Command, _ []string) error {
				start := time.Now()
				err := a.env.Serve(cmd.Context(), a.sink(), func(addr string) {
					if a.jsonOut {
						a.printJSON(map[string]any{"serving": "https://" + a.env.RegistryAddr(), "listen": addr, "data": a.env.Cfg.RegistryDataDir(), "ready_ms": time.Since(start).Milliseconds()})
						return
					}
					a.printf("serving https://%s (listening on %s, data in %s); Ctrl-C to stop\n", a.env.RegistryAddr(), addr, a.env.Cfg.RegistryDataDir())
				})
				if err != nil {
					return err
				}
				if !a.jsonOut {
					a.printf("registry stopped\n")
				}
				return nil
			},
		}
	})
}

// errNotConfirmed is a confirmation the user declined.
var errNotConfirmed = errors.New("cancelled")

// confirm asks a yes/no question on the terminal; --yes answers yes;
// headless (no terminal on stdin, --json, --no-tui) without --yes fails with
// what to run instead.
func (a *app) confirm(question, what string) error {
	if a.yes {
		return nil
	}
	if a.jsonOut || a.noTUI || !term.IsTerminal(os.Stdin.Fd()) {
		return &usageError{fmt.Errorf("%s needs confirmation: %s Run it again with --yes", what, question)}
	}
	fmt.Fprintf(a.stderr, "%s [y/N] ", question)
	line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return fmt.Errorf("%s: %w", what, errNotConfirmed)
}
