package main

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/esbtui/esbtui/internal/progress"
)

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

// output prints the text, or with --json the document alone (indented, one
// trailing newline), never both.
func TestOutputJSONOrText(t *testing.T) {
	doc := map[string]any{"project": "esb", "volumes_removed": true}
	for _, tc := range []struct {
		json bool
		text func(a *app) func()
		want string
	}{
		{false, func(a *app) func() { return func() { a.printf("stack %s is down\n", "esb") } }, "stack esb is down\n"},
		{true, func(a *app) func() { return func() { a.printf("stack %s is down\n", "esb") } }, "{\n  \"project\": \"esb\",\n  \"volumes_removed\": true\n}\n"},
		{false, func(*app) func() { return nil }, ""}, // the text was printed as it went
		{true, func(*app) func() { return nil }, "{\n  \"project\": \"esb\",\n  \"volumes_removed\": true\n}\n"},
	} {
		var out, errOut bytes.Buffer
		a := newApp(strings.NewReader(""), &out, &errOut)
		a.jsonOut = tc.json
		if err := a.output(doc, tc.text(a)); err != nil {
			t.Fatalf("json=%v: %v", tc.json, err)
		}
		if out.String() != tc.want || errOut.Len() != 0 {
			t.Errorf("json=%v: stdout %q stderr %q, want stdout %q", tc.json, out.String(), errOut.String(), tc.want)
		}
	}
}

// A document that cannot be written (a closed pipe) is an error, named.
func TestOutputWriteError(t *testing.T) {
	closed := errors.New("broken pipe")
	a := newApp(strings.NewReader(""), failingWriter{closed}, io.Discard)
	a.jsonOut = true
	err := a.output(map[string]int{"n": 1}, func() { t.Error("text printed with --json") })
	if !errors.Is(err, closed) || !strings.Contains(err.Error(), "write JSON") {
		t.Fatalf("err %v", err)
	}
}

// TestTextOutputIsClean: an error or a progress event quoting outside text
// with escape sequences reaches the terminal without them.
func TestTextOutputIsClean(t *testing.T) {
	var errb bytes.Buffer
	a := newApp(strings.NewReader(""), io.Discard, &errb)
	a.printErr(errors.New("registry said \x1b]0;pwned\x07\x1b[2Jno"))
	p := &plainLines{w: &errb}
	p.Emit(progress.Event{Op: "push", Item: "repo\x1b[31m", Status: progress.Failed, Err: "\x9b2Jboom"})
	if out := errb.String(); bytes.IndexByte([]byte(out), 0x1b) >= 0 || bytes.IndexByte([]byte(out), 0x07) >= 0 || bytes.IndexByte([]byte(out), 0x9b) >= 0 || strings.ContainsRune(out, '\u009b') {
		t.Fatalf("control sequences reached the terminal: %q", out)
	}
}
