package registryserver

import "golang.org/x/sys/unix"

func statFilesystem(path string) (FilesystemUsage, error) {
	var s unix.Statfs_t
	if err := unix.Statfs(path, &s); err != nil {
		return FilesystemUsage{}, err
	}
	unit := uint64(s.Bsize) // f_bsize: the unit of the block counts
	return FilesystemUsage{Total: s.Blocks * unit, Free: s.Bfree * unit, Avail: s.Bavail * unit}, nil
}
