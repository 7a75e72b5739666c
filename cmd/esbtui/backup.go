package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/progress"
)

// newBackupCmd builds `esbtui backup`.
func newBackupCmd(a *app) *cobra.Command {
	var withCA bool
	var passFile string
	cmd := &cobra.Command{
		Use:   "backup FILE",
		Short: "Write the registry's images (every repository, tag and referrer) to FILE, a tar of an OCI image layout",
		Long: `backup writes every repository, tag and referrer (signatures, SBOMs) of the
registry to FILE: a tar of an OCI image layout (oci-layout, index.json,
blobs/sha256/...) that other OCI tools read, plus esbtui-backup.json (what it
holds). Blobs are streamed from the registry, each once, digests checked.
FILE is written to a temp file beside it and renamed into place only when
complete: an interrupted backup leaves no partial FILE.
--with-ca adds the CA and the server certificate with their keys, encrypted
with a passphrase (age, scrypt): typed on the terminal (not echoed), or the
first line of --passphrase-file.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := flows.BackupRequest{File: args[0], WithCA: withCA}
			if passFile != "" && !withCA {
				return &usageError{errors.New("--passphrase-file goes with --with-ca")}
			}
			if withCA {
				p, err := a.passphrase(passFile, true)
				if err != nil {
					return err
				}
				req.Passphrase = p
			}
			res, err := a.env.Backup(cmd.Context(), req, a.sink())
			if err != nil {
				return regErr(err)
			}
			return a.output(res, func() {
				tags := 0
				for _, r := range res.Repositories {
					tags += len(r.Tags)
				}
				a.printf("backed up %d repositories, %d tags, %d blobs (%s) of %s to %s (%s) in %s\n",
					len(res.Repositories), tags, res.Blobs, progress.Bytes(res.Bytes), res.Registry, res.File,
					progress.Bytes(res.ArchiveBytes), res.Elapsed.Round(1e6))
				if len(res.CA) > 0 {
					a.printf("  with the CA, sealed with your passphrase: %v\n", res.CA)
				}
			})
		},
	}
	cmd.Flags().BoolVar(&withCA, "with-ca", false, "add the CA and server key pair, encrypted with a passphrase")
	cmd.Flags().StringVar(&passFile, "passphrase-file", "", "read the passphrase from the first line of this file (with --with-ca)")
	return cmd
}
