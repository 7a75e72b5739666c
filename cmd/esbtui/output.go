package main

import (
	"encoding/json"
	"fmt"

	"github.com/esbtui/esbtui/internal/termtext"
)

// output prints a command's result on stdout: doc as indented JSON with
// --json, otherwise what text prints. A nil text prints nothing: the
// command printed its text as it went (a plan, then each result).
func (a *app) output(doc any, text func()) error {
	if a.jsonOut {
		return a.printJSON(doc)
	}
	if text != nil {
		text()
	}
	return nil
}

func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

// printJSONLine prints v as one line of JSON: a stream's element (a watch
// update, a registry event) under --json.
func (a *app) printJSONLine(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	a.printf("%s\n", b)
	return nil
}

func (a *app) printf(format string, args ...any) { fmt.Fprintf(a.stdout, format, args...) }

// printErr prints a command's error on stderr: {"error": "..."} with --json.
func (a *app) printErr(err error) {
	if a.jsonOut {
		b, _ := json.Marshal(map[string]string{"error": err.Error()})
		fmt.Fprintln(a.stderr, string(b))
		return
	}
	// Errors may quote outside text (a registry's message, a name from a
	// certificate): it never drives the terminal.
	fmt.Fprintf(a.stderr, "esbtui: %s\n", termtext.CleanLines(err.Error()))
}
