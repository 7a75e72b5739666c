package registryserver

import (
	"bufio"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/distribution/distribution/v3/configuration"

	"github.com/esbtui/esbtui/internal/safefile"
	"github.com/esbtui/esbtui/internal/wire"
)

// Run is one maintenance run of the registry (a line of its run log;
// stack.MaintenanceRun reads the same record).
type Run = wire.MaintenanceRun

// RunLog is the registry's record of its maintenance runs: a JSON-lines
// file in the registry's volume (it outlives the container), rotated once
// it passes runLogMax (the previous file is kept as .1).
type RunLog struct {
	path string
	mu   sync.Mutex
}

// runLogMax bounds the run log (a run is ~300 bytes; ~1500 runs).
const runLogMax = 512 << 10

// MaxRunLogTail bounds how many runs are read back.
const MaxRunLogTail = 200

// runLogDir is esbtui's directory beside the registry's data in the
// filesystem storage root (the volume); a registry without one keeps the
// log in /tmp (lost with the container).
func runLogDir(cfg *configuration.Configuration) string {
	if root := filesystemRoot(cfg); root != "" {
		return filepath.Join(root, "esbtui")
	}
	return filepath.Join(os.TempDir(), "esbtui")
}

// filesystemRoot is the filesystem storage's root directory in the
// registry's configuration (its file and REGISTRY_* variables, as
// distribution parsed them); "" for another storage driver.
func filesystemRoot(cfg *configuration.Configuration) string {
	if cfg.Storage.Type() != "filesystem" {
		return ""
	}
	root, _ := cfg.Storage.Parameters()["rootdirectory"].(string)
	return root
}

func newRunLog(dir string) *RunLog { return &RunLog{path: filepath.Join(dir, "runs.jsonl")} }

// Append writes one run; errors go nowhere but the registry's log (the run
// itself already happened).
func (l *RunLog) Append(r Run) {
	l.mu.Lock()
	defer l.mu.Unlock()
	line, err := json.Marshal(r)
	if err != nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(l.path), 0o700); err != nil {
		return
	}
	if fi, err := os.Lstat(l.path); err == nil && fi.Size()+int64(len(line)) > runLogMax {
		_ = os.Rename(l.path, l.path+".1")
	}
	f, err := safefile.Open(l.path, "registry run log", os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return
	}
	_, _ = f.Write(append(line, '\n'))
	_ = f.Close()
}

// Tail returns the last n runs, oldest first (the rotated file first).
func (l *RunLog) Tail(n int) ([]Run, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var runs []Run
	for _, p := range []string{l.path + ".1", l.path} {
		got, err := readRuns(p)
		if err != nil {
			return nil, err
		}
		runs = append(runs, got...)
	}
	if len(runs) > n {
		runs = runs[len(runs)-n:]
	}
	return runs, nil
}

func readRuns(p string) ([]Run, error) {
	f, err := safefile.Open(p, "registry run log", os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var runs []Run
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for sc.Scan() {
		var r Run
		if json.Unmarshal(sc.Bytes(), &r) == nil {
			runs = append(runs, r)
		}
	}
	return runs, sc.Err()
}
