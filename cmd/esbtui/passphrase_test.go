//go:build linux

package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestPassphraseIsNotEchoed: typed on a real terminal, the passphrase is
// read twice without echo (the terminal never shows it) and two different
// entries are refused; without a terminal and without --passphrase-file it
// is a usage error naming the flag.
func TestPassphraseIsNotEchoed(t *testing.T) {
	for _, tc := range []struct {
		typed, want string
	}{
		{"s3cret-typed\ns3cret-typed\n", "s3cret-typed"},
		{"s3cret-typed\nother-typo\n", ""},
	} {
		pt, tty := openPTY(t)
		var shown lockedBuffer
		go io.Copy(&shown, pt)
		var errOut bytes.Buffer
		a := newApp(tty, io.Discard, &errOut)
		type result struct {
			p   string
			err error
		}
		done := make(chan result, 1)
		go func() { p, err := a.passphrase("", true); done <- result{p, err} }()
		deadline := time.Now().Add(10 * time.Second)
		for {
			tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
			if err == nil && tio.Lflag&unix.ECHO == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the terminal's echo was never turned off")
			}
			time.Sleep(5 * time.Millisecond)
		}
		pt.Write([]byte(tc.typed))
		var r result
		select {
		case r = <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("the passphrase was not read")
		}
		time.Sleep(50 * time.Millisecond) // let the terminal's output drain
		tty.Close()
		if strings.Contains(shown.String(), "s3cret") || strings.Contains(errOut.String(), "s3cret") {
			t.Errorf("the passphrase was shown: terminal %q, stderr %q", shown.String(), errOut.String())
		}
		if r.p != tc.want || (tc.want == "") != (r.err != nil) {
			t.Errorf("typed %q: got %q, %v; want %q", tc.typed, r.p, r.err, tc.want)
		}
	}

	a := newApp(strings.NewReader("s3cret\n"), io.Discard, io.Discard)
	_, err := a.passphrase("", false)
	var ue *usageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "--passphrase-file") {
		t.Errorf("no terminal, no file: %v, want a usage error naming --passphrase-file", err)
	}
}

// TestPassphraseFile: the first line, without its CR LF; an empty first
// line and an oversized file are refused.
func TestPassphraseFile(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		content, want string
	}{
		{"pass phrase\r\nignored\n", "pass phrase"},
		{"no-newline", "no-newline"},
		{"\nsecond\n", ""},
		{strings.Repeat("x", maxPassphraseFile+1), ""},
	} {
		p := filepath.Join(dir, "pass")
		os.WriteFile(p, []byte(tc.content), 0o600)
		got, err := readPassphraseFile(p)
		if got != tc.want || (tc.want == "") != (err != nil) {
			t.Errorf("%q: got %q, %v; want %q", tc.content, got, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "second") {
			t.Errorf("the error quotes the file: %v", err)
		}
	}
}
