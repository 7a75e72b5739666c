//go:build windows

package pki

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/esbtui/esbtui/internal/safefile"

	"golang.org/x/sys/windows"
)

// lock takes an exclusive lock on the store's lock file; Windows releases it
// when the process exits.
func (s *Store) lock(ctx context.Context) (func(), error) {
	p := s.Path(lockFile)
	// Never through a symlink: a link planted here would make esbtui
	// create or lock a file of the link's choosing.
	f, err := safefile.Open(p, "lock file", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("pki: open lock: %w", err)
	}
	h := windows.Handle(f.Fd())
	for {
		ol := new(windows.Overlapped)
		err := windows.LockFileEx(h, windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
		if err == nil {
			return func() { windows.UnlockFileEx(h, 0, 1, 0, ol); f.Close() }, nil
		}
		if !errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
			f.Close()
			return nil, fmt.Errorf("pki: lock %s: %w", p, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("pki: wait for lock %s (another esbtui is changing the certificates): %w", p, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
