package trust

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Organization is the subject organization of every esbtui CA; entries with
// it and our subject but another fingerprint are stale (an older CA of ours).
const Organization = "esbtui development CA"

// filePrefix starts every file and alias esbtui writes into a store.
const filePrefix = "esbtui-ca-"

// serialHex is the CA serial in lower-case hex: stores name entries with it
// so a regenerated CA never collides with (or hides behind) an old one.
func serialHex(c *x509.Certificate) string { return strings.ToLower(c.SerialNumber.Text(16)) }

// baseName is the file name stem for system stores and certs.d backups.
func baseName(c *x509.Certificate) string { return filePrefix + serialHex(c) }

// nssNickname names our CA in an NSS database (with the serial, as mkcert).
func nssNickname(c *x509.Certificate) string { return Organization + " " + serialHex(c) }

// javaAlias names our CA in a Java keystore (keytool lower-cases aliases).
func javaAlias(c *x509.Certificate) string { return baseName(c) }

// Fingerprint is the SHA-256 of the DER, hex with colons (keytool's form).
func Fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return colonHex(sum[:])
}

func sha1Hex(c *x509.Certificate) string {
	sum := sha1.Sum(c.Raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

func colonHex(b []byte) string {
	h := strings.ToUpper(hex.EncodeToString(b))
	var sb strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteString(h[i : i+2])
	}
	return sb.String()
}

// kinship says how a certificate found in a store relates to our CA.
type kinship int

const (
	unrelated kinship = iota
	current           // our CA, byte for byte
	stale             // same subject, another certificate: an older CA of ours
)

func relate(found *x509.Certificate, ca *x509.Certificate) kinship {
	switch {
	case bytes.Equal(found.Raw, ca.Raw):
		return current
	case bytes.Equal(found.RawSubject, ca.RawSubject) && isOurs(found):
		return stale
	}
	return unrelated
}

func isOurs(c *x509.Certificate) bool {
	for _, o := range c.Subject.Organization {
		if o == Organization {
			return true
		}
	}
	return false
}

// parsePEMCerts returns every certificate in PEM data, skipping blocks that
// do not parse (bundles may hold other block types).
func parsePEMCerts(data []byte) []*x509.Certificate {
	var out []*x509.Certificate
	for len(data) > 0 {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		if c, err := x509.ParseCertificate(b.Bytes); err == nil {
			out = append(out, c)
		}
	}
	return out
}

// bundleState reads a PEM bundle and reports whether it holds our CA and
// which stale CAs of ours it holds.
type bundleState struct {
	Path    string
	Present bool // the file exists
	Has     bool
	Stale   []*x509.Certificate
	Err     error
}

func readBundle(path string, ca *x509.Certificate) bundleState {
	bs := bundleState{Path: path}
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return bs
	}
	if err != nil {
		bs.Err = fmt.Errorf("read bundle %s: %w", path, err)
		return bs
	}
	bs.Present = true
	// Fast path: the DER of every unrelated certificate differs at once; we
	// parse only what PEM-decodes, then compare.
	for _, c := range parsePEMCerts(data) {
		switch relate(c, ca) {
		case current:
			bs.Has = true
		case stale:
			bs.Stale = append(bs.Stale, c)
		}
	}
	return bs
}

// anchorFile is one file of ours in an anchors directory.
type anchorFile struct {
	Path string
	Kin  kinship
	Cert *x509.Certificate
}

// scanAnchors lists the files of ours (esbtui-ca-*<ext>) in dir, classified.
// Files that do not parse are reported as stale: they carry our name.
func scanAnchors(dir, ext string, ca *x509.Certificate) ([]anchorFile, error) {
	m, err := filepath.Glob(filepath.Join(dir, filePrefix+"*"+ext))
	if err != nil {
		return nil, err
	}
	var out []anchorFile
	for _, p := range m {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
		certs := parsePEMCerts(data)
		af := anchorFile{Path: p, Kin: stale}
		if len(certs) == 1 {
			af.Cert = certs[0]
			af.Kin = relate(certs[0], ca)
			if af.Kin == unrelated {
				continue // another user's esbtui CA: not ours to touch
			}
		}
		out = append(out, af)
	}
	return out, nil
}

func describeCert(c *x509.Certificate) string {
	return fmt.Sprintf("%s (serial %s, sha256 %s…, until %s)", c.Subject.CommonName, serialHex(c), Fingerprint(c)[:23], c.NotAfter.Format("2006-01-02"))
}
