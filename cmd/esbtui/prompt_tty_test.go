//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: what is written to tty can be read
// from pt.
func openPTY(t *testing.T) (pt, tty *os.File) {
	t.Helper()
	pt, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open /dev/ptmx: %v", err)
	}
	t.Cleanup(func() { pt.Close() })
	if err := unix.IoctlSetPointerInt(int(pt.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock the pty: %v", err)
	}
	n, err := unix.IoctlGetInt(int(pt.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open the pty's terminal: %v", err)
	}
	return pt, tty
}

// runOnTerminal runs esbtui with stdout on a real terminal (so trust asks
// before it changes anything) and the answer on stdin; it returns the exit
// code, what the terminal showed and stderr.
func runOnTerminal(t *testing.T, stdin io.Reader, args ...string) (int, string, string) {
	t.Helper()
	pt, tty := openPTY(t)
	shown := make(chan string)
	go func() {
		var b bytes.Buffer
		io.Copy(&b, pt) // ends with EIO once tty is closed
		shown <- b.String()
	}()
	var errOut bytes.Buffer
	code := run(context.Background(), args, stdin, tty, &errOut)
	tty.Close()
	return code, <-shown, errOut.String()
}

// trust install on a terminal shows the plan, asks, and reads the answer
// from the app's stdin: no and the end of input change nothing; yes applies
// the plan, and the input after the answer line is left unread.
func TestTrustInstallAsksOnATerminal(t *testing.T) {
	home := t.TempDir()
	if code, out, errOut := initCerts(t, home); code != 0 {
		t.Fatalf("init: %d\n%s\n%s", code, out, errOut)
	}
	root := t.TempDir()
	t.Setenv("ESB_TRUST_ROOT", root)
	installed := func() []string {
		m, _ := filepath.Glob(filepath.Join(root, "etc/docker/certs.d/*/ca.crt"))
		return m
	}
	args := []string{"trust", "install", "--store", "docker"}
	for _, answer := range []string{"n\n", "no\ny\n", ""} {
		code, shown, errOut := runOnTerminal(t, strings.NewReader(answer), args...)
		if code != exitFailed || !strings.Contains(errOut, "trust install: cancelled, nothing changed") {
			t.Errorf("answer %q: exit %d, stderr %q", answer, code, errOut)
		}
		if !strings.Contains(shown, "Trust install plan") || !strings.Contains(shown, "Apply this plan (") || !strings.HasSuffix(shown, ")? [y/N] ") {
			t.Errorf("answer %q: the terminal showed\n%s", answer, shown)
		}
		if m := installed(); len(m) != 0 {
			t.Fatalf("answer %q: the plan ran: %v", answer, m)
		}
	}
	stdin := strings.NewReader("y\nnot for the prompt\n")
	code, shown, errOut := runOnTerminal(t, stdin, args...)
	asked, applied := strings.Index(shown, ")? [y/N] "), strings.Index(shown, "Trust results")
	if code != 0 || asked < 0 || applied < asked || !strings.Contains(shown, "✓ docker     done (now trusted)") {
		t.Fatalf("answer y: exit %d\n%s\n%s", code, shown, errOut)
	}
	if len(installed()) == 0 {
		t.Fatal("answer y: no certs.d entry written")
	}
	if rest, _ := io.ReadAll(stdin); string(rest) != "not for the prompt\n" {
		t.Errorf("the prompt read past its answer: %q left", rest)
	}
}
