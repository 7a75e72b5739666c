// Package registrytest runs the real distribution v3 registry in-process
// over real TLS, with a server certificate issued by esbtui's pki, for
// tests and benchmarks. It is imported only from _test files and test/.
package registrytest

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory"
	"github.com/sirupsen/logrus"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/pki"
)

// Options for Start.
type Options struct {
	// CertDir is a pki store whose CA issues the server certificate; it is
	// created (CA + server cert) when empty of certificates.
	CertDir string
	// DataDir selects the filesystem driver rooted there; empty means in memory.
	DataDir string
	// Wrap, when set, wraps the registry handler (fault injection).
	Wrap func(http.Handler) http.Handler
	// MaxEntries is the catalog's largest page (default 1000).
	MaxEntries int
	// HTTP2 lets clients negotiate HTTP/2, as registry:3 does.
	HTTP2 bool
}

// Registry is a running in-process registry.
type Registry struct {
	Addr    string // 127.0.0.1:port
	CertDir string
	CAFile  string
	Server  *httptest.Server
}

var quietOnce sync.Once

// EnsureCerts makes dir a complete pki store (an RSA 4096 CA takes a few
// seconds: share one directory between tests).
func EnsureCerts(dir string) error {
	_, err := pki.NewStore(dir).Ensure(context.Background(), pki.Options{}, progress.Discard)
	return err
}

// ServerTLS loads the store's server certificate chain for a TLS server.
func ServerTLS(dir string) (*tls.Config, error) {
	s := pki.NewStore(dir)
	chain := s.Path(pki.ServerChainFile)
	if _, err := os.Stat(chain); err != nil {
		chain = s.Path(pki.ServerCertFile)
	}
	cert, err := tls.LoadX509KeyPair(chain, s.Path(pki.ServerKeyFile))
	if err != nil {
		return nil, fmt.Errorf("registrytest: load server cert from %s: %w", dir, err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// Start runs the registry until the test ends.
func Start(tb testing.TB, o Options) *Registry {
	tb.Helper()
	quietOnce.Do(func() {
		os.Setenv("OTEL_TRACES_EXPORTER", "none")
		logrus.SetOutput(io.Discard)
		logrus.SetLevel(logrus.PanicLevel)
	})
	if o.CertDir == "" {
		o.CertDir = tb.TempDir()
	}
	if err := EnsureCerts(o.CertDir); err != nil {
		tb.Fatalf("registrytest: certs: %v", err)
	}
	if o.MaxEntries == 0 {
		o.MaxEntries = 1000
	}
	storage := "  inmemory: {}\n"
	if o.DataDir != "" {
		storage = fmt.Sprintf("  filesystem:\n    rootdirectory: %q\n", o.DataDir)
	}
	yml := fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
%s  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:0
  secret: registrytest
catalog:
  maxentries: %d
`, storage, o.MaxEntries)
	cfg, err := configuration.Parse(strings.NewReader(yml))
	if err != nil {
		tb.Fatalf("registrytest: config: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	app := handlers.NewApp(ctx, cfg)
	var h http.Handler = app
	if o.Wrap != nil {
		h = o.Wrap(h)
	}
	tlsCfg, err := ServerTLS(o.CertDir)
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = tlsCfg
	srv.EnableHTTP2 = o.HTTP2
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	tb.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		cancel()
	})
	return &Registry{
		Addr:    srv.Listener.Addr().String(),
		CertDir: o.CertDir,
		CAFile:  pki.NewStore(o.CertDir).Path(pki.CACertFile),
		Server:  srv,
	}
}

// Host returns "localhost:port", the name users give for the local registry.
func (r *Registry) Host() string {
	_, port, _ := net.SplitHostPort(r.Addr)
	return "localhost:" + port
}
