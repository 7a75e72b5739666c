//go:build !windows

package trust

import (
	"os"
	"syscall"
)

func canWrite(dir string) bool { return syscall.Access(dir, 2 /* W_OK */) == nil }

func isRoot() bool { return os.Geteuid() == 0 }
