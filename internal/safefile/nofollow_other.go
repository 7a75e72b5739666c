//go:build !unix

package safefile

import (
	"fmt"
	"io/fs"
	"os"
)

// openNoFollow checks with Lstat that path is not a symbolic link, then
// opens it: without O_NOFOLLOW this is the best the platform offers (a link
// planted between the two calls is not caught).
func openNoFollow(path, what string, flag int, perm os.FileMode) (*os.File, error) {
	if st, err := os.Lstat(path); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		return nil, &SymlinkError{Path: path, What: what}
	}
	f, err := os.OpenFile(path, flag, perm)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	return f, nil
}
