package pki

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"strings"
	"time"
)

// CertInfo describes one certificate file of the store.
type CertInfo struct {
	Role        string    `json:"role"` // "ca", "server" or "signing"
	File        string    `json:"file"`
	KeyFile     string    `json:"key_file"`
	Present     bool      `json:"present"`
	Subject     string    `json:"subject,omitempty"`
	Issuer      string    `json:"issuer,omitempty"`
	Serial      string    `json:"serial,omitempty"`
	SANs        []string  `json:"sans,omitempty"`
	KeyType     string    `json:"key_type,omitempty"`
	Fingerprint string    `json:"sha256,omitempty"`
	NotBefore   time.Time `json:"not_before,omitzero"`
	NotAfter    time.Time `json:"not_after,omitzero"`
	DaysLeft    int       `json:"days_left"`
	KeyMatch    bool      `json:"key_match"`
	ChainValid  bool      `json:"chain_valid"`
	ChainError  string    `json:"chain_error,omitempty"`
	// Constraints are the CA's permitted names (CA only).
	Constraints []string `json:"name_constraints,omitempty"`
	// Uncovered are SANs the CA's name constraints do not permit (server only).
	Uncovered []string `json:"uncovered_sans,omitempty"`
	// Problems are sentences that say what is wrong and how to fix it.
	Problems []string `json:"problems,omitempty"`
	// Warnings are not failures yet (e.g. expiring within 30 days).
	Warnings []string `json:"warnings,omitempty"`
}

// OK reports a present certificate with no problems.
func (c CertInfo) OK() bool { return c.Present && len(c.Problems) == 0 }

// Report is the inspection of the whole store.
type Report struct {
	Dir    string   `json:"dir"`
	CA     CertInfo `json:"ca"`
	Server CertInfo `json:"server"`
	// Signing is the code-signing certificate (absent in a store made
	// before signing existed: a warning, not a failure).
	Signing CertInfo `json:"signing"`
}

// OK reports that both certificates are present and sound.
func (r Report) OK() bool {
	return r.CA.OK() && r.Server.OK() && (!r.Signing.Present || r.Signing.OK())
}

// Fingerprint is the SHA-256 of the certificate's DER, as colon-free hex.
func Fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// Inspect reads the store without changing it and reports on each file.
func (s *Store) Inspect(now time.Time) Report {
	r := Report{Dir: s.Dir}
	r.CA = s.inspectCA(now)
	r.Server = s.inspectServer(now, r.CA)
	r.Signing = s.inspectSigning(now)
	if err := s.checkDirPerm(); err != nil {
		r.CA.Warnings = append(r.CA.Warnings, err.Error())
	}
	return r
}

func describe(info *CertInfo, c *x509.Certificate, now time.Time) {
	info.Subject = c.Subject.String()
	if info.Subject == "" {
		info.Subject = "(empty: names are in the SAN)"
	}
	info.Issuer = c.Issuer.String()
	info.Serial = strings.ToUpper(c.SerialNumber.Text(16))
	info.KeyType = KeyDescription(c.PublicKey)
	info.Fingerprint = Fingerprint(c)
	info.NotBefore, info.NotAfter = c.NotBefore, c.NotAfter
	info.DaysLeft = int(math.Floor(c.NotAfter.Sub(now).Hours() / 24))
	info.SANs = append(append([]string(nil), c.DNSNames...), ipStrings(c)...)
	if now.After(c.NotAfter) {
		info.Problems = append(info.Problems, fmt.Sprintf("expired on %s", c.NotAfter.Format("2006-01-02")))
	} else if now.Before(c.NotBefore) {
		info.Problems = append(info.Problems, fmt.Sprintf("not valid before %s (check the clock)", c.NotBefore.Format(time.RFC3339)))
	}
}

// readCert reads and parses the certificate file name into info (Present,
// then describe). On failure it records the problem — missing when the file
// does not exist, the parse error and fix when it is not a certificate —
// and returns nil.
func (s *Store) readCert(info *CertInfo, name, missing, fix string, now time.Time) *x509.Certificate {
	certPEM, err := s.readFile(name, false)
	if errors.Is(err, fs.ErrNotExist) {
		info.Problems = append(info.Problems, missing)
		return nil
	}
	if err != nil {
		info.Problems = append(info.Problems, err.Error())
		return nil
	}
	info.Present = true
	c, err := ParseCertPEM(certPEM)
	if err != nil {
		info.Problems = append(info.Problems, fmt.Sprintf("%s: %v: %s", info.File, err, fix))
		return nil
	}
	describe(info, c, now)
	return c
}

