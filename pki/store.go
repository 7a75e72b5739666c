package pki

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/esbtui/esbtui/internal/safefile"
)

// File names inside the certificate directory.
const (
	CAKeyFile       = "rootCA.key"
	CACertFile      = "rootCA.crt"
	ServerKeyFile   = "server.key"
	ServerCertFile  = "server.crt"
	ServerChainFile = "server-chain.crt"
	lockFile        = ".lock"
	pendingSuffix   = ".pending"
	// maxStoreFile bounds what is read from the store: a PEM key or
	// certificate is a few KiB.
	maxStoreFile = 1 << 20
)

// Store is the certificate directory (~/.esb/certs by default). Every method
// that changes it takes the directory lock, so concurrent esbtui processes
// never race to create two CAs.
type Store struct {
	Dir string
	// SudoUID is the user who ran esbtui through sudo (config.Config's
	// SudoUID): root may use that user's own directory. -1 when not under
	// sudo; any other owner than the user esbtui runs as is refused.
	SudoUID int
}

// NewStore returns the store rooted at dir. Nothing is touched until used.
func NewStore(dir string) *Store { return &Store{Dir: dir, SudoUID: -1} }

// Path returns the absolute path of a file in the store.
func (s *Store) Path(name string) string { return filepath.Join(s.Dir, name) }

// ensureDir creates the store directory 0700, or checks an existing one is a
// directory that is not readable by others.
func (s *Store) ensureDir() error {
	st, err := os.Stat(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(s.Dir, 0o700); err != nil {
			return fmt.Errorf("pki: create %s: %w", s.Dir, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("pki: stat %s: %w", s.Dir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("pki: %s is not a directory: move it away or set ESB_CERT_DIR to another path", s.Dir)
	}
	return nil
}

// checkDirPerm reports a store directory that others can enter or list.
func (s *Store) checkDirPerm() error {
	if runtime.GOOS == "windows" {
		return nil
	}
	st, err := os.Stat(s.Dir)
	if err != nil {
		return nil
	}
	if st.Mode().Perm()&0o077 != 0 {
		return &PermError{Path: s.Dir, Mode: st.Mode().Perm(), Want: 0o700}
	}
	return nil
}

// readFile reads a store file, checking that a private key is not readable by
// group or others. It returns fs.ErrNotExist (wrapped) for a missing file.
func (s *Store) readFile(name string, secret bool) ([]byte, error) {
	p := s.Path(name)
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("pki: read %s: %w", p, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("pki: read %s: not a regular file: move it away, then run esbtui init", p)
	}
	if secret && runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return nil, &PermError{Path: p, Mode: st.Mode().Perm(), Want: 0o600}
	}
	b, err := safefile.ReadFile(p, "certificate store file", maxStoreFile)
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return nil, fmt.Errorf("pki: read %s: %w (run esbtui as the user who owns %s, or fix its owner)", p, err, s.Dir)
		}
		return nil, fmt.Errorf("pki: read %s: %w", p, err)
	}
	return b, nil
}

func (s *Store) exists(name string) (bool, error) {
	_, err := os.Lstat(s.Path(name))
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, fmt.Errorf("pki: stat %s: %w", s.Path(name), err)
}

// writePending writes data to name+".pending" durably (temp file, fsync,
// rename). Nothing is visible under the final name until commit.
func (s *Store) writePending(name string, data []byte, perm os.FileMode) error {
	final := s.Path(name + pendingSuffix)
	tmp, err := os.CreateTemp(s.Dir, "."+name+".tmp-*")
	if err != nil {
		return fmt.Errorf("pki: write %s: %w", s.Path(name), err)
	}
	clean := func(e error) error {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("pki: write %s: %w", s.Path(name), e)
	}
	if err := tmp.Chmod(perm); err != nil && runtime.GOOS != "windows" {
		return clean(err)
	}
	if _, err := tmp.Write(data); err != nil {
		return clean(err)
	}
	if err := tmp.Sync(); err != nil {
		return clean(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("pki: write %s: %w", s.Path(name), err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("pki: write %s: %w", s.Path(name), err)
	}
	return nil
}

// commit renames each pending file over its final name, in order, then
// syncs the directory.
func (s *Store) commit(names ...string) error {
	for i, n := range names {
		if i > 0 {
			failpoint("commit-between:" + names[i-1] + ":" + n)
		}
		if err := os.Rename(s.Path(n+pendingSuffix), s.Path(n)); err != nil {
			return fmt.Errorf("pki: install %s: %w", s.Path(n), err)
		}
	}
	return syncDir(s.Dir)
}

// writeSet writes several files as one unit: all are written as .pending
// first; only when every write succeeded are they renamed into place. A
// failure (disk full, permission) removes the pending files and leaves the
// previous files untouched.
func (s *Store) writeSet(files []pendingFile) error {
	var names []string
	for _, f := range files {
		if err := s.writePending(f.name, f.data, f.perm); err != nil {
			for _, n := range names {
				os.Remove(s.Path(n + pendingSuffix))
			}
			return err
		}
		names = append(names, f.name)
	}
	if err := syncDir(s.Dir); err != nil {
		return err
	}
	failpoint("before-commit:" + names[0])
	return s.commit(names...)
}

type pendingFile struct {
	name string
	data []byte
	perm os.FileMode
}

// removeStaleTemps deletes temp files an interrupted write left behind. They
// were never renamed into place, so nothing in use is lost.
func (s *Store) removeStaleTemps() {
	m, _ := filepath.Glob(filepath.Join(s.Dir, ".*.tmp-*"))
	for _, p := range m {
		os.Remove(p)
	}
}

func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("pki: sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("pki: sync %s: %w", dir, err)
	}
	return nil
}
