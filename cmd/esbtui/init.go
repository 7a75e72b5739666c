package main

import (
	"github.com/esbtui/esbtui/internal/flows"
	"github.com/spf13/cobra"
)

type certFlags struct {
	names   []string
	keyType string
}

func (f *certFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&f.names, "name", nil, "extra DNS name or IP for the server certificate (repeatable); a new CA also permits it")
	cmd.Flags().StringVar(&f.keyType, "key-type", "ecdsa-p256", "server key type: ecdsa-p256 or rsa2048 (for old clients)")
}

func (f *certFlags) options() (flows.CertOptions, error) {
	kt, err := flows.ParseKeyType(f.keyType)
	if err != nil {
		return flows.CertOptions{}, &usageError{err}
	}
	if _, err := flows.ParseNames(f.names); err != nil {
		return flows.CertOptions{}, &usageError{err}
	}
	return flows.CertOptions{Names: f.names, KeyType: kt}, nil
}

// newInitCmd builds `esbtui init`.
func newInitCmd(a *app) *cobra.Command {
	var cf certFlags
	var skipTrust bool
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create the private CA and server certificate (idempotent), then trust the CA",
		Long: `init makes ~/.esb/certs complete: a root CA (RSA 4096, 10 years, name-constrained
to local names and private IPs) created once and never regenerated, and a server
certificate (ECDSA P-256, 199 days) for localhost, 127.0.0.1, ::1, esb-registry,
host.docker.internal, esb-gateway and any --name. The server certificate is
reissued only when missing, expiring within 30 days, not covering the names,
not matching its key or not signed by the CA.

Then it trusts the CA in every applicable store, like ` + "`esbtui trust install`" + `:
the plan is shown first; headless runs need --yes (or --skip-trust).`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			o, err := cf.options()
			if err != nil {
				return err
			}
			res, err := a.env.InitCerts(cmd.Context(), o, a.sink())
			if err != nil {
				return err
			}
			rep := a.env.Certs.Inspect(a.env.Now())
			if !a.jsonOut {
				if !res.CACreated && !res.LeafIssued && !res.CARecovered {
					a.printf("certificates: nothing to do (CA and server certificate are valid)\n")
				}
				printCertReport(a, rep)
			}
			var tr *trustOutcome
			if !skipTrust {
				if !a.jsonOut {
					a.printf("\n")
				}
				tr, err = a.trustFlow(cmd, flows.TrustInstall, nil, false)
			}
			// the text was printed as each step ended
			if jerr := a.output(map[string]any{"certs": res, "inspect": rep, "trust": tr}, nil); jerr != nil {
				return jerr
			}
			return err
		},
	}
	cf.add(cmd)
	cmd.Flags().BoolVar(&skipTrust, "skip-trust", false, "only make the certificates; do not touch any trust store")
	return cmd
}
