package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"path/filepath"
	"time"

	"github.com/distribution/distribution/v3/registry"
	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	// What the stack's registry configuration uses: htpasswd auth
	// (`up --auth`) and filesystem storage.
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"

	"github.com/esbtui/esbtui/stack/selfimage"
)

func init() { register(registryServerCmd) }

// registryServerCmd is the hidden command esbtui's registry image runs:
// distribution v3's own `registry` command (serve CONFIG, garbage-collect
// CONFIG: the configuration file plus REGISTRY_* variables, exactly as in
// registry:3), and two helpers the stack needs in an image with no shell:
// healthcheck URL and du PATH....
func registryServerCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:                selfimage.RegistryServerCommand + " (serve CONFIG | garbage-collect [--delete-untagged] [--dry-run] CONFIG | healthcheck URL | du PATH...)",
		Short:              "Run the registry inside esbtui's registry image (used by the stack)",
		Hidden:             true,
		DisableFlagParsing: true,
		// In the container there is no ESB_HOME to load: skip the root's setup.
		PersistentPreRunE: func(*cobra.Command, []string) error { return nil },
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &usageError{errors.New(selfimage.RegistryServerCommand + ": name a subcommand: serve, garbage-collect, healthcheck or du")}
			}
			switch args[0] {
			case "healthcheck":
				if len(args) != 2 {
					return &usageError{errors.New(selfimage.RegistryServerCommand + " healthcheck URL")}
				}
				return registryHealthcheck(cmd.Context(), args[1], a.stdout)
			case "du":
				return diskUsage(args[1:], a.stdout)
			}
			// distribution logs through the global logrus logger, which
			// run() silenced for the CLI: here it is the container's log.
			logrus.StandardLogger().SetOutput(a.stderr)
			root := registry.RootCmd
			root.SetArgs(args)
			root.SetOut(a.stdout)
			root.SetErr(a.stderr)
			return root.ExecuteContext(cmd.Context())
		},
	}
}

// registryHealthcheck GETs url and fails unless it answers 2xx. It is the
// container's liveness probe of its own loopback port, like registry:3's
// `wget --no-check-certificate`: the certificate is not what it checks.
func registryHealthcheck(ctx context.Context, url string, out io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 4*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, Proxy: nil}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("healthcheck: GET %s: %s", url, resp.Status)
	}
	fmt.Fprintf(out, "%s %s\n", url, resp.Status)
	return nil
}

// diskUsage prints "<bytes>\t<path>" for each path, like `du -sb`: the
// apparent size of the regular files under it. A missing path is 0.
func diskUsage(paths []string, out io.Writer) error {
	for _, p := range paths {
		var total int64
		err := filepath.WalkDir(p, func(_ string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if d.Type().IsRegular() {
				info, err := d.Info()
				if err != nil {
					return err
				}
				total += info.Size()
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("du %s: %w", p, err)
		}
		fmt.Fprintf(out, "%d\t%s\n", total, p)
	}
	return nil
}
