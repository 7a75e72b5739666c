package stack

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"time"
)

// ProbeRegistry GETs https://addr/v2/ trusting only roots (our CA), not the
// system pool, and expects 200 (or 401 when the registry has auth on). It
// returns a *RegistryProbeError otherwise.
func ProbeRegistry(ctx context.Context, addr string, roots *x509.CertPool) error {
	url := "https://" + addr + "/v2/"
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return &RegistryProbeError{URL: url, Err: err}
	}
	resp, err := c.Do(req)
	if err != nil {
		return &RegistryProbeError{URL: url, Err: err}
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusUnauthorized {
		return &RegistryProbeError{URL: url, Err: fmt.Errorf("HTTP %s", resp.Status)}
	}
	return nil
}
