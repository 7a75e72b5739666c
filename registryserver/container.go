package registryserver

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

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry"
	"github.com/sirupsen/logrus"

	"github.com/esbtui/esbtui/internal/redact"

	// What the stack's registry configuration uses: htpasswd auth
	// (`up --auth`) and filesystem storage.
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"
)

// RunInContainer is what esbtui's registry image runs (args after the
// hidden registryd command): distribution v3's own `registry`
// command for serve CONFIG (with esbtui's OCIHandler in front) and garbage-collect CONFIG (the configuration
// file plus REGISTRY_* variables, exactly as in registry:3), and two
// helpers the stack needs in an image with no shell: healthcheck URL,
// du PATH... and df PATH... (the filesystem's total, free and available
// bytes, for the storage alert).
func RunInContainer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return RunInContainerWith(ctx, args, stdout, stderr, ContainerOptions{})
}

// ContainerOptions is what esbtui's image gets beyond distribution's
// configuration: the maintenance schedules (maintenancecmd.go) and, for
// a mirror, the directory of its settings (MirrorDirEnv; "" for none).
type ContainerOptions struct {
	Schedules Schedules
	MirrorDir string
}

// RunInContainerWith is RunInContainer with options; it also answers
// gc-online and maintenance (the control channel, maintenancecmd.go).
func RunInContainerWith(ctx context.Context, args []string, stdout, stderr io.Writer, o ContainerOptions) error {
	if len(args) > 0 {
		if handled, err := runMaintenanceCommand(ctx, args, stdout); handled {
			return err
		}
	}
	if len(args) == 0 {
		return errors.New("name a subcommand: serve, garbage-collect, healthcheck, du, df, gc-online or maintenance")
	}
	switch args[0] {
	case "healthcheck":
		if len(args) != 2 {
			return errors.New("healthcheck URL")
		}
		return registryHealthcheck(ctx, args[1], stdout)
	case "du":
		return diskUsage(args[1:], stdout)
	case "df":
		return diskFree(args[1:], stdout)
	}
	// distribution logs through the global logrus logger, which the CLI
	// silenced: here it is the container's log.
	// Credentials in what it logs (the notification endpoint's
	// Authorization header, at start) are redacted: the container's log is
	// shown by `docker logs` and `esbtui logs`.
	logrus.StandardLogger().SetOutput(redact.Writer(stderr))
	if args[0] == "serve" {
		// distribution's serve stays as it is (TLS from the configuration
		// and REGISTRY_* variables, the debug server with health and
		// metrics, notifications, drain); esbtui's OCI 1.1 handler goes in
		// front of its handler through distribution's own middleware hook.
		// The hook is process-wide: RunInContainer is the container's
		// entrypoint and runs once.
		// A mirror (pull-through cache) puts its middleware in front.
		mirror := func(_ *configuration.Configuration, next http.Handler) http.Handler { return next }
		if o.MirrorDir != "" {
			mw, err := setUpMirror(ctx, o.MirrorDir)
			if err != nil {
				return err
			}
			mirror = mw
		}
		registry.RegisterHandler(func(cfg *configuration.Configuration, next http.Handler) http.Handler {
			return mirror(cfg, withMaintainer(ctx, cfg, NewOCIHandler(next), o.Schedules, logrus.StandardLogger()))
		})
	}
	root := registry.RootCmd
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	return root.ExecuteContext(ctx)
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
