package registryserver

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/esbtui/esbtui/internal/safefile"
)

// Secrets of the registry's side: the basic-auth password and the
// notification token, each a random string in a 0600 file.

// NewPassword returns a random password (32 bytes, base64url: 43 chars).
func NewPassword() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("registryserver: generate a password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// writeFileAtomic writes path (0600, directory 0700) through a rename.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("registryserver: create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("registryserver: write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("registryserver: write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("registryserver: write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("registryserver: write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("registryserver: write %s: %w", path, err)
	}
	return nil
}

// WriteSecret writes a secret file 0600 atomically.
func WriteSecret(path, secret string) error { return writeFileAtomic(path, []byte(secret+"\n")) }

// maxSecretFile bounds a password or token file (they hold a few dozen bytes).
const maxSecretFile = 4 << 10

// ReadSecret reads a file written by WriteSecret: a regular file of at most
// 4 KiB.
func ReadSecret(path string) (string, error) {
	b, err := safefile.ReadFile(path, "secret file", maxSecretFile)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}
