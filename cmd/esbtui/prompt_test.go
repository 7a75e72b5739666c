package main

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// The prompt reads its answer from the app's stdin: yes, no and the end of
// input, and only the answer line (what follows stays unread).
func TestPromptAnswers(t *testing.T) {
	for _, tc := range []struct {
		input, rest string
		yes         bool
	}{
		{input: "y\n", yes: true},
		{input: "Y\n", yes: true},
		{input: "  yes \r\n", yes: true},
		{input: "YES", yes: true}, // the end of input ends the line
		{input: "y\nnext answer\n", rest: "next answer\n", yes: true},
		{input: "n\n"},
		{input: "no\ny\n", rest: "y\n"},
		{input: "\n"},
		{input: ""}, // EOF: no
		{input: "yes please\n"},
		{input: "nope"},
		{input: strings.Repeat("y", 10*maxAnswerBytes) + "\n", rest: strings.Repeat("y", 9*maxAnswerBytes) + "\n"},
	} {
		in := strings.NewReader(tc.input)
		var out bytes.Buffer
		a := newApp(in, &out, io.Discard)
		yes, err := a.ask(&out, "Delete everything?")
		if err != nil {
			t.Fatalf("%.40q: %v", tc.input, err)
		}
		if yes != tc.yes {
			t.Errorf("%.40q: answered %v, want %v", tc.input, yes, tc.yes)
		}
		if out.String() != "Delete everything? [y/N] " {
			t.Errorf("%.40q: prompt %q", tc.input, out.String())
		}
		if rest, _ := io.ReadAll(in); string(rest) != tc.rest {
			t.Errorf("%.40q: left %d bytes unread, want %d", tc.input, len(rest), len(tc.rest))
		}
	}
}

// A failing stdin is an error naming the question, never a yes.
func TestPromptReadError(t *testing.T) {
	broken := errors.New("input/output error")
	a := newApp(iotest.ErrReader(broken), io.Discard, io.Discard)
	yes, err := a.ask(io.Discard, "Apply this plan (as root)?")
	if yes || !errors.Is(err, broken) || !strings.Contains(err.Error(), "Apply this plan") {
		t.Fatalf("yes %v, err %v", yes, err)
	}
}

// confirm never prompts without a terminal on stdin: it refuses with the
// question and --yes (a usage error, exit 2); --yes consents without
// reading anything.
func TestConfirmHeadless(t *testing.T) {
	in := strings.NewReader("y\n")
	var errOut bytes.Buffer
	a := newApp(in, io.Discard, &errOut)
	err := a.confirm("Delete the volumes of project esb?", "down --volumes")
	var ue *usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "down --volumes needs confirmation: Delete the volumes of project esb? Run it again with --yes") {
		t.Fatalf("headless confirm: %v", err)
	}
	a.yes = true
	if err := a.confirm("Delete the volumes of project esb?", "down --volumes"); err != nil {
		t.Fatalf("--yes: %v", err)
	}
	if in.Len() != len("y\n") || errOut.Len() != 0 {
		t.Errorf("confirm read stdin (%d bytes left) or prompted (%q)", in.Len(), errOut.String())
	}
}
