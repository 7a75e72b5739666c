package trust

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
)

// InstalledRecord is the file (in ESB_HOME) listing the CAs this ESB_HOME
// installed into trust stores, by SHA-256 fingerprint. Uninstall removes
// exactly these (and the current CA); any other esbtui CA found in a store
// belongs to someone else and is left.
type InstalledRecord struct {
	Path string
}

// maxRecordSize bounds the read: the file holds a few fingerprints.
const maxRecordSize = 1 << 20

type recordFile struct {
	Version int      `json:"version"`
	CAs     []string `json:"ca_sha256"`
}

// ReadRecordFile reads a record esbtui keeps in ESB_HOME without trusting
// what is at its path: a missing file is nil data and no error; anything
// but a regular file (a symbolic link included), or a file over limit
// bytes, is an error telling the user to move it away. pkg and label name
// the file in errors ("trust", "the record of installed CAs"; label may be
// empty). The caller parses the bytes.
func ReadRecordFile(path, pkg, label string, limit int) ([]byte, error) {
	name := path
	if label != "" {
		name = label + " " + path
	}
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: read %s: %w", pkg, name, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: %s is not a regular file (%s): move it away", pkg, name, fi.Mode().Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: read %s: %w", pkg, name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("%s: read %s: %w", pkg, name, err)
	}
	if len(data) > limit {
		return nil, fmt.Errorf("%s: %s is over %d bytes: it is not esbtui's; move it away", pkg, name, limit)
	}
	return data, nil
}

// Read returns the recorded fingerprints; a missing file is an empty record.
func (r InstalledRecord) Read() ([]string, error) {
	data, err := ReadRecordFile(r.Path, "trust", "the record of installed CAs", maxRecordSize)
	if data == nil || err != nil {
		return nil, err
	}
	var rf recordFile
	if err := json.Unmarshal(data, &rf); err != nil {
		return nil, fmt.Errorf("trust: parse the record of installed CAs %s: %w (move it away: uninstall then removes only the current CA)", r.Path, err)
	}
	return rf.CAs, nil
}

// Add records the CA's fingerprint (0600, written atomically); a CA already
// recorded is not written again.
func (r InstalledRecord) Add(ca CA) error {
	cas, err := r.Read()
	if err != nil {
		return err
	}
	fp := Fingerprint(ca.Cert)
	if slices.ContainsFunc(cas, func(f string) bool { return normFingerprint(f) == normFingerprint(fp) }) {
		return nil
	}
	data, err := json.MarshalIndent(recordFile{Version: 1, CAs: append(cas, fp)}, "", "  ")
	if err != nil {
		return fmt.Errorf("trust: encode the record of installed CAs: %w", err)
	}
	if err := writeFileAtomic(r.Path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("trust: write the record of installed CAs %s: %w", r.Path, err)
	}
	return nil
}
