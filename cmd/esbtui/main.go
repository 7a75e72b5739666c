// Command esbtui owns a developer's local HTTPS chain: a private CA, its
// trust, an HTTPS registry and the build → push → pull → run loop.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/esbtui/esbtui/internal/flows"
)

// Exit codes (DESIGN.md): 0 ok, 1 failed, 2 usage error, 3 doctor found problems.
const (
	exitOK       = 0
	exitFailed   = 1
	exitUsage    = 2
	exitProblems = 3
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// The embedded libraries' logrus output never reaches the terminal;
	// flows route it to the log file once they have one.
	flows.SetLibraryLogger(nil)
	a := newApp(stdin, stdout, stderr)
	root := newRootCmd(a)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	defer a.close()
	if err == nil {
		return a.exit
	}
	var ue *usageError
	var ce *exitError
	switch {
	case errors.As(err, &ce):
		if ce.err != nil {
			a.printErr(ce.err)
		}
		return ce.code
	case errors.As(err, &ue) || isCobraUsage(err):
		fmt.Fprintf(a.stderr, "esbtui: %v\nRun 'esbtui --help' for usage.\n", err)
		return exitUsage
	default:
		a.printErr(err)
		return exitFailed
	}
}
