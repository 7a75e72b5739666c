package env

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"runtime"
)

// bundleFiles are where Linux distributions keep the system bundle (the same
// list Go's crypto/x509 uses).
var bundleFiles = []string{
	"/etc/ssl/certs/ca-certificates.crt",
	"/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/ssl/ca-bundle.pem",
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
	"/etc/ssl/cert.pem",
}

// freshSystemPool reads the system trust bundle from disk now (SSL_CERT_FILE
// and SSL_CERT_DIR honoured) instead of Go's per-process cached pool, so a
// check right after an install sees it. Elsewhere than Linux it falls back to
// the platform verifier's pool.
func freshSystemPool() (*x509.CertPool, error) {
	if runtime.GOOS != "linux" {
		return x509.SystemCertPool()
	}
	pool := x509.NewCertPool()
	files := bundleFiles
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		files = []string{f}
	}
	found := false
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			pool.AppendCertsFromPEM(b)
			found = true
			break
		}
	}
	dirs := []string{"/etc/ssl/certs", "/etc/pki/tls/certs"}
	if d := os.Getenv("SSL_CERT_DIR"); d != "" {
		dirs = filepath.SplitList(d)
	}
	if !found {
		for _, d := range dirs {
			ents, err := os.ReadDir(d)
			if err != nil {
				continue
			}
			for _, e := range ents {
				if b, err := os.ReadFile(filepath.Join(d, e.Name())); err == nil {
					pool.AppendCertsFromPEM(b)
					found = true
				}
			}
		}
	}
	if !found {
		return x509.SystemCertPool()
	}
	return pool, nil
}
