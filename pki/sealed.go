package pki

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"filippo.io/age"
)

// Sealed CA material: the CA and the server certificate with their keys,
// encrypted with a passphrase (age, scrypt recipient) so a backup carries
// them never in clear. The plaintext is a small JSON document that exists
// only in memory.

// sealedFiles are the store files a sealed bundle may hold, in install
// order; the CA pair is required.
var sealedFiles = []string{CACertFile, CAKeyFile, ServerCertFile, ServerKeyFile, ServerChainFile}

// maxSealed bounds the decrypted bundle (a few PEM files of a few KiB).
const maxSealed = 1 << 20

// sealedVersion is the plaintext format.
const sealedVersion = 1

type sealedDoc struct {
	Version int               `json:"version"`
	Files   map[string]string `json:"files"`
}

// ErrWrongPassphrase means a sealed bundle could not be opened with the
// passphrase given (or is not a bundle sealed with one).
var ErrWrongPassphrase = errors.New("wrong passphrase: the CA in this archive was sealed with another passphrase")

// CAExistsError refuses to install sealed CA material over a store that
// already holds a different CA: esbtui never overwrites CA keys.
type CAExistsError struct {
	Dir string
}

func (e *CAExistsError) Error() string {
	return fmt.Sprintf("pki: %s already holds a different root CA: esbtui never overwrites CA material; restore the CA into a fresh ESB_HOME (ESB_HOME=/new/dir esbtui restore --with-ca FILE), or move %s away yourself first, or restore without --with-ca", e.Dir, e.Dir)
}

// SealedCA is an opened (decrypted, validated) bundle, held in memory.
type SealedCA struct {
	files map[string][]byte
	// CA is the bundle's root certificate.
	CA *x509.Certificate
}

// Files lists the store files the bundle holds.
func (s *SealedCA) Files() []string {
	var out []string
	for _, n := range sealedFiles {
		if _, ok := s.files[n]; ok {
			out = append(out, n)
		}
	}
	return out
}

// Seal writes the store's CA and server files, encrypted with passphrase,
// to w, and returns the names of the files it sealed. The CA pair must be
// present and valid; the server files are sealed when present.
func (s *Store) Seal(w io.Writer, passphrase string) ([]string, error) {
	if passphrase == "" {
		return nil, errors.New("pki: seal the CA: empty passphrase")
	}
	doc := sealedDoc{Version: sealedVersion, Files: map[string]string{}}
	var names []string
	for _, n := range sealedFiles {
		secret := n == CAKeyFile || n == ServerKeyFile
		b, err := s.readFile(n, secret)
		if errors.Is(err, os.ErrNotExist) && n != CACertFile && n != CAKeyFile {
			continue
		}
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("pki: seal the CA: %w: %w (run `esbtui init` first, or back up without --with-ca)", ErrNoCA, err)
		}
		if err != nil {
			return nil, fmt.Errorf("pki: seal the CA: %w", err)
		}
		doc.Files[n] = string(b)
		names = append(names, n)
	}
	if _, err := parseSealed(doc); err != nil {
		return nil, fmt.Errorf("pki: seal the CA of %s: %w", s.Dir, err)
	}
	plain, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("pki: seal the CA: %w", err)
	}
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return nil, fmt.Errorf("pki: seal the CA: %w", err)
	}
	ew, err := age.Encrypt(w, r)
	if err != nil {
		return nil, fmt.Errorf("pki: seal the CA: %w", err)
	}
	if _, err := ew.Write(plain); err != nil {
		return nil, fmt.Errorf("pki: seal the CA: %w", err)
	}
	if err := ew.Close(); err != nil {
		return nil, fmt.Errorf("pki: seal the CA: %w", err)
	}
	return names, nil
}

// OpenSealed decrypts and validates a bundle Seal wrote. A wrong
// passphrase is ErrWrongPassphrase; nothing is written anywhere.
func OpenSealed(r io.Reader, passphrase string) (*SealedCA, error) {
	id, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return nil, fmt.Errorf("pki: open the sealed CA: %w", err)
	}
	dr, err := age.Decrypt(r, id)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) || errors.Is(err, age.ErrIncorrectIdentity) {
			return nil, fmt.Errorf("pki: open the sealed CA: %w", ErrWrongPassphrase)
		}
		return nil, fmt.Errorf("pki: open the sealed CA: not a readable age file: %w", err)
	}
	plain, err := io.ReadAll(io.LimitReader(dr, maxSealed+1))
	if err != nil {
		return nil, fmt.Errorf("pki: open the sealed CA: %w", err)
	}
	if len(plain) > maxSealed {
		return nil, fmt.Errorf("pki: open the sealed CA: larger than %d bytes", maxSealed)
	}
	var doc sealedDoc
	if err := json.Unmarshal(plain, &doc); err != nil {
		return nil, fmt.Errorf("pki: open the sealed CA: %w", err)
	}
	if doc.Version != sealedVersion {
		return nil, fmt.Errorf("pki: open the sealed CA: format version %d, this esbtui reads %d", doc.Version, sealedVersion)
	}
	sc, err := parseSealed(doc)
	if err != nil {
		return nil, fmt.Errorf("pki: open the sealed CA: %w", err)
	}
	return sc, nil
}

