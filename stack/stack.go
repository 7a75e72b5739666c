// Package stack runs esbtui's HTTPS registry stack as a compose project:
// the project (the embedded default, optionally merged with the user's
// files) and what it exposes, up and down through the embedded Compose SDK,
// the registry's garbage collection (dry run and sweep), the HTTPS probe of
// the registry, the functions a project can build, and the registry
// in-process (Serve) for machines without an engine. The Docker engine
// itself (connect, ps, logs, images, build, exec, layer store, port owner)
// is the stack/engine package below it; the operations here take its
// *engine.Engine.
//
// Nothing here writes to the terminal: Compose, docker/cli and distribution
// log through logrus, which this package sends to SetLogger's logger (or
// drops).
package stack

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
)

// defaultCompose is the default compose project, embedded in the binary
// (read-only: WriteDefault gives users a copy to read).
//
//go:embed compose.yaml
var defaultCompose []byte

// DefaultComposeFile is the name WriteDefault gives it.
const DefaultComposeFile = "compose.yaml"

// RegistryService is the registry's service name in the default project.
const RegistryService = "registry"

// WriteDefault writes the embedded default compose file into dir (created
// 0700) atomically, so users can read what runs, and returns its path.
func WriteDefault(dir string) (string, error) {
	return writeComposeFile(dir, DefaultComposeFile, ".compose-*.yaml", defaultCompose)
}

// writeComposeFile writes data to dir/name (dir created 0700, the file
// 0644) through a temp file named like pattern (fsync, rename), only when
// it changed, and returns its path.
func writeComposeFile(dir, name, pattern string, data []byte) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("stack: create %s: %w", dir, err)
	}
	path := filepath.Join(dir, name)
	if cur, err := os.ReadFile(path); err == nil && string(cur) == string(data) {
		return path, nil
	}
	tmp, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", fmt.Errorf("stack: write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return "", fmt.Errorf("stack: write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("stack: write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("stack: write %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return "", fmt.Errorf("stack: write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("stack: write %s: %w", path, err)
	}
	return path, nil
}
