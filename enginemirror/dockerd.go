package enginemirror

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// DefaultDockerdPIDFile is where dockerd writes its pid by default.
const DefaultDockerdPIDFile = "/var/run/docker.pid"

// FindDockerd returns the pid of the dockerd to reload and how it was found.
// pidFile (when set) must name a running dockerd; otherwise the default pid
// file is tried, then /proc is searched for exactly one dockerd.
func FindDockerd(pidFile, proc string) (int, string, error) {
	if proc == "" {
		proc = "/proc"
	}
	if pidFile != "" {
		pid, err := pidFromFile(pidFile, proc)
		if err != nil {
			return 0, "", err
		}
		return pid, "pid file " + pidFile, nil
	}
	if pid, err := pidFromFile(DefaultDockerdPIDFile, proc); err == nil {
		return pid, "pid file " + DefaultDockerdPIDFile, nil
	}
	ents, err := os.ReadDir(proc)
	if err != nil {
		return 0, "", fmt.Errorf("find dockerd: %w", err)
	}
	var found []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		if isDockerd(proc, pid) {
			found = append(found, pid)
		}
	}
	switch len(found) {
	case 0:
		return 0, "", errors.New("find dockerd: no dockerd process is running here (no pid file, none in /proc)")
	case 1:
		return found[0], "the only dockerd in " + proc, nil
	}
	return 0, "", fmt.Errorf("find dockerd: %d dockerd processes and no %s: set ESB_DOCKERD_PIDFILE to the pid file of the one to reload", len(found), DefaultDockerdPIDFile)
}

func pidFromFile(path, proc string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("find dockerd: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 32))
	if err != nil {
		return 0, fmt.Errorf("find dockerd: read %s: %w", path, err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 1 {
		return 0, fmt.Errorf("find dockerd: %s does not hold a process id", path)
	}
	if !isDockerd(proc, pid) {
		return 0, fmt.Errorf("find dockerd: %s names process %d, which is not a running dockerd (a stale pid file?)", path, pid)
	}
	return pid, nil
}

// isDockerd: /proc/PID/comm is "dockerd".
func isDockerd(proc string, pid int) bool {
	b, err := os.ReadFile(filepath.Join(proc, strconv.Itoa(pid), "comm"))
	return err == nil && string(bytes.TrimSpace(b)) == "dockerd"
}
