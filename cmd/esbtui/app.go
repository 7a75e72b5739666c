package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/esbtui/esbtui/internal/config"
	"github.com/esbtui/esbtui/internal/flows"
)

// app is what every command shares: flags, the standard streams and the Env.
type app struct {
	stdin          io.Reader // answers to confirmation prompts
	stdout, stderr io.Writer
	jsonOut        bool
	noTUI          bool
	yes            bool
	exit           int

	env *flows.Env
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *app {
	return &app{stdin: stdin, stdout: stdout, stderr: stderr}
}

func (a *app) setup(cmd *cobra.Command, _ []string) error {
	if a.env != nil {
		return nil
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	a.env = flows.New(cfg)
	return nil
}

func (a *app) close() {
	if a.env != nil {
		a.env.Close()
	}
}

// headless reports whether output must be plain: --no-tui, --json, or stdout
// is not a terminal.
func (a *app) headless() bool {
	if a.noTUI || a.jsonOut {
		return true
	}
	f, ok := a.stdout.(*os.File)
	return !ok || !term.IsTerminal(f.Fd())
}

// usageError is a bad flag or argument: exit 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// exitError carries a specific exit code (e.g. 3 from doctor).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func isCobraUsage(err error) bool {
	s := err.Error()
	return strings.HasPrefix(s, "unknown command") || strings.HasPrefix(s, "unknown flag") ||
		strings.Contains(s, "accepts ") || strings.Contains(s, "requires at least") ||
		strings.HasPrefix(s, "invalid argument")
}

// usageArgs wraps a cobra args validator so its errors exit 2.
func usageArgs(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := v(cmd, args); err != nil {
			return &usageError{err}
		}
		return nil
	}
}
