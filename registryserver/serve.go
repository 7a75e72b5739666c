package registryserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"

	// The filesystem storage driver registers itself.
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
)

// ServeOptions configure the in-process registry.
type ServeOptions struct {
	// Addr is the listen address, "127.0.0.1:5000" by default (loopback:
	// the registry has no authentication).
	Addr string
	// DataDir is the filesystem storage root ($ESB_HOME/registry).
	DataDir string
	// CertFile and KeyFile are the server certificate (ours) and its key.
	CertFile, KeyFile string
	// Ready, if set, is called with the bound address once requests are
	// accepted.
	Ready func(addr string)
}

// Serve runs the distribution v3 registry in this process over TLS until
// ctx is done, then shuts down cleanly (in-flight requests get 10 s). It is
// for machines without a Docker engine. The registry is built with
// handlers.NewApp behind our own http.Server: configuration is built in code
// (not configuration.Parse, which would apply the process's REGISTRY_* env),
// the access log is off, its logrus output goes where SetLogger says, and
// it never installs signal handlers.
func Serve(ctx context.Context, o ServeOptions) error {
	if o.Addr == "" {
		o.Addr = "127.0.0.1:5000"
	}
	cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
	if err != nil {
		return fmt.Errorf("registryserver: serve: load the server certificate %s: %w (run `esbtui init`)", o.CertFile, err)
	}
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return fmt.Errorf("registryserver: serve: create storage %s: %w", o.DataDir, err)
	}
	cfg := serveConfig(o)
	appCtx, cancelApp := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelApp()
	app := handlers.NewApp(appCtx, cfg)
	defer app.Shutdown()

	mux := http.NewServeMux()
	mux.Handle("/v2/", NewOCIHandler(app)) // OCI 1.1 in front of distribution (ocihandler.go)
	// `/` answers like the registry's own alive handler, so the same
	// healthcheck works against both.
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusOK)
	})
	srv := &http.Server{
		Handler:           mux,
		TLSConfig:         serverTLSConfig(cert), // TLS 1.2+, AEAD suites only (tlsserver.go)
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          discardLogger(),
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("registryserver: serve: listen on %s: %w", o.Addr, err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.ServeTLS(ln, "", "") }()
	if o.Ready != nil {
		o.Ready(ln.Addr().String())
	}
	select {
	case err := <-done:
		return fmt.Errorf("registryserver: serve on %s: %w", o.Addr, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("registryserver: serve: shut down: %w", err)
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("registryserver: serve: %w", err)
	}
	return nil
}

// NonDistributableURLAllow is the pattern the `urls` of a manifest's
// non-distributable layers must match (the image's registry-config.yml
// names the same).
const NonDistributableURLAllow = "^https://"

// serveConfig is the registry:3 image's configuration plus TLS, delete,
// https URLs of non-distributable layers and the defaults
// configuration.Parse would fill in.
func serveConfig(o ServeOptions) *configuration.Configuration {
	cfg := &configuration.Configuration{}
	cfg.Version = configuration.MajorMinorVersion(0, 1)
	cfg.Log.Level = "info"
	cfg.Log.AccessLog.Disabled = true
	cfg.Log.Fields = map[string]any{"service": "registry"}
	cfg.Storage = configuration.Storage{
		"filesystem": configuration.Parameters{"rootdirectory": o.DataDir},
		"delete":     configuration.Parameters{"enabled": true},
		"cache":      configuration.Parameters{"blobdescriptor": "inmemory"},
	}
	cfg.HTTP.Addr = o.Addr
	cfg.HTTP.Headers = map[string][]string{"X-Content-Type-Options": {"nosniff"}}
	// Non-distributable layers (OCI 1.1): a manifest may name layers the
	// registry does not hold by their `urls`. distribution validates those
	// URLs against an allow list that is empty (nothing allowed: the PUT
	// fails) unless configured; esbtui allows https URLs, never plain http.
	// The registry itself never fetches them.
	cfg.Validation.Manifests.URLs.Allow = []string{NonDistributableURLAllow}
	cfg.Catalog.MaxEntries = 1000
	cfg.Tags.MaxTags = 1000
	return cfg
}

// discardLogger is a *log.Logger that drops everything (http.Server's
// TLS handshake errors would otherwise go to stderr).
func discardLogger() *log.Logger { return log.New(io.Discard, "", 0) }
