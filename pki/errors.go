package pki

import (
	"errors"
	"fmt"
	"io/fs"
)

// ErrNoCA means the store has no root CA yet.
var ErrNoCA = errors.New("no root CA")

// PermError is a key or directory whose permissions let others read it.
type PermError struct {
	Path string
	Mode fs.FileMode
	Want fs.FileMode
}

func (e *PermError) Error() string {
	return fmt.Sprintf("pki: %s has mode %#o, readable by other users: run `chmod %o %s` (and check nobody copied it)", e.Path, uint32(e.Mode), uint32(e.Want), e.Path)
}

// CorruptError is a file that exists but cannot be used as what it should be.
type CorruptError struct {
	Path string
	Why  string
	Fix  string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("pki: %s: %s: %s", e.Path, e.Why, e.Fix)
}

// MissingError is a file a flow needs that does not exist.
type MissingError struct {
	Path string
	Fix  string
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("pki: %s is missing: %s", e.Path, e.Fix)
}

// Is lets errors.Is(err, fs.ErrNotExist) match a MissingError.
func (e *MissingError) Is(target error) bool { return target == fs.ErrNotExist }
