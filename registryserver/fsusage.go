package registryserver

import (
	"errors"
	"fmt"
	"io"
)

// FilesystemUsage is the size of the filesystem that holds a path, as
// statfs reports it, in bytes.
type FilesystemUsage struct {
	// Total is the filesystem's size; Free the bytes not in use; Avail the
	// free bytes an unprivileged process may use (Free less the blocks
	// reserved for root).
	Total, Free, Avail uint64
}

// StatFilesystem is statfs(2) of path (GetDiskFreeSpaceEx on Windows).
func StatFilesystem(path string) (FilesystemUsage, error) {
	u, err := statFilesystem(path)
	if err != nil {
		return FilesystemUsage{}, fmt.Errorf("registryserver: statfs %s: %w", path, err)
	}
	return u, nil
}

// diskFree prints "<total>\t<free>\t<avail>\t<path>" in bytes for each path:
// the `registryd df` helper the stack runs in esbtui's image (no shell, no
// df), in the format stack/engine's Df reads from `stat -f` in other images.
func diskFree(paths []string, out io.Writer) error {
	if len(paths) == 0 {
		return errors.New("df needs a path: df PATH [PATH...]")
	}
	for _, p := range paths {
		u, err := StatFilesystem(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%d\t%d\t%d\t%s\n", u.Total, u.Free, u.Avail, p)
	}
	return nil
}
