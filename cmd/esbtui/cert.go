package main

import (
	"github.com/spf13/cobra"
)

// newCertCmd builds `esbtui cert`.
func newCertCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cert",
		Short: "Inspect, rotate and export the certificates",
		Args:  usageArgs(cobra.NoArgs),
	}
	cmd.AddCommand(certShowCmd(a), certRotateCmd(a), certExportCmd(a))
	return cmd
}

func certShowCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "show",
		Short: "Show subject, SANs, key type, SHA-256, expiry, key match and chain of each certificate",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			rep := a.env.Certs.Inspect(a.env.Now())
			if err := a.output(rep, func() { printCertReport(a, rep) }); err != nil {
				return err
			}
			if !rep.OK() {
				return &exitError{code: exitFailed}
			}
			return nil
		},
	}
}

func certRotateCmd(a *app) *cobra.Command {
	var cf certFlags
	var signing bool
	cmd := &cobra.Command{
		Use:   "rotate",
		Short: "Reissue the server certificate (or, with --signing, the code-signing certificate) with a new key now (the CA is never touched)",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if signing {
				res, err := a.env.RotateSigning(cmd.Context(), a.sink())
				if err != nil {
					return err
				}
				return a.output(res, func() {
					a.printf("issued a new code-signing certificate %s; signatures made before keep verifying (each carries its certificate)\n", res.File)
				})
			}
			o, err := cf.options()
			if err != nil {
				return err
			}
			res, err := a.env.RotateCerts(cmd.Context(), o, a.sink())
			if err != nil {
				return err
			}
			return a.output(res, func() {
				a.printf("Restart services that use the server certificate (esbtui up does) to pick it up.\n")
			})
		},
	}
	cf.add(cmd)
	cmd.Flags().BoolVar(&signing, "signing", false, "rotate the code-signing certificate and key instead of the server's")
	return cmd
}

func certExportCmd(a *app) *cobra.Command {
	var p12 bool
	cmd := &cobra.Command{
		Use:   "export --pkcs12",
		Short: "Export server.p12 (key + chain, password in server.p12.pass) and a CA truststore for Java/Windows",
		Long: `export --pkcs12 writes, inside the certificate directory:
  server.p12              server key + certificate + CA (0600; the password is in server.p12.pass, 0600)
  rootCA-truststore.p12   the CA certificate only (password "changeit"), for Java clients
The server key never leaves the certificate directory; the password is never printed.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !p12 {
				return &usageError{errString("choose a format: --pkcs12")}
			}
			res, err := a.env.ExportPKCS12(cmd.Context())
			if err != nil {
				return err
			}
			return a.output(res, func() {
				a.printf("✓ keystore   %s (password in %s)\n", res.KeyStore, res.PasswordFile)
				a.printf("✓ truststore %s (password %q)\n", res.TrustStore, res.TrustStorePassword)
			})
		},
	}
	cmd.Flags().BoolVar(&p12, "pkcs12", false, "export PKCS#12 keystore and truststore")
	return cmd
}

type errString string

func (e errString) Error() string { return string(e) }
