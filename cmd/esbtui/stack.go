package main

import (
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/esbtui/esbtui/internal/flows"
)

func printStack(a *app, s *flows.StackStatus) {
	if s == nil {
		return
	}
	mark := map[string]string{flows.StackUp: "✓", flows.StackDown: "·", flows.StackDegraded: "✗", flows.StackUnavailable: "✗"}[s.State]
	a.printf("\nStack (compose project %s)\n", s.Project)
	switch s.State {
	case flows.StackUnavailable:
		a.printf("  %s engine    %s\n", mark, s.Error)
		return
	case flows.StackDown:
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
		if ri := s.RegistryImage; ri != nil && svc.Name == flows.RegistryService && ri.Ref == svc.Image {
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

func (f *stackFlags) options() flows.StackOptions {
	return flows.StackOptions{Files: f.files, NoDefault: f.noDefault}
}
