//go:build windows

package pki

// checkOwner: on Windows the directory's ACL, not an owner uid, decides who
// may use it; esbtui creates it under the user's profile.
func (s *Store) checkOwner() error { return nil }
