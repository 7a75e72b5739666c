package engine

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// FSUsage is the size of a filesystem in bytes: Total, Free (not in use)
// and Avail (free to an unprivileged process).
type FSUsage struct {
	Total int64 `json:"total_bytes"`
	Free  int64 `json:"free_bytes"`
	Avail int64 `json:"avail_bytes"`
}

// UsedPercent is the share in use the way df counts it: used over what
// an unprivileged process could ever hold (used + available), 0..100.
func (u FSUsage) UsedPercent() float64 {
	used := u.Total - u.Free
	if used+u.Avail <= 0 {
		return 0
	}
	return 100 * float64(used) / float64(used+u.Avail)
}

// dfScript prints "<total> <free> <avail> <path>" in bytes for $1 with
// what a registry image's shell has: `stat -f` (busybox, coreutils), else
// POSIX `df -Pk` (free is then total less used).
const dfScript = `p="$1"
if out=$(stat -f -c '%S %b %f %a' "$p" 2>/dev/null); then
  set -- $out
  printf '%s\t%s\t%s\t%s\n' "$(($1*$2))" "$(($1*$3))" "$(($1*$4))" "$p"
else
  set -- $(df -Pk "$p" | tail -n 1)
  printf '%s\t%s\t%s\t%s\n' "$(($2*1024))" "$((($2-$3)*1024))" "$(($4*1024))" "$p"
fi`

// Df measures the filesystem holding path inside a running container:
// dfCmd (argv before the path; esbtui's image's `registryd df`) when the
// image has no shell, else the shell's `stat -f` or `df -P`.
func (e *Engine) Df(ctx context.Context, id string, dfCmd []string, path string) (FSUsage, error) {
	argv := []string{"sh", "-c", dfScript, "df", path}
	if dfCmd != nil {
		argv = append(slices.Clip(dfCmd), path)
	}
	out, code, err := e.Exec(ctx, id, argv)
	if err != nil {
		return FSUsage{}, err
	}
	if code != 0 {
		return FSUsage{}, fmt.Errorf("df %s exited %d: %q", path, code, LastLines(out, 2))
	}
	return parseDf(out)
}

// parseDf reads the last line of Df's output: three byte counts, then the
// path.
func parseDf(out string) (FSUsage, error) {
	line := LastLines(out, 1)
	f := strings.Fields(line)
	if len(f) < 3 {
		return FSUsage{}, fmt.Errorf("df printed %q, want total, free and available bytes", line)
	}
	var n [3]int64
	for i := range n {
		v, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil || v < 0 {
			return FSUsage{}, fmt.Errorf("df printed %q, want total, free and available bytes", line)
		}
		n[i] = v
	}
	u := FSUsage{Total: n[0], Free: n[1], Avail: n[2]}
	if u.Total == 0 || u.Free > u.Total || u.Avail > u.Total {
		return FSUsage{}, fmt.Errorf("df printed %q: not a filesystem's sizes", line)
	}
	return u, nil
}
