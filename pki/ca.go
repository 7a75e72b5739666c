package pki

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"os/user"
	"time"
)

// CA validity and key size. The CA is created once and never regenerated.
const (
	CAValidityYears = 10
	CAKeyBits       = 4096
	caOrganization  = "esbtui development CA"
	caCountry       = "JP"
)

// CA is the loaded root: its certificate and signing key.
type CA struct {
	Cert    *x509.Certificate
	CertPEM []byte
	Key     crypto.Signer
}

// caCommonName names the machine and user, like mkcert does, so a user can
// tell in a trust store whose CA this is.
func caCommonName() string {
	u := "unknown"
	if cu, err := user.Current(); err == nil && cu.Username != "" {
		u = cu.Username
	}
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "localhost"
	}
	return fmt.Sprintf("%s %s@%s", caOrganization, u, h)
}

// newCA creates a root key and certificate: RSA 4096, SHA-256, 10 years,
// critical KeyUsage/BasicConstraints/NameConstraints, SKI = AKI.
func newCA(extra Names, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := rsa.GenerateKey(rand.Reader, CAKeyBits)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: generate CA key: %w", err)
	}
	tpl, err := caTemplate(extra, key.Public(), now)
	if err != nil {
		return nil, nil, err
	}
	tpl.SignatureAlgorithm = x509.SHA256WithRSA
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, key.Public(), key)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: sign CA certificate: %w", err)
	}
	keyPEM, err = encodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	return encodeCert(der), keyPEM, nil
}

// caTemplate is the root certificate for pub: the policy every esbtui CA
// follows (10 years, CertSign, name-constrained to the local names plus
// extra).
func caTemplate(extra Names, pub crypto.PublicKey, now time.Time) (*x509.Certificate, error) {
	ski, err := subjectKeyID(pub)
	if err != nil {
		return nil, err
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	dns, ips := constraintsFor(extra)
	notBefore := now.Add(-time.Hour).UTC().Truncate(time.Second)
	return &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			Country:      []string{caCountry},
			Organization: []string{caOrganization},
			CommonName:   caCommonName(),
		},
		NotBefore:                   notBefore,
		NotAfter:                    notBefore.AddDate(CAValidityYears, 0, 0),
		KeyUsage:                    x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid:       true,
		IsCA:                        true,
		MaxPathLenZero:              false,
		MaxPathLen:                  -1,
		SubjectKeyId:                ski,
		AuthorityKeyId:              ski,
		PermittedDNSDomainsCritical: true,
		PermittedDNSDomains:         dns,
		PermittedIPRanges:           ips,
	}, nil
}

// subjectKeyID is the leftmost 160 bits of the SHA-256 of the public key bits
// (RFC 7093 method 1).
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("pki: marshal public key: %w", err)
	}
	var info struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(spki, &info); err != nil {
		return nil, fmt.Errorf("pki: parse public key: %w", err)
	}
	sum := sha256.Sum256(info.PublicKey.Bytes)
	return sum[:20], nil
}

// randomSerial returns a positive serial of 127 random bits, at least 2^64.
func randomSerial() (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 127)
	floor := new(big.Int).Lsh(big.NewInt(1), 64)
	for {
		n, err := rand.Int(rand.Reader, limit)
		if err != nil {
			return nil, fmt.Errorf("pki: generate serial: %w", err)
		}
		if n.Cmp(floor) >= 0 {
			return n, nil
		}
	}
}

// LoadCA reads and checks the root CA: both files present, key 0600, key
// matching the certificate, the certificate a CA. It never modifies anything.
func (s *Store) LoadCA() (*CA, error) {
	certPEM, err := s.readFile(CACertFile, false)
	if errors.Is(err, fs.ErrNotExist) {
		if ok, _ := s.exists(CAKeyFile); ok {
			return nil, &MissingError{Path: s.Path(CACertFile), Fix: fmt.Sprintf("the CA key is there but its certificate is not; restore %s from a backup (esbtui never regenerates a CA whose key exists)", CACertFile)}
		}
		return nil, fmt.Errorf("pki: %w in %s: run `esbtui init`: %w", ErrNoCA, s.Dir, &MissingError{Path: s.Path(CACertFile), Fix: "run `esbtui init`"})
	}
	if err != nil {
		return nil, err
	}
	cert, err := ParseCertPEM(certPEM)
	if err != nil {
		return nil, &CorruptError{Path: s.Path(CACertFile), Why: err.Error(), Fix: "restore it from a backup; esbtui will not overwrite CA material"}
	}
	if !cert.IsCA {
		return nil, &CorruptError{Path: s.Path(CACertFile), Why: "not a CA certificate (BasicConstraints CA:FALSE)", Fix: "restore the root certificate from a backup"}
	}
	keyPEM, err := s.readFile(CAKeyFile, true)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &MissingError{Path: s.Path(CAKeyFile), Fix: "the CA certificate is there but its key is not: restore the key from a backup; without it no new certificates can be signed (to start over, move the certs directory away and run `esbtui init`, then re-trust the new CA)"}
	}
	if err != nil {
		return nil, err
	}
	key, err := ParseKeyPEM(keyPEM)
	if err != nil {
		return nil, &CorruptError{Path: s.Path(CAKeyFile), Why: err.Error(), Fix: "restore it from a backup; esbtui will not overwrite CA material"}
	}
	if !publicKeysEqual(key.Public(), cert.PublicKey) {
		return nil, &CorruptError{Path: s.Path(CAKeyFile), Why: "does not match " + s.Path(CACertFile), Fix: "the key and certificate come from different CAs (a foreign CA copied over " + CACertFile + "?): restore the matching pair from a backup"}
	}
	return &CA{Cert: cert, CertPEM: certPEM, Key: key}, nil
}

// recoverCA finishes a CA creation that was interrupted between installing
// the key and installing the certificate: the pending certificate was written
// before the key, so if it matches the key it is the CA's one true
// certificate. Leftover pending files of a CA that was never installed are
// removed: they never were in use.
func (s *Store) recoverCA() error {
	keyThere, err := s.exists(CAKeyFile)
	if err != nil {
		return err
	}
	certThere, err := s.exists(CACertFile)
	if err != nil {
		return err
	}
	pendingCert, _ := s.exists(CACertFile + pendingSuffix)
	if keyThere && !certThere && pendingCert {
		keyPEM, err := s.readFile(CAKeyFile, true)
		if err != nil {
			return err
		}
		certPEM, err := os.ReadFile(s.Path(CACertFile + pendingSuffix))
		if err != nil {
			return fmt.Errorf("pki: read %s: %w", s.Path(CACertFile+pendingSuffix), err)
		}
		key, kerr := ParseKeyPEM(keyPEM)
		cert, cerr := ParseCertPEM(certPEM)
		if kerr == nil && cerr == nil && publicKeysEqual(key.Public(), cert.PublicKey) {
			return s.commit(CACertFile)
		}
		return nil
	}
	if !keyThere && !certThere {
		for _, n := range []string{CAKeyFile, CACertFile} {
			os.Remove(s.Path(n + pendingSuffix))
		}
	}
	return nil
}
