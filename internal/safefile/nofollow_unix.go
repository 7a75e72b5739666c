//go:build unix

package safefile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// openNoFollow opens with O_NOFOLLOW: the kernel refuses a symbolic link as
// the last component (ELOOP), with no window between a check and the open.
func openNoFollow(path, what string, flag int, perm os.FileMode) (*os.File, error) {
	// O_NONBLOCK: a named pipe planted at path must not block the open (it
	// is then refused as not a regular file); regular files ignore it.
	f, err := os.OpenFile(path, flag|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, perm)
	if err == nil {
		return f, nil
	}
	if errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EMLINK) {
		if st, lerr := os.Lstat(path); lerr == nil && st.Mode()&fs.ModeSymlink != 0 {
			return nil, &SymlinkError{Path: path, What: what}
		}
	}
	return nil, fmt.Errorf("%s %s: %w", what, path, err)
}
