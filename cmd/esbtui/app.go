package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/esbtui/esbtui/internal/config"
	"github.com/esbtui/esbtui/internal/env"
)

// app is what every command shares: flags, output streams and the Env.
type app struct {
	stdout, stderr io.Writer
	jsonOut        bool
	noTUI          bool
	yes            bool
	exit           int

	env *env.Env
}

// commands are added by each command file's init, so files stay independent.
var commands []func(*app) *cobra.Command

func register(f func(*app) *cobra.Command) { commands = append(commands, f) }

func newApp(stdout, stderr io.Writer) *app { return &app{stdout: stdout, stderr: stderr} }

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "esbtui",
		Short: "Local HTTPS everywhere: private CA, trust stores, HTTPS registry, build and push",
		Long: `esbtui owns a developer's local HTTPS chain: a private root CA (~/.esb/certs),
its trust in the OS and the container engine, an HTTPS registry on localhost:5000,
and the build -> push -> pull -> run loop against it.

With no command it opens the dashboard; when stdout is not a terminal, or with
--no-tui, it prints the same state once (use --json for scripts).`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		Version:           versionString(),
		PersistentPreRunE: a.setup,
		RunE:              a.runDashboard,
	}
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &usageError{err} })
	pf := root.PersistentFlags()
	pf.BoolVar(&a.jsonOut, "json", false, "print machine-readable JSON")
	pf.BoolVar(&a.noTUI, "no-tui", false, "never start the dashboard; print plain lines")
	pf.BoolVarP(&a.yes, "yes", "y", false, "answer yes to every confirmation (needed headless)")
	for _, f := range commands {
		root.AddCommand(f(a))
	}
	return root
}

func (a *app) setup(cmd *cobra.Command, _ []string) error {
	if a.env != nil {
		return nil
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	a.env = env.New(cfg)
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

func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

func (a *app) printf(format string, args ...any) { fmt.Fprintf(a.stdout, format, args...) }

func (a *app) printErr(err error) {
	if a.jsonOut {
		b, _ := json.Marshal(map[string]string{"error": err.Error()})
		fmt.Fprintln(a.stderr, string(b))
		return
	}
	fmt.Fprintf(a.stderr, "esbtui: %v\n", err)
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
