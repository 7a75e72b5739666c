package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"
)

// Leaf certificate policy.
const (
	// LeafValidity stays within the 199 days clients and linters accept for
	// leaf certificates from 2026-03-15 (zlint warns at 200).
	LeafValidity = 199 * 24 * time.Hour
	// RenewBefore is how close to expiry a leaf is reissued.
	RenewBefore = 30 * 24 * time.Hour
)

// KeyType selects the server key algorithm.
type KeyType string

// Supported server key types.
const (
	KeyECDSAP256 KeyType = "ecdsa-p256"
	KeyRSA2048   KeyType = "rsa2048"
)

// ParseKeyType accepts the names users type.
func ParseKeyType(s string) (KeyType, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "ecdsa", "ecdsa-p256", "p256", "ec":
		return KeyECDSAP256, nil
	case "rsa", "rsa2048", "rsa-2048":
		return KeyRSA2048, nil
	}
	return "", fmt.Errorf("pki: unknown key type %q: use ecdsa-p256 (default) or rsa2048", s)
}

func (k KeyType) matches(pub crypto.PublicKey) bool {
	switch p := pub.(type) {
	case *ecdsa.PublicKey:
		return k == KeyECDSAP256 && p.Curve == elliptic.P256()
	case *rsa.PublicKey:
		return k == KeyRSA2048 && p.N.BitLen() == 2048
	}
	return false
}

func (k KeyType) generate() (crypto.Signer, error) {
	switch k {
	case KeyRSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	default:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
}

// issueLeaf signs a server certificate for names with a fresh key.
func issueLeaf(ca *CA, names Names, kt KeyType, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := kt.generate()
	if err != nil {
		return nil, nil, fmt.Errorf("pki: generate server key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, nil, err
	}
	ku := x509.KeyUsageDigitalSignature
	if kt == KeyRSA2048 {
		ku |= x509.KeyUsageKeyEncipherment
	}
	notBefore := now.Add(-time.Hour).UTC().Truncate(time.Second)
	if notBefore.Before(ca.Cert.NotBefore) {
		notBefore = ca.Cert.NotBefore
	}
	tpl := &x509.Certificate{
		SerialNumber:          serial,
		NotBefore:             notBefore,
		NotAfter:              leafNotAfter(ca, now),
		KeyUsage:              ku,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  false,
		DNSNames:              names.DNS,
		IPAddresses:           names.IPs,
		AuthorityKeyId:        ca.Cert.SubjectKeyId,
	}
	if ski, err := subjectKeyID(key.Public()); err == nil {
		tpl.SubjectKeyId = ski
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: sign server certificate: %w", err)
	}
	keyPEM, err = encodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	return encodeCert(der), keyPEM, nil
}

// leafNotAfter is the end of a leaf issued at now: LeafValidity, cut to
// the CA's own NotAfter so no leaf outlives the CA that signed it.
func leafNotAfter(ca *CA, now time.Time) time.Time {
	end := now.Add(-time.Hour).UTC().Truncate(time.Second).Add(LeafValidity - time.Second)
	if end.After(ca.Cert.NotAfter) {
		return ca.Cert.NotAfter
	}
	return end
}

// leafClamped reports that a leaf issued at now ends with the CA.
func leafClamped(ca *CA, now time.Time) bool {
	return !leafNotAfter(ca, now).Before(ca.Cert.NotAfter)
}

// leafState is what the store holds for the server certificate.
type leafState struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// loadLeaf reads the server pair. A missing file returns fs.ErrNotExist; an
// unreadable or wrongly permissioned key is an error the user must fix (we do
// not replace a key we cannot read: something is wrong with the directory).
func (s *Store) loadLeaf() (leafState, error) {
	var st leafState
	certPEM, err := s.readFile(ServerCertFile, false)
	if err != nil {
		return st, err
	}
	keyPEM, err := s.readFile(ServerKeyFile, true)
	if err != nil {
		return st, err
	}
	if c, err := ParseCertPEM(certPEM); err == nil {
		st.cert = c
	}
	if k, err := ParseKeyPEM(keyPEM); err == nil {
		st.key = k
	}
	return st, nil
}

// reissueReason says why the server certificate must be (re)issued, or ""
// when the existing one is good for the requested names, key type and CA.
func reissueReason(st leafState, loadErr error, ca *CA, want Names, kt KeyType, now time.Time) string {
	switch {
	case errors.Is(loadErr, fs.ErrNotExist):
		return "missing"
	case st.cert == nil:
		return ServerCertFile + " is not a readable certificate"
	case st.key == nil:
		return ServerKeyFile + " is not a readable private key"
	case !publicKeysEqual(st.key.Public(), st.cert.PublicKey):
		return "key does not match certificate"
	}
	if err := st.cert.CheckSignatureFrom(ca.Cert); err != nil {
		return "not signed by the current CA"
	}
	// A leaf cut to the CA's expiry is renewed only once expired: a new
	// one could not last longer.
	if left := st.cert.NotAfter.Sub(now); left <= 0 || (left < RenewBefore && st.cert.NotAfter.Before(ca.Cert.NotAfter)) {
		if left <= 0 {
			return "expired on " + st.cert.NotAfter.Format("2006-01-02")
		}
		return fmt.Sprintf("expires in %d days (renewing within %d days of expiry)", int(left.Hours()/24), int(RenewBefore.Hours()/24))
	}
	if missing := uncoveredNames(st.cert, want); len(missing) > 0 {
		return "does not cover " + strings.Join(missing, ", ")
	}
	if !kt.matches(st.cert.PublicKey) {
		return fmt.Sprintf("key is %s, %s requested", KeyDescription(st.cert.PublicKey), kt)
	}
	return ""
}

// uncoveredNames lists the wanted names the certificate's SANs do not hold.
func uncoveredNames(c *x509.Certificate, want Names) []string {
	var out []string
	for _, d := range want.DNS {
		found := false
		for _, have := range c.DNSNames {
			if strings.EqualFold(have, d) {
				found = true
				break
			}
		}
		if !found {
			out = append(out, d)
		}
	}
	for _, ip := range want.IPs {
		found := false
		for _, have := range c.IPAddresses {
			if have.Equal(ip) {
				found = true
				break
			}
		}
		if !found {
			out = append(out, ip.String())
		}
	}
	return out
}

// ServerNames returns the default SANs plus extras, validated.
func ServerNames(extra []string) (Names, error) {
	return ParseNames(append(append([]string(nil), DefaultSANs...), extra...))
}

// notCovered lists names the CA's constraints do not permit.
func notCovered(ca *x509.Certificate, names Names) []string {
	var out []string
	if len(ca.PermittedDNSDomains) > 0 {
		for _, d := range names.DNS {
			if !dnsPermitted(ca.PermittedDNSDomains, d) {
				out = append(out, d)
			}
		}
	}
	if len(ca.PermittedIPRanges) > 0 {
		for _, ip := range names.IPs {
			if !ipPermitted(ca.PermittedIPRanges, ip) {
				out = append(out, ip.String())
			}
		}
	}
	return out
}
