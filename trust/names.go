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
	stale             // a CA this ESB_HOME installed before (recorded fingerprint)
	foreign           // an esbtui CA this ESB_HOME did not install: someone else's
)

// relate classifies a certificate found in a store: ours is the current CA
// or a fingerprint this ESB_HOME recorded when it installed it; any other
// certificate with esbtui's organization belongs to another esbtui.
func (c *Config) relate(found *x509.Certificate, ca *x509.Certificate) kinship {
	switch {
	case bytes.Equal(found.Raw, ca.Raw):
		return current
	case c.installedBefore(found):
		return stale
	case isOurs(found):
		return foreign
	}
	return unrelated
}

// installedBefore reports whether found's fingerprint is in Installed.
func (c *Config) installedBefore(found *x509.Certificate) bool {
	fp := normFingerprint(Fingerprint(found))
	for _, f := range c.Installed {
		if normFingerprint(f) == fp {
			return true
		}
	}
	return false
}

// normFingerprint compares fingerprints written with or without colons, in
// either case.
func normFingerprint(f string) string {
	return strings.ToUpper(strings.ReplaceAll(f, ":", ""))
}

func isOurs(c *x509.Certificate) bool {
	for _, o := range c.Subject.Organization {
		if o == Organization {
			return true
		}
	}
	return false
}

// leftNote says why an esbtui-looking entry is left in a store.
func leftNote(what string, c *x509.Certificate) string {
	if c == nil {
		return fmt.Sprintf("left: %s belongs to another esbtui CA or was not written by this esbtui (it does not hold exactly one certificate this ESB_HOME installed); remove it by hand if it is yours", what)
	}
	return fmt.Sprintf("left: %s belongs to another esbtui CA: %s, not installed from this ESB_HOME; remove it by hand if it is yours", what, describeCert(c))
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

// bundleState reads a PEM bundle and reports whether it holds our CA, which
// CAs this ESB_HOME installed before it holds, and other esbtui CAs.
type bundleState struct {
	Path    string
	Present bool // the file exists
	Has     bool
	Stale   []*x509.Certificate
	Foreign []*x509.Certificate
	Err     error
}

func readBundle(cfg *Config, path string, ca *x509.Certificate) bundleState {
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
	for _, c := range parsePEMCerts(data) {
		switch cfg.relate(c, ca) {
		case current:
			bs.Has = true
		case stale:
			bs.Stale = append(bs.Stale, c)
		case foreign:
			bs.Foreign = append(bs.Foreign, c)
		}
	}
	return bs
}

// anchorFile is one file named like ours in an anchors directory.
type anchorFile struct {
	Path string
	Kin  kinship           // foreign: another CA's, or not exactly one certificate
	Cert *x509.Certificate // nil when the file does not hold exactly one
}

// scanAnchors lists the files named esbtui-ca-*<ext> in dir, classified.
// Only files holding exactly one certificate that is the current CA or one
// this ESB_HOME installed are ours; every other file with our name is
// foreign (reported, never removed).
func scanAnchors(cfg *Config, dir, ext string, ca *x509.Certificate) ([]anchorFile, error) {
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
		af := anchorFile{Path: p, Kin: foreign}
		if certs := parsePEMCerts(data); len(certs) == 1 {
			af.Cert = certs[0]
			if k := cfg.relate(certs[0], ca); k == current || k == stale {
				af.Kin = k
			}
		}
		out = append(out, af)
	}
	return out, nil
}

func describeCert(c *x509.Certificate) string {
	return fmt.Sprintf("%s (serial %s, sha256 %s…, until %s)", c.Subject.CommonName, serialHex(c), Fingerprint(c)[:23], c.NotAfter.Format("2006-01-02"))
}
