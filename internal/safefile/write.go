package safefile

import (
	"os"
	"path/filepath"
)

// WriteAtomic replaces path with data (file mode mode) through a temp file
// in the same directory: write, fsync, rename, so a reader sees the old
// file or the new one, never a part. The directory is created with dirMode
// when missing. The temp file is removed on any failure.
func WriteAtomic(path string, data []byte, mode, dirMode os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".esbtui-*.tmp")
	if err != nil {
		return err
	}
	fail := func(e error) error {
		tmp.Close()
		os.Remove(tmp.Name())
		return e
	}
	if err := tmp.Chmod(mode); err != nil {
		return fail(err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}
