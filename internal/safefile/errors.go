// Package safefile opens esbtui's own files without trusting what is at
// their path: a symbolic link planted where the lock, the audit log or the
// log file belongs is refused rather than followed (so a link cannot make
// esbtui create, append to or lock a file elsewhere, root's included under
// sudo), and files read as input must be regular and small.
package safefile

import (
	"fmt"
	"io/fs"
)

// SymlinkError is a symbolic link where esbtui expects its own file.
type SymlinkError struct {
	Path string
	What string // "lock file", "audit log", ...
}

func (e *SymlinkError) Error() string {
	return fmt.Sprintf("%s %s is a symbolic link: esbtui does not follow links for its own files (a link there could make it write elsewhere); remove the link (rm %s) and run again", e.What, e.Path, e.Path)
}

// NotRegularError is a device, pipe, socket or directory where a regular
// file is expected.
type NotRegularError struct {
	Path string
	What string
	Mode fs.FileMode
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s %s is not a regular file (%s): point esbtui at a plain file", e.What, e.Path, kind(e.Mode))
}

// TooLargeError is an input file over its size limit.
type TooLargeError struct {
	Path  string
	What  string
	Limit int64
	// Line is the line at which the limit was crossed (1-based).
	Line int
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s:%d: %s is larger than %s (the limit for it): this is not a file esbtui wrote or expects; check the path", e.Path, e.Line, e.What, size(e.Limit))
}

func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeDir != 0:
		return "a directory"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "mode " + m.String()
}

func size(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	if n >= 1<<10 && n%(1<<10) == 0 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
