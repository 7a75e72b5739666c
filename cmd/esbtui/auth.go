package main

import (
	"github.com/spf13/cobra"
)

// newAuthCmd builds `esbtui auth`.
func newAuthCmd(a *app) *cobra.Command {
	auth := &cobra.Command{
		Use:   "auth",
		Short: "The registry's basic auth: status, rotate",
		Long: `The registry's basic auth is opt-in: ` + "`esbtui up --auth`" + ` creates the user esbtui
with a random password (~/.esb/auth/password, 0600, never printed), a bcrypt
htpasswd the registry mounts read-only, and logs the Docker CLI and esbtui in
($DOCKER_CONFIG/config.json, or its credential helper). ` + "`esbtui up --auth=false`" + `
turns it off. A registry published on a non-loopback address (--bind) needs it.`,
		Args: usageArgs(cobra.NoArgs),
	}
	status := &cobra.Command{
		Use:   "status",
		Short: "Say whether basic auth is on and where its files are",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			st := a.env.Auth()
			return a.output(st, func() {
				if !st.Enabled {
					a.printf("basic auth is off (turn it on: esbtui up --auth)\n")
					return
				}
				a.printf("basic auth is on: user %s\n  password  %s\n  htpasswd  %s\n", st.User, st.PasswordFile, st.HTPasswd)
			})
		},
	}
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Give the registry user a new random password and update the login",
		Long: `rotate writes a new random password and htpasswd (the registry re-reads it on
its next request: no restart), updates the Docker login, and checks that the
registry accepts the new password and refuses the old one.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.env.AuthRotate(cmd.Context(), a.sink())
			if err != nil {
				return err
			}
			return a.output(st, func() {
				a.printf("rotated the password of %s (in %s); login updated in %s\n", st.User, st.PasswordFile, st.Login)
				if !st.Verified {
					a.printf("  not verified against the registry: it applies when the stack is up\n")
				}
			})
		},
	}
	auth.AddCommand(status, rotate)
	return auth
}
