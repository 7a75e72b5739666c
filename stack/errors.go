package stack

import (
	"fmt"
	"strings"
)

// ComposeFileError is a compose file that does not load: a syntax error, an
// invalid key or an undefined variable.
type ComposeFileError struct {
	Files []string
	// File and Line locate the problem when it could be found.
	File string
	Line int
	Err  error
}

func (e *ComposeFileError) Error() string {
	where := strings.Join(e.Files, ", ")
	if e.File != "" {
		where = e.File
		if e.Line > 0 {
			where = fmt.Sprintf("%s:%d", e.File, e.Line)
		}
	}
	return fmt.Sprintf("stack: compose file %s: %v", where, e.Err)
}

func (e *ComposeFileError) Unwrap() error { return e.Err }

// UndefinedVariableError is a ${VAR} in a compose file that is not set in the
// environment and has no default.
type UndefinedVariableError struct {
	Name string
}

func (e *UndefinedVariableError) Error() string {
	return fmt.Sprintf("variable %s is not set: export it, or write ${%s:-default}", e.Name, e.Name)
}

// UnhealthyError is a service that did not become healthy.
type UnhealthyError struct {
	Service   string
	Container string
	// State is the container state (running, exited, ...), Health its health
	// status, ExitCode the exit code when it stopped.
	State    string
	Health   string
	ExitCode int
	// Output is the last healthcheck output, or the last log lines when the
	// container stopped.
	Output string
	Err    error
}

func (e *UnhealthyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "stack: service %s (container %s) did not become healthy", e.Service, e.Container)
	switch {
	case e.State != "" && e.State != "running":
		fmt.Fprintf(&b, ": it is %s (exit code %d)", e.State, e.ExitCode)
	case e.Health != "":
		fmt.Fprintf(&b, ": health %s", e.Health)
	}
	if out := strings.TrimSpace(e.Output); out != "" {
		fmt.Fprintf(&b, "; last output: %s", out)
	}
	fmt.Fprintf(&b, " (see `esbtui logs %s`)", e.Service)
	return b.String()
}

func (e *UnhealthyError) Unwrap() error { return e.Err }

// InterruptedError is an up or down stopped by the user (Ctrl-C) or a
// deadline part-way through.
type InterruptedError struct {
	Op      string
	Project string
	Err     error
}

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("stack: %s of project %s interrupted (%v): containers may be left created or half-started; run `esbtui down` to remove them", e.Op, e.Project, e.Err)
}

func (e *InterruptedError) Unwrap() error { return e.Err }

// RegistryProbeError is the final HTTPS check of the registry failing.
type RegistryProbeError struct {
	URL string
	Err error
}

func (e *RegistryProbeError) Error() string {
	return fmt.Sprintf("stack: HTTPS check of %s failed: %v (is the server certificate from this CA? run `esbtui init`, then `esbtui up` again)", e.URL, e.Err)
}

func (e *RegistryProbeError) Unwrap() error { return e.Err }
