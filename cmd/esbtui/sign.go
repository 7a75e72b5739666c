package main

import (
	"github.com/spf13/cobra"

	"github.com/esbtui/esbtui/internal/flows"
)

// newSignCmd builds `esbtui sign`.
func newSignCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "sign REF",
		Short: "Sign an image in the registry with esbtui's code-signing certificate (Notary Project)",
		Long: `sign makes a Notary Project signature (JWS envelope) of REF's manifest with
esbtui's code-signing certificate ($ESB_HOME/certs/signing.crt, chained to
rootCA.crt; issued now if there is none yet) and stores it in the registry as an
OCI artifact that refers to the image: through the referrers API where the
registry has it (esbtui's own), else the OCI 1.1 tag-schema index (registry:3).
REF without a registry is in the local one; a tag is resolved and its digest is
what gets signed. Verify with esbtui verify REF or the notation CLI.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := a.env.Sign(cmd.Context(), args[0], a.sink())
			if err != nil {
				return regErr(err)
			}
			return a.output(res, func() { printSigned(a, res) })
		},
	}
}

func printSigned(a *app, s *flows.Signed) {
	if s.Existing {
		a.printf("already signed %s (not signed again)\n", s.Ref)
	} else {
		a.printf("signed %s\n", s.Ref)
	}
	a.printf("  digest       %s\n", s.Digest)
	if s.Signature != "" {
		a.printf("  signature    %s (%s)\n", s.Signature, s.Envelope)
	}
	printIdentity(a, s.Identity)
}

func printIdentity(a *app, id flows.SigningIdentity) {
	a.printf("  signed by    %s\n", id.Subject)
	a.printf("  issuer       %s\n", id.Issuer)
	a.printf("  signed at    %s\n", id.SigningTime.Format("2006-01-02 15:04:05 UTC"))
	a.printf("  certificate  sha256 %s\n", id.Fingerprint)
}
