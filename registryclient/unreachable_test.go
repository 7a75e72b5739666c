package registryclient

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/esbtui/esbtui/registryclient/registrytest"
)

func TestUnreachable(t *testing.T) {
	ctx := ctxT(t)
	c := newClient(t, Options{})

	// TCP: nothing listens.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	_, err = c.Catalog(ctx, closed)
	ue := unreachable(err)
	if ue == nil || ue.Stage != StageTCP || ue.Registry != closed || !strings.Contains(err.Error(), "esbtui up") {
		t.Errorf("closed port: %v", err)
	}

	// TLS: a registry whose certificate comes from another CA.
	other := registrytest.Start(t, registrytest.Options{CertDir: otherCertDir})
	_, err = c.Tags(ctx, "fn", other.Addr)
	ue = unreachable(err)
	if ue == nil || ue.Stage != StageTLS || !strings.Contains(ue.Reason, "unknown authority") || !strings.Contains(ue.Fix, "esbtui init") || !strings.Contains(ue.Fix, "trust store") {
		t.Errorf("foreign CA: %v", err)
	}

	// TLS: a plain-HTTP server.
	plain := httptest.NewServer(http.NotFoundHandler())
	defer plain.Close()
	_, err = c.Inspect(ctx, "fn:1", plain.Listener.Addr().String())
	ue = unreachable(err)
	if ue == nil || ue.Stage != StageTLS || !strings.Contains(ue.Reason, "plain HTTP") {
		t.Errorf("plain HTTP server: %v", err)
	}

	// HTTP: an HTTPS server with our certificate that is not a registry.
	tlsCfg, err := registrytest.ServerTLS(certDir)
	if err != nil {
		t.Fatal(err)
	}
	web := httptest.NewUnstartedServer(http.NotFoundHandler())
	web.TLS = tlsCfg
	web.StartTLS()
	defer web.Close()
	_, err = c.Probe(ctx, web.Listener.Addr().String())
	ue = unreachable(err)
	if ue == nil || ue.Stage != StageHTTP || ue.Status != http.StatusNotFound || !strings.Contains(ue.Reason, "not a container registry") {
		t.Errorf("404 server: %v", err)
	}

	// A healthy registry probes fine, by IP and by localhost.
	reg := startRegistry(t, registrytest.Options{})
	for _, h := range []string{reg.Addr, reg.Host()} {
		if p, err := c.Probe(ctx, h); err != nil || p.APIVersion == "" {
			t.Errorf("probe %s: %+v %v", h, p, err)
		}
	}
}
