package registryclient

import (
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"os"
	"runtime"

	"github.com/klauspost/pgzip"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// compressFile gzips src into a new file in dir with pgzip at BestSpeed
// (parallel 1 MiB blocks; gzip is what every engine and registry accepts),
// hashing the output as it is written. prog counts uncompressed bytes read.
func compressFile(src, dir string, prog *byteProgress) (path string, digest v1.Hash, size int64, err error) {
	in, err := os.Open(src)
	if err != nil {
		return "", v1.Hash{}, 0, err
	}
	defer in.Close()
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
	zw, err := pgzip.NewWriterLevel(cw, gzip.BestSpeed)
	if err != nil {
		return "", v1.Hash{}, 0, err
	}
	if err := zw.SetConcurrency(1<<20, max(2, runtime.GOMAXPROCS(0))); err != nil {
		return "", v1.Hash{}, 0, err
	}
	buf := make([]byte, 1<<20)
	if _, err := io.CopyBuffer(zw, &countingReadCloser{r: in, c: in, prog: prog}, buf); err != nil {
		return "", v1.Hash{}, 0, fmt.Errorf("compress %s: %w", src, err)
	}
	if err := zw.Close(); err != nil {
		return "", v1.Hash{}, 0, fmt.Errorf("compress %s: %w", src, err)
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
