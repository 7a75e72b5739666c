package registryserver

import "golang.org/x/sys/unix"

func statFilesystem(path string) (FilesystemUsage, error) {
	var s unix.Statfs_t
	if err := unix.Statfs(path, &s); err != nil {
		return FilesystemUsage{}, err
	}
	// Block counts are in units of the fragment size (f_frsize).
	unit := uint64(s.Frsize)
	if unit == 0 {
		unit = uint64(s.Bsize)
	}
	return FilesystemUsage{Total: s.Blocks * unit, Free: s.Bfree * unit, Avail: s.Bavail * unit}, nil
}
