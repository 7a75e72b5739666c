package main

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"
)

// Shells `esbtui env` prints for.
var envShells = []string{"bash", "zsh", "sh", "fish"}

// newEnvCmd builds `esbtui env`.
func newEnvCmd(a *app) *cobra.Command {
	var shell string
	cmd := &cobra.Command{
		Use:   "env",
		Short: "Print shell exports that make Node, Python, curl, Go/OpenSSL and Java on this host trust the CA",
		Long: `env prints the exports that point the runtimes with their own trust stores at
esbtui's CA bundle ($ESB_HOME/trust/ca-bundle.pem: the public web roots plus
esbtui's CA; Java gets the same as a PKCS#12 truststore), like ssh-agent or
brew shellenv:

  eval "$(esbtui env)"            # bash, zsh, sh
  esbtui env --shell fish | source

NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE, SSL_CERT_FILE, CURL_CA_BUNDLE and
JAVA_TOOL_OPTIONS (your own options are kept). The shell comes from $SHELL
unless --shell names it.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if shell == "" {
				shell = a.env.Cfg.Host.Shell
				if !slices.Contains(envShells, shell) {
					shell = "sh"
				}
			}
			if !slices.Contains(envShells, shell) {
				return &usageError{fmt.Errorf("--shell %q: give one of %s", shell, strings.Join(envShells, ", "))}
			}
			vars, _, err := a.env.HostRuntimeEnv(a.env.Cfg.RuntimeCAEnv["JAVA_TOOL_OPTIONS"])
			if err != nil {
				return err
			}
			return a.output(vars, func() { a.printf("%s", shellExports(shell, vars)) })
		},
	}
	cmd.Flags().StringVar(&shell, "shell", "", "the shell to print for: "+strings.Join(envShells, ", ")+" (default: from $SHELL)")
	return cmd
}

// shellExports renders vars as shell statements, sorted, values quoted.
func shellExports(shell string, vars map[string]string) string {
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		if shell == "fish" {
			fmt.Fprintf(&b, "set -gx %s %s;\n", k, fishQuote(vars[k]))
		} else {
			fmt.Fprintf(&b, "export %s=%s;\n", k, posixQuote(vars[k]))
		}
	}
	return b.String()
}

// posixQuote single-quotes s for sh, bash and zsh.
func posixQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// fishQuote single-quotes s for fish (backslash and quote escaped).
func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
