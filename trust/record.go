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

// Read returns the recorded fingerprints; a missing file is an empty record.
func (r InstalledRecord) Read() ([]string, error) {
	fi, err := os.Lstat(r.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("trust: read the record of installed CAs %s: %w", r.Path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("trust: the record of installed CAs %s is not a regular file (%s): move it away", r.Path, fi.Mode().Type())
	}
	f, err := os.Open(r.Path)
	if err != nil {
		return nil, fmt.Errorf("trust: read the record of installed CAs %s: %w", r.Path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxRecordSize+1))
	if err != nil {
		return nil, fmt.Errorf("trust: read the record of installed CAs %s: %w", r.Path, err)
	}
	if len(data) > maxRecordSize {
		return nil, fmt.Errorf("trust: the record of installed CAs %s is over %d bytes: it is not esbtui's; move it away", r.Path, maxRecordSize)
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
