package pki

import (
	"errors"
	"fmt"
	"io/fs"
	"os/user"
	"strconv"
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

// OwnerError is a certificate directory owned by another user.
type OwnerError struct {
	Path  string
	Owner int // uid owning Path
	User  int // uid esbtui runs as
}

func (e *OwnerError) Error() string {
	return fmt.Sprintf("pki: %s belongs to %s, not to %s who runs esbtui: refusing to use or change another user's certificate directory; run esbtui as its owner, or point ESB_CERT_DIR (or ESB_HOME) at a directory of your own",
		e.Path, userName(e.Owner), userName(e.User))
}

// userName is "name (uid N)", or "uid N" when the name is unknown.
func userName(uid int) string {
	id := strconv.Itoa(uid)
	if u, err := user.LookupId(id); err == nil {
		return u.Username + " (uid " + id + ")"
	}
	return "uid " + id
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