// parseSealed checks the bundle: known names only, the CA pair present and
// matching, a server certificate (when present) issued by the CA and
// matching its key.
func parseSealed(doc sealedDoc) (*SealedCA, error) {
	sc := &SealedCA{files: map[string][]byte{}}
	known := map[string]bool{}
	for _, n := range sealedFiles {
		known[n] = true
	}
	var names []string
	for n := range doc.Files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if !known[n] {
			return nil, fmt.Errorf("unexpected file %q in the bundle", n)
		}
		sc.files[n] = []byte(doc.Files[n])
	}
	ca, err := ParseCertPEM(sc.files[CACertFile])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", CACertFile, err)
	}
	caKey, err := ParseKeyPEM(sc.files[CAKeyFile])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", CAKeyFile, err)
	}
	if !publicKeysEqual(ca.PublicKey, caKey.Public()) {
		return nil, fmt.Errorf("%s does not match %s", CAKeyFile, CACertFile)
	}
	if !ca.IsCA {
		return nil, fmt.Errorf("%s is not a CA certificate", CACertFile)
	}
	sc.CA = ca
	_, hasCert := sc.files[ServerCertFile]
	_, hasKey := sc.files[ServerKeyFile]
	if hasCert != hasKey {
		return nil, fmt.Errorf("%s and %s come as a pair", ServerCertFile, ServerKeyFile)
	}
	if hasCert {
		leaf, err := ParseCertPEM(sc.files[ServerCertFile])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ServerCertFile, err)
		}
		key, err := ParseKeyPEM(sc.files[ServerKeyFile])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ServerKeyFile, err)
		}
		if !publicKeysEqual(leaf.PublicKey, key.Public()) {
			return nil, fmt.Errorf("%s does not match %s", ServerKeyFile, ServerCertFile)
		}
		if err := leaf.CheckSignatureFrom(ca); err != nil {
			return nil, fmt.Errorf("%s was not issued by the bundle's CA: %w", ServerCertFile, err)
		}
		if chain, ok := sc.files[ServerChainFile]; ok {
			certs, err := ParseCertsPEM(chain)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", ServerChainFile, err)
			}
			if !certs[0].Equal(leaf) {
				return nil, fmt.Errorf("%s does not start with %s", ServerChainFile, ServerCertFile)
			}
		}
	} else if _, ok := sc.files[ServerChainFile]; ok {
		return nil, fmt.Errorf("%s comes only with %s and %s", ServerChainFile, ServerCertFile, ServerKeyFile)
	}
	return sc, nil
}

// SealedInstall says what InstallSealed did.
type SealedInstall struct {
	Dir       string   `json:"dir"`
	Installed []string `json:"installed,omitempty"`
	// AlreadyPresent: the store already held this very CA; nothing written.
	AlreadyPresent bool `json:"already_present"`
}

// InstallSealed writes the bundle's files into the store only when the
// store has no CA: all files as one unit (pending files, fsync, rename).
// The same CA already there is reported, not rewritten; a different one
// is a *CAExistsError. Nothing existing is ever overwritten.
func (s *Store) InstallSealed(ctx context.Context, sc *SealedCA) (*SealedInstall, error) {
	return s.installSealed(ctx, sc, false)
}

// PlanInstallSealed says what InstallSealed would do, writing nothing (a
// store with a different CA is the same *CAExistsError).
func (s *Store) PlanInstallSealed(ctx context.Context, sc *SealedCA) (*SealedInstall, error) {
	return s.installSealed(ctx, sc, true)
}

func (s *Store) installSealed(ctx context.Context, sc *SealedCA, dryRun bool) (*SealedInstall, error) {
	if dryRun {
		if _, err := os.Stat(s.Dir); err != nil {
			// Nothing there yet: everything would be installed.
			return &SealedInstall{Dir: s.Dir, Installed: sc.Files()}, nil
		}
		return s.planSealed(sc)
	}
	if err := s.ensureDir(); err != nil {
		return nil, err
	}
	if err := s.checkOwner(); err != nil {
		return nil, err
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	res, err := s.planSealed(sc)
	if err != nil || res.AlreadyPresent {
		return res, err
	}
	var files []pendingFile
	for _, n := range res.Installed {
		perm := os.FileMode(0o644)
		if n == CAKeyFile || n == ServerKeyFile {
			perm = 0o600
		}
		files = append(files, pendingFile{name: n, data: sc.files[n], perm: perm})
	}
	if err := s.writeSet(files); err != nil {
		return nil, err
	}
	return res, nil
}

// planSealed decides what installing sc writes: nothing when the same CA
// is there, a *CAExistsError for another CA, else the bundle's files minus
// server files already present.
func (s *Store) planSealed(sc *SealedCA) (*SealedInstall, error) {
	res := &SealedInstall{Dir: s.Dir}
	certThere, err := s.exists(CACertFile)
	if err != nil {
		return nil, err
	}
	keyThere, err := s.exists(CAKeyFile)
	if err != nil {
		return nil, err
	}
	if certThere || keyThere {
		c, cerr := s.readFile(CACertFile, false)
		k, kerr := s.readFile(CAKeyFile, true)
		if cerr == nil && kerr == nil && bytes.Equal(c, sc.files[CACertFile]) && bytes.Equal(k, sc.files[CAKeyFile]) {
			res.AlreadyPresent = true
			return res, nil
		}
		return nil, &CAExistsError{Dir: s.Dir}
	}
	for _, n := range sc.Files() {
		if n != CACertFile && n != CAKeyFile {
			there, err := s.exists(n)
			if err != nil {
				return nil, err
			}
			if there {
				// A server file without a CA: left alone (ensure reissues
				// what the restored CA did not sign).
				continue
			}
		}
		res.Installed = append(res.Installed, n)
	}
	return res, nil
}
