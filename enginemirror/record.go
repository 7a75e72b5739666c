package enginemirror

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/esbtui/esbtui/internal/safefile"
	"github.com/esbtui/esbtui/trust"
)

// DaemonRecord is what esbtui did to Docker's daemon.json: the bytes it
// found (or that there was no file), the bytes it wrote and the entries it
// added. Uninstall restores Original exactly when the file still holds
// Written; otherwise it removes only Added.
type DaemonRecord struct {
	Path     string      `json:"path"`
	Existed  bool        `json:"existed"`
	Mode     os.FileMode `json:"mode,omitempty"`
	Original []byte      `json:"original,omitempty"`
	Written  []byte      `json:"written"`
	Added    []string    `json:"added"`
	AddedKey bool        `json:"added_key"`
}

// Record is the file in ESB_HOME that keeps the DaemonRecord (0600: it
// holds a copy of daemon.json).
type Record struct{ Path string }

type recordFile struct {
	Version int           `json:"version"`
	Docker  *DaemonRecord `json:"docker,omitempty"`
}

// maxRecord bounds the read: two copies of a daemon.json.
const maxRecord = 4 << 20

// Read returns the record of daemon.json, nil when there is none.
func (r Record) Read() (*DaemonRecord, error) {
	data, err := trust.ReadRecordFile(r.Path, "enginemirror", "", maxRecord)
	if data == nil || err != nil {
		return nil, err
	}
	var rf recordFile
	if err := json.Unmarshal(data, &rf); err != nil {
		return nil, fmt.Errorf("enginemirror: parse %s: %w (move it away: uninstall then removes only esbtui's entries)", r.Path, err)
	}
	if rf.Docker != nil {
		// The record is in ESB_HOME, writable without root, and Mode
		// becomes the mode of root's daemon.json on uninstall: only
		// permission bits, never writable by group or others.
		rf.Docker.Mode = rf.Docker.Mode.Perm() &^ 0o022
	}
	return rf.Docker, nil
}

// Write replaces the record (nil removes it).
func (r Record) Write(d *DaemonRecord) error {
	if d == nil {
		if err := os.Remove(r.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("enginemirror: remove %s: %w", r.Path, err)
		}
		return nil
	}
	data, err := json.MarshalIndent(recordFile{Version: 1, Docker: d}, "", "  ")
	if err != nil {
		return fmt.Errorf("enginemirror: encode the record: %w", err)
	}
	if err := safefile.WriteAtomic(r.Path, append(data, '\n'), 0o600, 0o700); err != nil {
		return fmt.Errorf("enginemirror: write %s: %w", r.Path, err)
	}
	return nil
}
