package engine

import "fmt"

// MinAPIVersion is the oldest engine API esbtui drives (Docker 19.03).
const MinAPIVersion = "1.40"

// EngineUnreachableError means no engine answered at Host.
type EngineUnreachableError struct {
	Host string
	Err  error
}

func (e *EngineUnreachableError) Error() string {
	return fmt.Sprintf("stack: the Docker engine at %s is not running or not reachable (%v): start it (`sudo systemctl start docker`, or start Docker Desktop), check DOCKER_HOST / `docker context ls`, or run the registry without an engine: `esbtui serve`", e.Host, e.Err)
}

func (e *EngineUnreachableError) Unwrap() error { return e.Err }

// EnginePermissionError means the engine socket exists but this user may
// not open it.
type EnginePermissionError struct {
	Host string
	Err  error
}

func (e *EnginePermissionError) Error() string {
	return fmt.Sprintf("stack: permission denied on the Docker engine socket %s: add your user to the docker group (`sudo usermod -aG docker $USER`, then log in again), use rootless Docker, or run the registry without an engine: `esbtui serve`", e.Host)
}

func (e *EnginePermissionError) Unwrap() error { return e.Err }

// EngineTooOldError means the engine speaks an API older than MinAPIVersion.
type EngineTooOldError struct {
	Host       string
	APIVersion string
}

func (e *EngineTooOldError) Error() string {
	return fmt.Sprintf("stack: the Docker engine at %s speaks API %s; esbtui needs API %s (Docker 19.03) or newer: upgrade the engine, or run the registry without an engine: `esbtui serve`", e.Host, e.APIVersion, MinAPIVersion)
}

// PortInUseError means the registry's port is held by something that is not
// this project's registry.
type PortInUseError struct {
	Port int
	// Container is set when an engine container publishes the port.
	Container string
	// Project is the compose project of that container, if any.
	Project string
	// PID and Command are set when the holding process could be found.
	PID     int
	Command string
}

func (e *PortInUseError) Error() string {
	var who, fix string
	switch {
	case e.Container != "" && e.Project != "":
		who = fmt.Sprintf("container %s (compose project %q)", e.Container, e.Project)
		fix = fmt.Sprintf("stop it (`docker stop %s`)", e.Container)
	case e.Container != "":
		who = "container " + e.Container
		fix = fmt.Sprintf("stop it (`docker stop %s`)", e.Container)
	case e.PID > 0:
		who = fmt.Sprintf("process %d (%s)", e.PID, e.Command)
		fix = fmt.Sprintf("stop it (`kill %d`)", e.PID)
	default:
		who = "another process"
		fix = fmt.Sprintf("find it with `ss -ltnp 'sport = :%d'` or `lsof -i :%d` and stop it", e.Port, e.Port)
	}
	return fmt.Sprintf("stack: port %d on 127.0.0.1 is already in use by %s: %s, or publish the registry on another port with ESB_REGISTRY_PORT", e.Port, who, fix)
}

// HostGatewayError is an engine whose host-gateway address (where
// containers reach the host as host.docker.internal) esbtui cannot find,
// so nothing the registry sends to the host (its notifications) arrives.
type HostGatewayError struct {
	Host   string
	Reason string
}

func (e *HostGatewayError) Error() string {
	// The fix first: the dashboard shows this in a small pane.
	return fmt.Sprintf("stack: set ESB_HOST_GATEWAY to an IP of this host that containers reach (a Linux engine's bridge address: `ip -4 addr show docker0`): esbtui cannot find where containers reach this host as host.docker.internal: %s", e.Reason)
}
