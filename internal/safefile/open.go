package safefile

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// Open opens path with flag and perm like os.OpenFile, except that a
// symbolic link at path is a *SymlinkError (never followed, never created
// through) and anything but a regular file is a *NotRegularError. what
// names the file in errors ("audit log").
func Open(path, what string, flag int, perm os.FileMode) (*os.File, error) {
	f, err := openNoFollow(path, what, flag, perm)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, &NotRegularError{Path: path, What: what, Mode: st.Mode()}
	}
	return f, nil
}

// ReadFile reads a regular file of at most limit bytes. A symbolic link is
// followed (input files may be links) but what it points to must be a
// regular file: /dev/zero or a pipe is a *NotRegularError, a file over
// limit a *TooLargeError (the limit is enforced on the bytes read, not only
// on the size the file claims).
func ReadFile(path, what string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &NotRegularError{Path: path, What: what, Mode: st.Mode()}
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Path: path, What: what, Limit: limit, Line: bytes.Count(data[:limit], []byte("\n")) + 1}
	}
	return data, nil
}
