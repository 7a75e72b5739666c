//go:build !windows

package pki

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/esbtui/esbtui/internal/safefile"

	"golang.org/x/sys/unix"
)

// lock takes an exclusive advisory lock on the store. The kernel releases it
// when the process dies, so a killed esbtui never leaves a stale lock.
func (s *Store) lock(ctx context.Context) (func(), error) {
	p := s.Path(lockFile)
	// Never through a symlink: a link planted here would make esbtui
	// create or lock a file of the link's choosing.
	f, err := safefile.Open(p, "lock file", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("pki: open lock: %w", err)
	}
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { unix.Flock(int(f.Fd()), unix.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
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
