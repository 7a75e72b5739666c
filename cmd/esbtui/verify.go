package main

import (
	"github.com/spf13/cobra"

	"github.com/esbtui/esbtui/internal/flows"
)

// newVerifyCmd builds `esbtui verify`.
func newVerifyCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "verify REF",
		Short: "Verify an image's Notary Project signature against esbtui's CA",
		Long: `verify resolves REF to its digest and checks the image's Notary Project
signatures with a trust policy built in code: trust store = esbtui's
rootCA.crt (type ca), registry scope = REF's repository (host:port/repo),
verification level strict (integrity, authenticity, expiry, revocation).
It prints who signed (certificate subject), when (signing time), with which
certificate (SHA-256) and the digest verified. An unsigned image, a tag that
now points at other content, a signature from another CA, an expired signing
certificate or a signature for another digest fail with the reason (exit 1).`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := a.env.Verify(cmd.Context(), args[0], a.sink())
			if err != nil {
				return regErr(err)
			}
			return a.output(res, func() { printVerified(a, res) })
		},
	}
}

func printVerified(a *app, v *flows.Verified) {
	a.printf("✓ verified %s\n", v.Ref)
	a.printf("  digest       %s\n", v.Digest)
	a.printf("  policy       %s, trust store esbtui's CA, scope %s\n", v.Level, v.Repository)
	printIdentity(a, v.Identity)
}
