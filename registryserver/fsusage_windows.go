package registryserver

import "golang.org/x/sys/windows"

func statFilesystem(path string) (FilesystemUsage, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return FilesystemUsage{}, err
	}
	var avail, total, free uint64
	if err := windows.GetDiskFreeSpaceEx(p, &avail, &total, &free); err != nil {
		return FilesystemUsage{}, err
	}
	return FilesystemUsage{Total: total, Free: free, Avail: avail}, nil
}
