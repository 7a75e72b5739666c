package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/docker/compose/v5/pkg/api"
	"github.com/moby/moby/client"
)

// CheckPort makes sure 127.0.0.1:port can be published by project's
// service: free, or already published by that very service (a re-run of
// up). Otherwise it returns a *PortInUseError naming the container (asking
// the engine first) or the process (from the OS, where it can) holding it.
// e may be nil (no engine: serve).
func CheckPort(ctx context.Context, e *Engine, port int, project, service string) error {
	if e != nil {
		holder, err := e.portHolder(ctx, port)
		if err != nil {
			return err
		}
		if holder != nil {
			if holder.project == project && holder.service == service {
				return nil
			}
			return &PortInUseError{Port: port, Container: holder.name, Project: holder.project}
		}
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", fmt.Sprint(port)))
	if err == nil {
		ln.Close()
		return nil
	}
	if !errors.Is(err, syscall.EADDRINUSE) && !strings.Contains(err.Error(), "address already in use") && !strings.Contains(err.Error(), "Only one usage") {
		return fmt.Errorf("stack: check port %d on 127.0.0.1: %w", port, err)
	}
	pe := &PortInUseError{Port: port}
	pe.PID, pe.Command = processOnPort(port)
	return pe
}

type portHolder struct{ name, project, service string }

// portHolder returns the container publishing host port port, if any.
func (e *Engine) portHolder(ctx context.Context, port int) (*portHolder, error) {
	res, err := e.api.ContainerList(ctx, client.ContainerListOptions{})
	if err != nil {
		return nil, fmt.Errorf("stack: list containers to check port %d: %w", port, err)
	}
	for _, c := range res.Items {
		for _, p := range c.Ports {
			if int(p.PublicPort) != port || !strings.EqualFold(string(p.Type), "tcp") {
				continue
			}
			name := strings.TrimPrefix(firstOr(c.Names, c.ID), "/")
			return &portHolder{name: name, project: c.Labels[api.ProjectLabel], service: c.Labels[api.ServiceLabel]}, nil
		}
	}
	return nil, nil
}

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}
