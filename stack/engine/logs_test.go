package engine

import (
	"bytes"
	"testing"
)

func TestLogLinesResumeWithoutRepeats(t *testing.T) {
	var out bytes.Buffer
	l := &logLines{w: &out}
	l.Write([]byte("2026-11-24T19:00:00.000000001Z first\n2026-11-24T19:00:01.0Z sec"))
	l.Write([]byte("ond\n"))
	// After a resume the engine repeats the last line (since is inclusive).
	l.Write([]byte("2026-11-24T19:00:01.0Z second\n2026-11-24T19:00:02.5Z third\n"))
	l.Write([]byte("2026-11-24T19:00:03Z partial"))
	l.flush()
	if got := out.String(); got != "first\nsecond\nthird\npartial\n" {
		t.Fatalf("got %q", got)
	}
	out.Reset()
	k := &logLines{w: &out, keepTS: true}
	k.Write([]byte("2026-11-24T19:00:00Z kept\nno timestamp here\n"))
	if got := out.String(); got != "2026-11-24T19:00:00Z kept\nno timestamp here\n" {
		t.Fatalf("got %q", got)
	}
}

func TestLogLinesStripEscapes(t *testing.T) {
	var out bytes.Buffer
	l := &logLines{w: &out}
	l.Write([]byte("2026-11-24T19:00:00Z hi\x1b]0;pwned\x07 there\x1b[2J\r\n2026-11-24T19:00:01Z \x1b[31mred\x1b[0m\tok\n"))
	if got, want := out.String(), "hi there\nred ok\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
