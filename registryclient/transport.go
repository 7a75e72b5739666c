package registryclient

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

// loadRoots returns the system pool plus the PEM certificates in caFile.
func loadRoots(caFile string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if caFile == "" {
		return pool, nil
	}
	pem, err := os.ReadFile(caFile)
	if os.IsNotExist(err) {
		return pool, nil
	}
	if err != nil {
		return nil, fmt.Errorf("registryclient: read CA %s: %w (check its permissions, or run `esbtui init`)", caFile, err)
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("registryclient: CA %s holds no PEM certificate; run `esbtui status` to inspect it", caFile)
	}
	return pool, nil
}

// newTransport is HTTP/1.1 only (bulk uploads over HTTP/2 share one
// flow-controlled connection and run 1.4–1.6× slower) with enough idle
// connections per host for jobs concurrent uploads.
func newTransport(roots *x509.CertPool, jobs int) *http.Transport {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           d.DialContext,
		TLSClientConfig:       &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}},
		TLSNextProto:          map[string]func(string, *tls.Conn) http.RoundTripper{},
		ForceAttemptHTTP2:     false,
		MaxIdleConns:          4 * jobs,
		MaxIdleConnsPerHost:   2 * jobs,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		ResponseHeaderTimeout: 5 * time.Minute,
		WriteBufferSize:       256 << 10,
		ReadBufferSize:        256 << 10,
	}
}