func (s *Store) inspectCA(now time.Time) CertInfo {
	info := CertInfo{Role: "ca", File: s.Path(CACertFile), KeyFile: s.Path(CAKeyFile)}
	c := s.readCert(&info, CACertFile, "no root CA: run `esbtui init`", "restore it from a backup", now)
	if c == nil {
		return info
	}
	info.Constraints = append(append([]string(nil), c.PermittedDNSDomains...), cidrStrings(c)...)
	problems := caProblems(c)
	info.Problems = append(info.Problems, problems...)
	info.ChainValid = c.CheckSignatureFrom(c) == nil
	if len(problems) > 0 || len(info.Problems) > 0 {
		info.Problems[len(info.Problems)-1] += ": " + NewCAFix(s.Dir, info.Fingerprint)
	}
	if gaps := constraintGaps(c); len(gaps) > 0 {
		info.Warnings = append(info.Warnings, strings.Join(gaps, "; ")+": esbtui will not sign with it or trust it; "+NewCAFix(s.Dir, info.Fingerprint))
	}
	if !info.OK() {
		return info
	}
	if data, err := s.readFile(CACertFile, false); err == nil {
		if err := singleCertPEM(data); err != nil {
			info.Problems = append(info.Problems, fmt.Sprintf("%s: %v: remove everything but the CA certificate", info.File, err))
			return info
		}
	}
	if _, err := s.LoadCA(); err != nil {
		info.Problems = append(info.Problems, err.Error())
	} else {
		info.KeyMatch = true
	}
	if info.DaysLeft < 365 && info.DaysLeft >= 0 {
		info.Warnings = append(info.Warnings, fmt.Sprintf("the CA expires in %d days: plan a new CA (move the certs directory away, run `esbtui init`, re-trust)", info.DaysLeft))
	}
	return info
}

func (s *Store) inspectServer(now time.Time, ca CertInfo) CertInfo {
	info := CertInfo{Role: "server", File: s.Path(ServerCertFile), KeyFile: s.Path(ServerKeyFile)}
	c := s.readCert(&info, ServerCertFile, "no server certificate: run `esbtui init`", "run `esbtui cert rotate`", now)
	if c == nil {
		return info
	}
	if len(info.Problems) > 0 {
		info.Problems[len(info.Problems)-1] += ": run `esbtui cert rotate`"
	} else if info.DaysLeft < int(RenewBefore.Hours()/24) {
		info.Warnings = append(info.Warnings, fmt.Sprintf("expires in %d days: run `esbtui init` or `esbtui cert rotate`", info.DaysLeft))
	}
	s.checkKey(&info, c, ServerKeyFile, "run `esbtui cert rotate`")
	caCert := s.checkChain(&info, c, now, x509.ExtKeyUsageServerAuth, "run `esbtui cert rotate`")
	if caCert == nil {
		return info
	}
	info.Uncovered = notCovered(caCert, Names{DNS: c.DNSNames, IPs: c.IPAddresses})
	if len(info.Uncovered) > 0 && info.ChainValid {
		info.Problems = append(info.Problems, "the CA's name constraints do not permit "+strings.Join(info.Uncovered, ", "))
	}
	if missing := uncoveredNames(c, mustNames(DefaultSANs)); len(missing) > 0 {
		info.Problems = append(info.Problems, "missing default names "+strings.Join(missing, ", ")+": run `esbtui init`")
	}
	return info
}

// checkKey records in info whether keyFile holds c's key; fix is what to
// run when it does not.
func (s *Store) checkKey(info *CertInfo, c *x509.Certificate, keyFile, fix string) {
	keyPEM, err := s.readFile(keyFile, true)
	if err != nil {
		info.Problems = append(info.Problems, err.Error())
		return
	}
	k, err := ParseKeyPEM(keyPEM)
	switch {
	case err != nil:
		info.Problems = append(info.Problems, fmt.Sprintf("%s: %v: %s", info.KeyFile, err, fix))
	case !publicKeysEqual(k.Public(), c.PublicKey):
		info.Problems = append(info.Problems, fmt.Sprintf("%s does not match %s: %s", info.KeyFile, info.File, fix))
	default:
		info.KeyMatch = true
	}
}

// checkChain records in info whether c verifies against the CA for usage
// (fix: what to run when it does not) and returns the CA certificate, nil
// when there is none to read.
func (s *Store) checkChain(info *CertInfo, c *x509.Certificate, now time.Time, usage x509.ExtKeyUsage, fix string) *x509.Certificate {
	caPEM, err := s.readFile(CACertFile, false)
	if err != nil {
		info.ChainError = "no CA to verify against"
		return nil
	}
	caCert, err := ParseCertPEM(caPEM)
	if err != nil {
		info.ChainError = "CA certificate unreadable"
		return nil
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	if _, err := c.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
		info.ChainError = err.Error()
		info.Problems = append(info.Problems, "does not verify against the CA: "+err.Error()+": "+fix)
	} else {
		info.ChainValid = true
	}
	return caCert
}

func mustNames(in []string) Names {
	n, _ := ParseNames(in)
	return n
}

func cidrStrings(c *x509.Certificate) []string {
	out := make([]string, 0, len(c.PermittedIPRanges))
	for _, n := range c.PermittedIPRanges {
		out = append(out, n.String())
	}
	return out
}
