package main

import (
	"github.com/spf13/cobra"

	"github.com/esbtui/esbtui/internal/flows"
)

// newBuildCmd builds `esbtui build`.
func newBuildCmd(a *app) *cobra.Command {
	var sf stackFlags
	var o flows.BuildOptions
	cmd := &cobra.Command{
		Use:   "build [NAME...]",
		Short: "Build functions, tag them <registry>/NAME:latest and push them with live progress",
		Long: `build builds each function — a directory functions/NAME with a Dockerfile under
--dir (default: the working directory), or a compose service with a build: section
in the files given with -f — through the engine (BuildKit when the engine has it,
the classic builder otherwise), tags it localhost:5000/NAME:latest (the configured
registry; the bare name when none is configured) and pushes it the fast way
(see esbtui push). With no NAME it builds them all. --no-push stops after the tag.
--sign (or esb.yaml sign: true) signs each pushed image (see esbtui sign). With
esb.yaml verify: required, base images FROM the configured registry must carry
a valid signature or the build is refused.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Names = args
			o.Stack = sf.options()
			res, err := a.env.Build(cmd.Context(), o, a.sink())
			if err != nil {
				// what was built before the failure, for scripts
				if len(res) > 0 {
					if jerr := a.output(res, nil); jerr != nil {
						return jerr
					}
				}
				return regErr(err)
			}
			return a.output(res, func() {
				for _, r := range res {
					a.printf("✓ %s → %s (%s)\n", r.Function, r.Image, shortDigest(r.ImageID))
					if r.Push != nil {
						printPush(a, r.Push)
					}
					if r.Signature != nil {
						printSigned(a, r.Signature)
					}
				}
			})
		},
	}
	sf.add(cmd)
	cmd.Flags().BoolVar(&o.NoPush, "no-push", false, "build and tag only")
	cmd.Flags().BoolVar(&o.Sign, "sign", false, "sign each pushed image (esb.yaml: sign: true)")
	cmd.Flags().StringVar(&o.Root, "dir", "", "project directory holding functions/ (default: working directory)")
	return cmd
}

func shortDigest(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}
