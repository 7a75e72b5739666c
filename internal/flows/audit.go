package flows

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/esbtui/esbtui/internal/safefile"
)

// AuditEntry is one change esbtui made, one JSON line in audit.jsonl.
type AuditEntry struct {
	Time   time.Time `json:"time"`
	Action string    `json:"action"`
	User   string    `json:"user,omitempty"`
	// Source is "registry" for a run the registry recorded itself
	// (AuditWithRegistry); empty for esbtui's own log.
	Source string         `json:"source,omitempty"`
	Fields map[string]any `json:"fields,omitempty"`
}

// Audit appends entries to a JSON-lines file (0600).
type Audit struct {
	Path string
	// User is recorded in every entry (config's Host.User, $USER).
	User string
	mu   sync.Mutex
}

// Append writes one entry. Callers never pass secrets in fields.
func (a *Audit) Append(action string, fields map[string]any) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(a.Path), 0o700); err != nil {
		return fmt.Errorf("audit: create %s: %w", filepath.Dir(a.Path), err)
	}
	line, err := json.Marshal(AuditEntry{Time: time.Now().UTC(), Action: action, User: a.User, Fields: fields})
	if err != nil {
		return fmt.Errorf("audit: encode %s: %w", action, err)
	}
	// Never through a symlink (the audit log is appended to as root
	// under sudo).
	f, err := safefile.Open(a.Path, "audit log", os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("audit: write %s: %w", a.Path, err)
	}
	return f.Close()
}

// Read returns the entries at or after since (zero: all). Lines that are not
// valid JSON (a torn write) are skipped.
func (a *Audit) Read(since time.Time) ([]AuditEntry, error) {
	f, err := safefile.Open(a.Path, "audit log", os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	defer f.Close()
	var out []AuditEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		var e AuditEntry
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			continue
		}
		if !since.IsZero() && e.Time.Before(since) {
			continue
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("audit: read %s: %w", a.Path, err)
	}
	return out, nil
}
