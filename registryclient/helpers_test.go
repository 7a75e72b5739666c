package registryclient

import (
	"errors"
	"io"
	"log"
	"net/http"
	"strings"

	"github.com/esbtui/esbtui/registryclient/registrytest"
)

func registrytestOptions() registrytest.Options { return registrytest.Options{} }

func isNotFound(err error) bool {
	var nf *NotFoundError
	return errors.As(err, &nf)
}

func isBadRef(err error) bool {
	var br *BadReferenceError
	return errors.As(err, &br)
}

func unreachable(err error) *UnreachableError {
	var ue *UnreachableError
	if errors.As(err, &ue) {
		return ue
	}
	return nil
}

type ioReadCloser = io.ReadCloser

func nopCloser(r io.Reader) io.ReadCloser { return io.NopCloser(r) }

// dropUploads hijacks blob-upload PATCH/PUT requests with a body while
// *broken, reading a little and then closing the connection.
func dropUploads(broken *bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if *broken && (r.Method == http.MethodPatch || r.Method == http.MethodPut) && strings.Contains(r.URL.Path, "/blobs/uploads/") && r.ContentLength != 0 {
				io.CopyN(io.Discard, r.Body, 64<<10)
				if hj, ok := w.(http.Hijacker); ok {
					if conn, _, err := hj.Hijack(); err == nil {
						conn.Close()
						return
					}
				}
				http.Error(w, "dropped", http.StatusBadGateway)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func nilLogger() *log.Logger { return log.New(io.Discard, "", 0) }
