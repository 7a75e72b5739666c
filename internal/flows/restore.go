package flows

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/pki"
	"github.com/esbtui/esbtui/registryclient"
)

// RestoreRequest is what `esbtui restore FILE` asks for.
type RestoreRequest struct {
	File string
	// Merge restores into a registry that holds other tags too.
	Merge bool
	// WithCA installs the archive's sealed CA (opened with Passphrase)
	// into the certificate directory when it holds no CA; CAOnly stops
	// there (a new machine: the registry needs the CA before it can run).
	WithCA     bool
	CAOnly     bool
	Passphrase string
	// DryRun verifies the archive (and the passphrase) and says what would
	// be installed and restored, writing nothing.
	DryRun bool
	// ConfirmReplace is asked before a --merge replaces tags (nil: go on).
	ConfirmReplace func(plan *RestorePlan) error
}

// RestorePlan is what a restore would do (and, after it, did).
type RestorePlan = registryclient.RestoreResult

// RestoreResult says what restore did.
type RestoreResult struct {
	File    string                          `json:"file"`
	Archive *registryclient.ArchiveManifest `json:"archive,omitempty"`
	CA      *pki.SealedInstall              `json:"ca,omitempty"`
	Images  *registryclient.RestoreResult   `json:"images,omitempty"`
}

// Restore verifies every digest of the archive at req.File before writing
// anything, then (WithCA) installs its CA and (unless CAOnly) pushes its
// images to the registry.
func (e *Env) Restore(ctx context.Context, req RestoreRequest, sink progress.Sink) (*RestoreResult, error) {
	file, err := filepath.Abs(req.File)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("restore: open the archive: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("restore: %s is not a regular file", file)
	}
	a, err := registryclient.OpenArchive(ctx, f, st.Size(), sink)
	if err != nil {
		return nil, fmt.Errorf("restore from %s: %w", file, err)
	}
	res := &RestoreResult{File: file, Archive: a.Manifest}
	rep := progress.Reporter{Op: "restore", Sink: sink}
	if req.WithCA {
		sr, err := a.SealedCA()
		if err != nil {
			return nil, fmt.Errorf("restore --with-ca from %s: %w", file, err)
		}
		sc, err := pki.OpenSealed(sr, req.Passphrase)
		if errors.Is(err, pki.ErrWrongPassphrase) {
			return nil, fmt.Errorf("restore --with-ca from %s: %w; nothing was written", file, err)
		}
		if err != nil {
			return nil, fmt.Errorf("restore --with-ca from %s: %w", file, err)
		}
		install := e.Certs.InstallSealed
		if req.DryRun {
			install = e.Certs.PlanInstallSealed
		}
		inst, err := install(ctx, sc)
		if err != nil {
			return nil, fmt.Errorf("restore --with-ca: %w", err)
		}
		res.CA = inst
		switch {
		case req.DryRun:
		case inst.AlreadyPresent:
			rep.Step("ca", progress.Skipped, "this CA is already installed in "+inst.Dir)
		default:
			rep.Step("ca", progress.Done, fmt.Sprintf("installed %v into %s", inst.Installed, inst.Dir))
			e.record("ca.restored", map[string]any{"file": file, "dir": inst.Dir, "installed": inst.Installed,
				"fingerprint": pki.Fingerprint(sc.CA)})
		}
		if req.CAOnly {
			return res, nil
		}
	}
	c, err := e.Registry()
	if err != nil {
		return nil, err
	}
	img, err := c.Restore(ctx, a, registryclient.RestoreOptions{Registry: e.Cfg.Registry, Merge: req.Merge, DryRun: req.DryRun, Confirm: req.ConfirmReplace}, sink)
	if err != nil {
		if res.CA != nil && !res.CA.AlreadyPresent && !req.DryRun {
			return res, fmt.Errorf("restore from %s: the CA is installed, the images are not: %w (start the registry with `esbtui up`, then run `esbtui restore %s`)", file, err, req.File)
		}
		return nil, fmt.Errorf("restore from %s: %w", file, err)
	}
	res.Images = img
	if req.DryRun {
		return res, nil
	}
	e.record("registry.restore", map[string]any{"file": file, "registry": img.Registry, "restored": len(img.Restored),
		"already_there": len(img.AlreadyThere), "blobs_uploaded": img.BlobsUploaded, "bytes_uploaded": img.BytesUploaded, "merge": req.Merge})
	return res, nil
}
