package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/internal/termtext"
)

// newRestoreCmd builds `esbtui restore`.
func newRestoreCmd(a *app) *cobra.Command {
	var req flows.RestoreRequest
	var passFile string
	cmd := &cobra.Command{
		Use:   "restore FILE",
		Short: "Restore a backup into the registry (and with --with-ca, its CA into a fresh ESB_HOME)",
		Long: `restore reads FILE (written by esbtui backup) once, checking every blob
against its digest, before writing anything: a damaged or tampered archive is
refused, naming the object. It then pushes each image to the registry: blobs
first (those the registry has are skipped), the tag last, so an interrupted
restore never leaves a tag pointing at missing content; run it again to
complete it. The registry must hold nothing but (part of) this archive, unless
--merge (the archive's tags then replace tags of the same name, after
confirmation: --yes when headless). --dry-run verifies the archive and shows
what would be installed and restored, writing nothing.
--with-ca installs the archive's CA and server key pair into the certificate
directory, only when it holds no CA (esbtui never overwrites CA material);
--ca-only stops there: on a new machine, run restore --with-ca --ca-only,
then esbtui up, then restore.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.File = args[0]
			if (passFile != "" || req.CAOnly) && !req.WithCA {
				return &usageError{errors.New("--passphrase-file and --ca-only go with --with-ca")}
			}
			if req.WithCA {
				p, err := a.passphrase(passFile, false)
				if err != nil {
					return err
				}
				req.Passphrase = p
			}
			req.ConfirmReplace = func(plan *flows.RestorePlan) error {
				return a.confirm(fmt.Sprintf("restore --merge replaces %d tags of %s with the archive's: %s. Go on?",
					len(plan.Replaced), plan.Registry, strings.Join(plan.Replaced, ", ")), "restore --merge")
			}
			res, err := a.env.Restore(cmd.Context(), req, a.sink())
			if err != nil {
				return regErr(err)
			}
			return a.output(res, func() {
				if req.DryRun {
					printRestorePlan(a, res)
					return
				}
				if res.CA != nil {
					if res.CA.AlreadyPresent {
						a.printf("the archive's CA is already installed in %s\n", res.CA.Dir)
					} else {
						a.printf("installed the CA %v into %s\n", res.CA.Installed, res.CA.Dir)
					}
				}
				if im := res.Images; im != nil {
					a.printf("restored %d images into %s (%d already there); %d blobs uploaded (%s), %d the registry had, in %s\n",
						len(im.Restored), im.Registry, len(im.AlreadyThere), im.BlobsUploaded, progress.Bytes(im.BytesUploaded), im.BlobsExisting, im.Elapsed.Round(1e6))
				}
			})
		},
	}
	cmd.Flags().BoolVar(&req.DryRun, "dry-run", false, "verify the archive and show what would be installed and restored; write nothing")
	cmd.Flags().BoolVar(&req.Merge, "merge", false, "restore into a registry that holds other images too")
	cmd.Flags().BoolVar(&req.WithCA, "with-ca", false, "install the archive's CA into the certificate directory (only if it has none)")
	cmd.Flags().BoolVar(&req.CAOnly, "ca-only", false, "with --with-ca: install the CA, restore no images")
	cmd.Flags().StringVar(&passFile, "passphrase-file", "", "read the passphrase from the first line of this file (with --with-ca)")
	return cmd
}

func printRestorePlan(a *app, res *flows.RestoreResult) {
	a.printf("dry run: %s verified, nothing written\n", res.File)
	if res.CA != nil {
		if res.CA.AlreadyPresent {
			a.printf("  CA: already installed in %s\n", res.CA.Dir)
		} else {
			a.printf("  CA: would install %v into %s\n", res.CA.Installed, res.CA.Dir)
		}
	}
	if im := res.Images; im != nil {
		a.printf("  would restore %d images into %s (%d already there)\n", len(im.Restored), im.Registry, len(im.AlreadyThere))
		for _, r := range im.Restored {
			a.printf("    %s\n", termtext.Clean(r))
		}
		if len(im.Replaced) > 0 {
			a.printf("  would replace %d tags: %s\n", len(im.Replaced), termtext.Clean(strings.Join(im.Replaced, ", ")))
		}
	}
}
