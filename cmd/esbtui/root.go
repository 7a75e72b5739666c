package main

import (
	"github.com/spf13/cobra"
)

// newRootCmd builds the whole command tree: the root (the dashboard) with
// its persistent flags, and every command, each listed once below.
func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "esbtui",
		Short: "Local HTTPS everywhere: private CA, trust stores, HTTPS registry, build and push",
		Long: `esbtui owns a developer's local HTTPS chain: a private root CA (~/.esb/certs),
its trust in the OS and the container engine, an HTTPS registry on localhost:5000,
and the build -> push -> pull -> run loop against it.

With no command it opens the dashboard; when stdout is not a terminal, or with
--no-tui, it prints the same state once (use --json for scripts).`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		Version:           versionString(),
		PersistentPreRunE: a.setup,
		RunE:              a.runDashboard,
	}
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &usageError{err} })
	pf := root.PersistentFlags()
	pf.BoolVar(&a.jsonOut, "json", false, "print machine-readable JSON")
	pf.BoolVar(&a.noTUI, "no-tui", false, "never start the dashboard; print plain lines")
	pf.BoolVarP(&a.yes, "yes", "y", false, "answer yes to every confirmation (needed headless)")
	root.AddCommand(
		// certificates and trust
		newInitCmd(a),
		newCertCmd(a),
		newTrustCmd(a),
		newMirrorCmd(a),
		// the whole chain
		newStatusCmd(a),
		newDoctorCmd(a),
		newAuditCmd(a),
		newEnvCmd(a),
		// the stack
		newUpCmd(a),
		newDownCmd(a),
		newLogsCmd(a),
		newServeCmd(a),
		newAuthCmd(a),
		newGCCmd(a),
		newMetricsCmd(a),
		newEventsCmd(a),
		// the registry's images
		newCatalogCmd(a),
		newTagsCmd(a),
		newInspectCmd(a),
		newRmCmd(a),
		newPruneCmd(a),
		newCopyCmd(a),
		newPushCmd(a),
		newPullCmd(a),
		newSignCmd(a),
		newVerifyCmd(a),
		newBackupCmd(a),
		newRestoreCmd(a),
		newBuildCmd(a),
		newVersionCmd(a),
		newRegistryServerCmd(a),
	)
	return root
}
