package registryserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry"
	"github.com/sirupsen/logrus"

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
// helpers the stack needs in an image with no shell: healthcheck URL and
// du PATH....
func RunInContainer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("name a subcommand: serve, garbage-collect, healthcheck or du")
	}
	switch args[0] {
	case "healthcheck":
		if len(args) != 2 {
			return errors.New("healthcheck URL")
		}
		return registryHealthcheck(ctx, args[1], stdout)
	case "du":
		return diskUsage(args[1:], stdout)
	}
	// distribution logs through the global logrus logger, which the CLI
	// silenced: here it is the container's log.
	logrus.StandardLogger().SetOutput(stderr)
	if args[0] == "serve" {
		// distribution's serve stays as it is (TLS from the configuration
		// and REGISTRY_* variables, the debug server with health and
		// metrics, notifications, drain); esbtui's OCI 1.1 handler goes in
		// front of its handler through distribution's own middleware hook.
		// The hook is process-wide: RunInContainer is the container's
		// entrypoint and runs once.
		wrap := func(next http.Handler) http.Handler { return NewOCIHandler(next) }
		if dir := os.Getenv(MirrorDirEnv); dir != "" {
			mw, err := setUpMirror(ctx, dir)
			if err != nil {
				return err
			}
			wrap = func(next http.Handler) http.Handler { return mw(NewOCIHandler(next)) }
		}
		registry.RegisterHandler(func(_ *configuration.Configuration, next http.Handler) http.Handler {
			return wrap(next)
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
