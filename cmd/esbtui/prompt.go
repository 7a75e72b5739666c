package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/charmbracelet/x/term"
)

// maxAnswerBytes bounds the answer line a prompt reads.
const maxAnswerBytes = 256

// errNotConfirmed is a confirmation the user declined.
var errNotConfirmed = errors.New("cancelled")

// ask is the one confirmation prompt: it writes question and " [y/N] " to w
// and reads one answer line from the app's stdin. "y" or "yes" (any case,
// spaces around ignored) is yes; anything else is no, an empty line and the
// end of input included. Only the answer line is read, at most
// maxAnswerBytes of it, so input after it stays for whoever reads next.
func (a *app) ask(w io.Writer, question string) (bool, error) {
	fmt.Fprintf(w, "%s [y/N] ", question)
	line, err := readAnswer(a.stdin)
	if err != nil {
		return false, fmt.Errorf("read the answer to %q: %w", question, err)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// readAnswer reads r up to and including the first newline (or to the end
// of input, or maxAnswerBytes), one byte at a time so as not to read past it.
func readAnswer(r io.Reader) (string, error) {
	if r == nil {
		return "", nil
	}
	var line []byte
	b := make([]byte, 1)
	for len(line) < maxAnswerBytes {
		n, err := r.Read(b)
		if n == 1 {
			if b[0] == '\n' {
				break
			}
			line = append(line, b[0])
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", err
		}
	}
	return string(line), nil
}

// confirm gets consent for what (the operation, e.g. "down --volumes"):
// --yes answers yes; without a terminal on stdin, or with --json or
// --no-tui, it fails with what to run instead; otherwise it asks on stderr.
func (a *app) confirm(question, what string) error {
	if a.yes {
		return nil
	}
	if a.jsonOut || a.noTUI || !a.stdinIsTerminal() {
		return &usageError{fmt.Errorf("%s needs confirmation: %s Run it again with --yes", what, question)}
	}
	ok, err := a.ask(a.stderr, question)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if !ok {
		return fmt.Errorf("%s: %w", what, errNotConfirmed)
	}
	return nil
}

func (a *app) stdinIsTerminal() bool {
	f, ok := a.stdin.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}
