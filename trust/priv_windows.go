//go:build windows

package trust

import "golang.org/x/sys/windows"

// canWrite is not used to decide elevation on Windows: the LocalMachine
// store always needs an elevated process, and the other stores are per user.
func canWrite(string) bool { return true }

func isRoot() bool { return windows.GetCurrentProcessToken().IsElevated() }
