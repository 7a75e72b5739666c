//go:build unix

package pki

import (
	"os"
	"syscall"
)

// checkOwner refuses a store directory that belongs to another user: esbtui
// would otherwise chmod it, write keys into it and lock files in it on that
// user's behalf (or an attacker's, who made it). Root run through sudo may
// use the invoking user's own directory (SudoUID).
func (s *Store) checkOwner() error {
	st, err := os.Stat(s.Dir)
	if err != nil {
		return nil // missing: ensureDir creates it, others report it
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	owner, euid := int(sys.Uid), os.Geteuid()
	if owner == euid || (euid == 0 && s.SudoUID >= 0 && owner == s.SudoUID) {
		return nil
	}
	return &OwnerError{Path: s.Dir, Owner: owner, User: euid}
}
