package pki

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"os"
	"time"

	pkcs12 "software.sslmate.com/src/go-pkcs12"
)

// Export file names. The keystore holds the server key, so it stays inside
// the store (0600) like the key itself; the truststore holds only the CA
// certificate and may be copied anywhere.
const (
	ServerP12File     = "server.p12"
	ServerP12PassFile = "server.p12.pass"
	TrustP12File      = "rootCA-truststore.p12"
)

// ExportResult names the files ExportPKCS12 wrote. The password is never
// returned or printed: it is in PasswordFile (0600).
type ExportResult struct {
	KeyStore     string `json:"keystore"`
	PasswordFile string `json:"password_file"`
	TrustStore   string `json:"truststore"`
	// TrustStorePassword is the conventional public password of a
	// certificate-only truststore (it protects nothing secret).
	TrustStorePassword string `json:"truststore_password"`
}

// ExportPKCS12 writes server.p12 (server key + certificate + CA, for Java or
// Windows servers) with a random password stored in server.p12.pass, and
// rootCA-truststore.p12 (the CA certificate only, password "changeit", for
// Java clients). Existing exports are replaced atomically.
func (s *Store) ExportPKCS12(ctx context.Context) (*ExportResult, error) {
	if _, err := os.Stat(s.Dir); err != nil {
		return nil, &MissingError{Path: s.Dir, Fix: "run `esbtui init` first"}
	}
	if err := s.checkOwner(); err != nil {
		return nil, err
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	ca, err := s.LoadUsableCA(time.Now())
	if err != nil {
		return nil, err
	}
	st, err := s.loadLeaf()
	if err != nil {
		return nil, fmt.Errorf("pki: export: %w (run `esbtui init` first)", err)
	}
	if st.cert == nil || st.key == nil || !publicKeysEqual(st.key.Public(), st.cert.PublicKey) {
		return nil, fmt.Errorf("pki: export: the server pair in %s is not usable: run `esbtui cert rotate`", s.Dir)
	}
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("pki: export: generate password: %w", err)
	}
	pass := base64.RawURLEncoding.EncodeToString(raw)
	ks, err := pkcs12.Modern.Encode(st.key, st.cert, []*x509.Certificate{ca.Cert}, pass)
	if err != nil {
		return nil, fmt.Errorf("pki: export %s: %w", ServerP12File, err)
	}
	const trustPass = "changeit"
	ts, err := pkcs12.Modern.EncodeTrustStore([]*x509.Certificate{ca.Cert}, trustPass)
	if err != nil {
		return nil, fmt.Errorf("pki: export %s: %w", TrustP12File, err)
	}
	if err := s.writeSet([]pendingFile{
		{ServerP12PassFile, []byte(pass + "\n"), 0o600},
		{ServerP12File, ks, 0o600},
		{TrustP12File, ts, 0o644},
	}); err != nil {
		return nil, err
	}
	return &ExportResult{
		KeyStore:           s.Path(ServerP12File),
		PasswordFile:       s.Path(ServerP12PassFile),
		TrustStore:         s.Path(TrustP12File),
		TrustStorePassword: trustPass,
	}, nil
}
