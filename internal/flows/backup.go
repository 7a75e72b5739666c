package flows

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/registryclient"
)

// BackupRequest is what `esbtui backup FILE` asks for.
type BackupRequest struct {
	File string
	// WithCA seals the CA and server files into the archive with
	// Passphrase (never stored, printed or logged).
	WithCA     bool
	Passphrase string
}

// BackupResult says what backup wrote.
type BackupResult struct {
	File string `json:"file"`
	registryclient.BackupResult
	ArchiveBytes int64 `json:"archive_bytes"`
}

// Backup writes the registry's content (and, with WithCA, the sealed CA)
// to req.File: into a temp file beside it, fsynced, renamed over File only
// when complete, so File is never half-written; the temp file is removed
// on any failure or interruption.
func (e *Env) Backup(ctx context.Context, req BackupRequest, sink progress.Sink) (*BackupResult, error) {
	file, err := filepath.Abs(req.File)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if st, err := os.Lstat(file); err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("backup: %s exists and is not a regular file: choose another FILE", file)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("backup: %w", err)
	}
	o := registryclient.BackupOptions{Registry: e.Cfg.Registry, EsbtuiVersion: buildVersion(), Now: e.Now}
	if req.WithCA {
		if req.Passphrase == "" {
			return nil, errors.New("backup --with-ca: an empty passphrase would leave the CA key unprotected: give one")
		}
		var sealed bytes.Buffer
		names, err := e.Certs.Seal(&sealed, req.Passphrase)
		if err != nil {
			return nil, fmt.Errorf("backup --with-ca: %w", err)
		}
		o.SealedCA, o.CAFiles = sealed.Bytes(), names
	}
	c, err := e.Registry()
	if err != nil {
		return nil, err
	}
	removeStalePartials(file)
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+partialInfix+"*")
	if err != nil {
		return nil, fmt.Errorf("backup: create a temp file beside %s: %w", file, err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	res, err := c.Backup(ctx, tmp, o, sink)
	if err != nil {
		return nil, fmt.Errorf("backup to %s: %w (nothing was written to %s)", file, err, file)
	}
	if err := tmp.Sync(); err != nil {
		return nil, fmt.Errorf("backup: sync %s: %w", tmp.Name(), err)
	}
	st, err := tmp.Stat()
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("backup: close %s: %w", tmp.Name(), err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("backup to %s: %w (nothing was written to %s)", file, err, file)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return nil, fmt.Errorf("backup: move the archive into place at %s: %w", file, err)
	}
	done = true
	syncDir(filepath.Dir(file))
	tags := 0
	for _, r := range res.Repositories {
		tags += len(r.Tags)
	}
	e.record("registry.backup", map[string]any{"file": file, "registry": res.Registry, "repositories": len(res.Repositories),
		"tags": tags, "blobs": res.Blobs, "bytes": res.Bytes, "with_ca": req.WithCA, "ca_files": res.CA})
	return &BackupResult{File: file, BackupResult: *res, ArchiveBytes: st.Size()}, nil
}

// partialInfix marks backup's temp files: ".FILE.partial-<random>".
const partialInfix = ".partial-"

// removeStalePartials removes the temp files of earlier backups to file
// that were killed before they could clean up (regular files only).
func removeStalePartials(file string) {
	m, _ := filepath.Glob(filepath.Join(filepath.Dir(file), "."+globEscape(filepath.Base(file))+partialInfix+"*"))
	for _, p := range m {
		if st, err := os.Lstat(p); err == nil && st.Mode().IsRegular() {
			os.Remove(p)
		}
	}
}

// globEscape quotes the glob metacharacters of a file name.
func globEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`)
	return r.Replace(s)
}

// syncDir makes a rename in dir durable (best effort).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
