package registryserver

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
)

// maxInnerBody bounds what esbtui reads back from distribution for one
// internal request: a manifest or a referrers index (distribution itself
// refuses manifests over 4 MiB).
const maxInnerBody = 4<<20 + 1

// innerResponse is distribution's answer to an internal request, held in
// memory so esbtui can look at it before (or instead of) the client does.
type innerResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
	// truncated is set when distribution wrote more than maxInnerBody.
	truncated bool
}

func newInnerResponse() *innerResponse { return &innerResponse{header: http.Header{}} }

func (r *innerResponse) Header() http.Header { return r.header }

func (r *innerResponse) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *innerResponse) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	room := maxInnerBody - r.body.Len()
	if len(p) > room {
		r.truncated = true
		r.body.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return r.body.Write(p)
}

// statusCode is the status distribution answered (200 if it only wrote a
// body, like net/http).
func (r *innerResponse) statusCode() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

// copyTo sends the recorded response to the client unchanged.
func (r *innerResponse) copyTo(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.WriteHeader(r.statusCode())
	_, _ = w.Write(r.body.Bytes())
}

// innerRequest is a request to distribution on behalf of client request
// orig: same context, host, TLS state and credentials, so distribution's
// own access control decides it exactly as it would the client's.
func innerRequest(orig *http.Request, method, path, accept, contentType string, body []byte) *http.Request {
	var rd io.Reader = http.NoBody
	if body != nil {
		rd = bytes.NewReader(body)
	}
	u := &url.URL{Path: path}
	req, _ := http.NewRequestWithContext(orig.Context(), method, u.String(), rd)
	// NewRequest fails only on a bad method or URL; both are built here.
	req.URL = u
	req.RequestURI = u.RequestURI()
	req.Host = orig.Host
	req.RemoteAddr = orig.RemoteAddr
	req.TLS = orig.TLS
	req.Proto, req.ProtoMajor, req.ProtoMinor = orig.Proto, orig.ProtoMajor, orig.ProtoMinor
	if body != nil {
		req.ContentLength = int64(len(body))
	}
	if a := orig.Header.Values("Authorization"); len(a) > 0 {
		req.Header["Authorization"] = a
	}
	if ua := orig.Header.Get("User-Agent"); ua != "" {
		req.Header.Set("User-Agent", ua)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req
}
