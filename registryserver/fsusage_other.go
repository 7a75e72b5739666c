//go:build !linux && !darwin && !windows

package registryserver

import "errors"

func statFilesystem(string) (FilesystemUsage, error) {
	return FilesystemUsage{}, errors.New("not supported on this system")
}
