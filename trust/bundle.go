package trust

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/crypto/x509roots/fallback/bundle"
	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// The CA bundle for containers and runtimes with their own trust store:
// the public web roots (Mozilla's, from golang.org/x/crypto/x509roots, the
// same on every host OS) followed by esbtui's CA, as PEM and as a PKCS#12
// truststore for Java. The files live in one directory ($ESB_HOME/trust).
const (
	// BundleFile is the PEM bundle (public roots, then esbtui's CA).
	BundleFile = "ca-bundle.pem"
	// TrustStoreFile is the same certificates as a PKCS#12 truststore.
	TrustStoreFile = "ca-truststore.p12"
	// TrustStorePassword is the conventional public password of a
	// certificate-only truststore (it protects nothing secret).
	TrustStorePassword = "changeit"
)

// Bundle names the files WriteBundle keeps up to date.
type Bundle struct {
	// PEM is the path of the PEM bundle, TrustStore of the PKCS#12 one.
	PEM        string `json:"pem"`
	TrustStore string `json:"truststore"`
	// SHA256 is the hex SHA-256 of the PEM bundle: it changes when the CA
	// (or the public roots) change.
	SHA256 string `json:"sha256"`
	// PublicRoots is how many public roots it holds (besides the CA).
	PublicRoots int `json:"public_roots"`
	// Written is false when the files on disk were already current.
	Written bool `json:"written"`
}

// PublicRoots are the public web roots the bundle carries: every root of
// the NSS store that has no constraint beyond what X.509 encodes. Roots
// Mozilla constrains (distrust after a date) are left out: a PEM file
// cannot carry the constraint, and OpenSSL would trust them without it.
func PublicRoots() ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for r := range bundle.Roots() {
		if r.Constraint != nil {
			continue
		}
		c, err := x509.ParseCertificate(r.Certificate)
		if err != nil {
			return nil, fmt.Errorf("trust: parse a public root of x509roots: %w", err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("trust: the public root bundle (x509roots) is empty")
	}
	return out, nil
}

// BundlePEM is the PEM bundle for ca: the public roots, then ca, one
// CERTIFICATE block each, nothing else.
func BundlePEM(ca *x509.Certificate) ([]byte, int, error) {
	if ca == nil || !ca.IsCA {
		return nil, 0, errors.New("trust: bundle: no CA certificate given")
	}
	roots, err := PublicRoots()
	if err != nil {
		return nil, 0, err
	}
	var buf bytes.Buffer
	for _, c := range append(roots, ca) {
		if err := pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}); err != nil {
			return nil, 0, fmt.Errorf("trust: bundle: encode: %w", err)
		}
	}
	return buf.Bytes(), len(roots), nil
}

// WriteBundle keeps dir/ca-bundle.pem and dir/ca-truststore.p12 current
// for ca: both are rewritten (atomically, truststore first, 0644) when the
// PEM bundle on disk differs from the one for ca or the truststore is
// missing; otherwise nothing is written.
func WriteBundle(dir string, ca *x509.Certificate) (*Bundle, error) {
	data, n, err := BundlePEM(ca)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	b := &Bundle{
		PEM:         filepath.Join(dir, BundleFile),
		TrustStore:  filepath.Join(dir, TrustStoreFile),
		SHA256:      hex.EncodeToString(sum[:]),
		PublicRoots: n,
	}
	if bundleCurrent(b.PEM, data) && regularFile(b.TrustStore) {
		return b, nil
	}
	certs, err := parseBundle(data)
	if err != nil {
		return nil, err
	}
	p12, err := pkcs12.Modern.EncodeTrustStore(certs, TrustStorePassword)
	if err != nil {
		return nil, fmt.Errorf("trust: bundle: encode the PKCS#12 truststore: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("trust: bundle: create %s: %w", dir, err)
	}
	if err := writeFileAtomic(b.TrustStore, p12, 0o644); err != nil {
		return nil, fmt.Errorf("trust: bundle: write %s: %w", b.TrustStore, err)
	}
	if err := writeFileAtomic(b.PEM, data, 0o644); err != nil {
		return nil, fmt.Errorf("trust: bundle: write %s: %w", b.PEM, err)
	}
	b.Written = true
	return b, nil
}

// bundleCurrent reports whether path is a regular file holding exactly want.
func bundleCurrent(path string, want []byte) bool {
	if !regularFile(path) {
		return false
	}
	got, err := os.ReadFile(path)
	return err == nil && bytes.Equal(got, want)
}

func regularFile(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode().IsRegular()
}

// parseBundle parses the certificates of a PEM bundle.
func parseBundle(data []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return out, nil
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("trust: bundle: parse: %w", err)
		}
		out = append(out, c)
	}
}
