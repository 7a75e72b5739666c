package flows

import (
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// bundleFiles are where Linux distributions keep the system bundle (the same
// list Go's crypto/x509 uses, plus SUSE's generated file, which a sandbox
// holds without the /etc/ssl/ca-bundle.pem symlink).
var bundleFiles = []string{
	"/etc/ssl/certs/ca-certificates.crt",
	"/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/ssl/ca-bundle.pem",
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
	"/etc/ssl/cert.pem",
	"/var/lib/ca-certificates/ca-bundle.pem",
}

// bundleDirs hold one certificate per file when no bundle exists.
var bundleDirs = []string{"/etc/ssl/certs", "/etc/pki/tls/certs"}

// freshSystemPool reads the system trust bundle from disk now instead of Go's
// per-process cached pool, so a check right after an install sees it.
// SSL_CERT_FILE and SSL_CERT_DIR, when set, are read as given (they are what
// this process's TLS clients use). Otherwise, under a sandbox root
// (ESB_TRUST_ROOT) the same paths are read inside the root and nothing
// outside it: "the system" is the sandbox, where `esbtui trust install`
// wrote. Elsewhere than Linux, without a root, it falls back to the platform
// verifier's pool.
func freshSystemPool(root, fileEnv, dirEnv string) (*x509.CertPool, error) {
	if runtime.GOOS != "linux" && root == "" && fileEnv == "" && dirEnv == "" {
		return x509.SystemCertPool()
	}
	under := func(p string) string {
		if root == "" {
			return p
		}
		return filepath.Join(root, p)
	}
	files := make([]string, 0, len(bundleFiles))
	for _, f := range bundleFiles {
		files = append(files, under(f))
	}
	if fileEnv != "" {
		files = []string{fileEnv}
	}
	dirs := make([]string, 0, len(bundleDirs))
	for _, d := range bundleDirs {
		dirs = append(dirs, under(d))
	}
	if dirEnv != "" {
		dirs = filepath.SplitList(dirEnv)
	}
	pool := x509.NewCertPool()
	for _, f := range files {
		if b, err := os.ReadFile(f); err == nil {
			pool.AppendCertsFromPEM(b)
			return pool, nil
		}
	}
	found := false
	for _, d := range dirs {
		ents, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if b, err := os.ReadFile(filepath.Join(d, e.Name())); err == nil && pool.AppendCertsFromPEM(b) {
				found = true
			}
		}
	}
	switch {
	case found:
		return pool, nil
	case fileEnv != "" || dirEnv != "":
		return nil, fmt.Errorf("no certificate in SSL_CERT_FILE=%q or SSL_CERT_DIR=%q: point them at a bundle or unset them", fileEnv, dirEnv)
	case root != "":
		return nil, fmt.Errorf("no trust bundle under the sandbox %s=%s (looked for %s): run `esbtui trust install`", EnvTrustRoot, root, files[0])
	}
	return x509.SystemCertPool()
}
