package registryclient

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ErrLocalLayer is wrapped by every failure to read a layer of a
// LocalImage (a read error, or a *DiffIDMismatchError): nothing of that
// layer was uploaded and nothing was tagged, so the caller may export the
// image another way and push again.
var ErrLocalLayer = errors.New("registryclient: reading the layer from the engine's store failed")

// DiffIDMismatchError is a layer whose uncompressed stream does not hash to
// the diffID the image config gives it: nothing of it was uploaded.
type DiffIDMismatchError struct {
	Want, Got v1.Hash
}

func (e *DiffIDMismatchError) Error() string {
	return fmt.Sprintf("the layer read from the engine hashes to %s, but the image config says %s", e.Got, e.Want)
}

func (e *DiffIDMismatchError) Unwrap() error { return ErrLocalLayer }

// sourceReader marks its read errors as the source's (not the temp file's).
type sourceReader struct{ r io.Reader }

func (s sourceReader) Read(b []byte) (int, error) {
	n, err := s.r.Read(b)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%w: %w", ErrLocalLayer, err)
	}
	return n, err
}

// compressStream gzips src (size bytes) into a new file in dir (see
// compressTo; gzip is what every engine and registry accepts), hashing the
// output as it is written. prog counts uncompressed bytes read.
func compressStream(src io.Reader, size int64, dir string, prog *byteProgress) (path string, digest v1.Hash, n int64, err error) {
	out, err := os.CreateTemp(dir, "blob-*.gz")
	if err != nil {
		return "", v1.Hash{}, 0, err
	}
	path = out.Name()
	defer func() {
		if err != nil {
			out.Close()
			os.Remove(path)
		}
	}()
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(out, h)}
	if err := compressTo(cw, &countingReadCloser{r: src, prog: prog}, size); err != nil {
		return "", v1.Hash{}, 0, err
	}
	if err := out.Close(); err != nil {
		return "", v1.Hash{}, 0, err
	}
	return path, hashOf(h), cw.n, nil
}

func hashOf(h hash.Hash) v1.Hash {
	return v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", h.Sum(nil))}
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
