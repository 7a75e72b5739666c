package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/charmbracelet/x/term"
)

// maxPassphraseFile bounds what --passphrase-file reads.
const maxPassphraseFile = 4096

// passphrase gets the passphrase that seals or opens a backup's CA: the
// first line of file (--passphrase-file, for scripts), else typed on the
// terminal without echo (twice when twice is set: a typo would make the
// backup's CA unrecoverable). It is never taken from a flag value (shell
// history, ps) nor from the environment (inherited by every child), and
// never printed or logged.
func (a *app) passphrase(file string, twice bool) (string, error) {
	if file != "" {
		return readPassphraseFile(file)
	}
	f, ok := a.stdin.(*os.File)
	if !ok || !term.IsTerminal(f.Fd()) {
		return "", &usageError{errors.New("--with-ca needs a passphrase: run it in a terminal to type one (not echoed), or pass --passphrase-file FILE (its first line)")}
	}
	fmt.Fprint(a.stderr, "Passphrase for the CA in the backup: ")
	p, err := term.ReadPassword(f.Fd())
	fmt.Fprintln(a.stderr)
	if err != nil {
		return "", fmt.Errorf("read the passphrase: %w", err)
	}
	if len(p) == 0 {
		return "", errors.New("empty passphrase: the CA key would be protected by nothing; type one")
	}
	if twice {
		fmt.Fprint(a.stderr, "Same passphrase again: ")
		q, err := term.ReadPassword(f.Fd())
		fmt.Fprintln(a.stderr)
		if err != nil {
			return "", fmt.Errorf("read the passphrase: %w", err)
		}
		if !bytes.Equal(p, q) {
			return "", errors.New("the two passphrases differ: nothing was written; run it again")
		}
	}
	return string(p), nil
}

// readPassphraseFile reads the first line of file (at most
// maxPassphraseFile bytes; a trailing CR LF or LF is not part of it).
func readPassphraseFile(file string) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", fmt.Errorf("read the passphrase file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPassphraseFile+1))
	if err != nil {
		return "", fmt.Errorf("read the passphrase file %s: %w", file, err)
	}
	if len(b) > maxPassphraseFile {
		return "", fmt.Errorf("the passphrase file %s is larger than %d bytes: it should hold the passphrase on its first line", file, maxPassphraseFile)
	}
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	b = bytes.TrimSuffix(b, []byte("\r"))
	if len(b) == 0 {
		return "", fmt.Errorf("the passphrase file %s has an empty first line: put the passphrase there", file)
	}
	return string(b), nil
}
