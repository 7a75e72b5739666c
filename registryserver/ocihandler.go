package registryserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"

	"github.com/distribution/reference"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sirupsen/logrus"
)

// maxManifestBody is distribution's own limit on a manifest PUT.
const maxManifestBody = 4 << 20

// manifestAccept is every manifest type distribution serves.
const manifestAccept = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, " +
	"application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json"

var anchoredName = regexp.MustCompile(`^` + reference.NameRegexp.String() + `$`)

// OCIHandler puts what OCI Distribution 1.1 adds in front of distribution
// v3's registry (next): the referrers API, the OCI-Subject header on a
// manifest PUT with a subject, and the referrers kept right when such a
// manifest is pushed or deleted. Everything else, and every access
// decision, is distribution's: esbtui's own reads and writes of the
// referrers index are requests through next carrying the client's
// credentials. `esbtui serve` and the registry image both use it.
type OCIHandler struct {
	next http.Handler
	// indexMu serialises read-modify-write of referrers indexes.
	indexMu sync.Mutex
}

// NewOCIHandler wraps distribution's handler next.
func NewOCIHandler(next http.Handler) *OCIHandler { return &OCIHandler{next: next} }

func (h *OCIHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, kind, ref, ok := splitV2Path(r.URL.Path)
	switch {
	case ok && kind == "referrers" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		h.serveReferrers(w, r, name, ref)
	case ok && kind == "manifests" && r.Method == http.MethodPut && anchoredName.MatchString(name):
		h.putManifest(w, r, name, ref)
	case ok && kind == "manifests" && r.Method == http.MethodDelete && anchoredName.MatchString(name) && digest.Digest(ref).Validate() == nil:
		h.deleteManifest(w, r, name, digest.Digest(ref))
	default:
		h.next.ServeHTTP(w, r)
	}
}

// splitV2Path splits /v2/<name>/<kind>/<ref> for the kinds esbtui looks at.
func splitV2Path(p string) (name, kind, ref string, ok bool) {
	rest, found := strings.CutPrefix(p, "/v2/")
	if !found {
		return "", "", "", false
	}
	for _, k := range []string{"referrers", "manifests"} {
		i := strings.LastIndex(rest, "/"+k+"/")
		if i <= 0 {
			continue
		}
		ref = rest[i+len(k)+2:]
		if ref == "" || strings.Contains(ref, "/") {
			continue
		}
		return rest[:i], k, ref, true
	}
	return "", "", "", false
}

// serveReferrers answers GET /v2/<name>/referrers/<digest> from the
// fallback index: 400 for a malformed name or digest, the client's own
// 401/403 from distribution, otherwise 200 with an index (empty when the
// digest has no referrers), filtered by artifactType when asked.
func (h *OCIHandler) serveReferrers(w http.ResponseWriter, r *http.Request, name, ref string) {
	if !anchoredName.MatchString(name) {
		writeRegistryError(w, http.StatusBadRequest, "NAME_INVALID", "invalid repository name")
		return
	}
	subject, err := digest.Parse(ref)
	if err != nil {
		writeRegistryError(w, http.StatusBadRequest, "DIGEST_INVALID", "provided digest did not match uploaded content")
		return
	}
	resp := newInnerResponse()
	h.next.ServeHTTP(resp, innerRequest(r, http.MethodGet, "/v2/"+name+"/manifests/"+fallbackTag(subject), ocispec.MediaTypeImageIndex, "", nil))
	idx := emptyReferrers()
	switch st := resp.statusCode(); {
	case st == http.StatusOK && !resp.truncated:
		if idx, err = parseReferrers(resp.body.Bytes()); err != nil {
			writeRegistryError(w, http.StatusInternalServerError, "UNKNOWN", fmt.Sprintf("referrers of %s: %v", subject, err))
			return
		}
	case st == http.StatusNotFound:
		// No referrers yet (or no such repository): an empty index.
	default:
		resp.copyTo(w) // 401 with the challenge, 403, 5xx: distribution's word
		return
	}
	if types := r.URL.Query()["artifactType"]; len(types) > 0 {
		idx = filterReferrers(idx, types)
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	body, err := json.Marshal(idx)
	if err != nil {
		writeRegistryError(w, http.StatusInternalServerError, "UNKNOWN", err.Error())
		return
	}
	w.Header().Set("Content-Type", ocispec.MediaTypeImageIndex)
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

// putManifest hands the PUT to distribution; when the manifest names a
// subject and distribution stored it, the referrer is added to the
// subject's index and the answer carries OCI-Subject. If the index could
// not be updated the header is left off, which tells an OCI 1.1 client
// to maintain the fallback index itself.
func (h *OCIHandler) putManifest(w http.ResponseWriter, r *http.Request, name, ref string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxManifestBody+1))
	if err != nil {
		writeRegistryError(w, http.StatusBadRequest, "MANIFEST_INVALID", fmt.Sprintf("read the manifest: %v", err))
		return
	}
	var m *pushedManifest
	if len(body) <= maxManifestBody {
		m = parseSubject(body)
	}
	if m == nil {
		// Not ours to judge: distribution sees the body unchanged.
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
		h.next.ServeHTTP(w, r)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	resp := newInnerResponse()
	h.next.ServeHTTP(resp, r)
	if resp.statusCode() == http.StatusCreated {
		dgst := manifestDigest(ref, resp.header.Get("Docker-Content-Digest"), body)
		d := referrerDescriptor(m, dgst, int64(len(body)), r.Header.Get("Content-Type"))
		if err := h.updateReferrers(r, name, m.Subject.Digest, func(idx ocispec.Index) ocispec.Index { return withReferrer(idx, d) }); err != nil {
			logrus.WithError(err).Warnf("referrers: add %s@%s to the referrers of %s", name, dgst, m.Subject.Digest)
		} else {
			resp.header.Set("OCI-Subject", m.Subject.Digest.String())
		}
	}
	resp.copyTo(w)
}

// manifestDigest is the digest a pushed manifest is known by: the one it
// was pushed by, else the one distribution answered, else its sha256.
func manifestDigest(ref, answered string, body []byte) digest.Digest {
	if d := digest.Digest(ref); d.Validate() == nil {
		return d
	}
	if d := digest.Digest(answered); d.Validate() == nil {
		return d
	}
	return digest.FromBytes(body)
}

// deleteManifest reads the manifest's subject first, hands the DELETE to
// distribution, and when it was deleted removes it from its subject's
// referrers (the fallback tag goes when the last referrer does).
func (h *OCIHandler) deleteManifest(w http.ResponseWriter, r *http.Request, name string, dgst digest.Digest) {
	var m *pushedManifest
	got := newInnerResponse()
	h.next.ServeHTTP(got, innerRequest(r, http.MethodGet, "/v2/"+name+"/manifests/"+dgst.String(), manifestAccept, "", nil))
	if got.statusCode() == http.StatusOK && !got.truncated {
		m = parseSubject(got.body.Bytes())
	}
	if m == nil {
		h.next.ServeHTTP(w, r)
		return
	}
	resp := newInnerResponse()
	h.next.ServeHTTP(resp, r)
	if resp.statusCode() == http.StatusAccepted {
		if err := h.updateReferrers(r, name, m.Subject.Digest, func(idx ocispec.Index) ocispec.Index { return withoutReferrer(idx, dgst) }); err != nil {
			logrus.WithError(err).Warnf("referrers: remove %s@%s from the referrers of %s", name, dgst, m.Subject.Digest)
		}
	}
	resp.copyTo(w)
}

// errReferrersIndex is an update of a fallback index distribution refused.
var errReferrersIndex = errors.New("the registry refused the referrers index update")

// updateReferrers reads subject's fallback index in repository name,
// applies change and writes it back (or removes the tag when it is left
// empty), all through distribution with the client's credentials.
func (h *OCIHandler) updateReferrers(r *http.Request, name string, subject digest.Digest, change func(ocispec.Index) ocispec.Index) error {
	h.indexMu.Lock()
	defer h.indexMu.Unlock()
	path := "/v2/" + name + "/manifests/" + fallbackTag(subject)
	cur := newInnerResponse()
	h.next.ServeHTTP(cur, innerRequest(r, http.MethodGet, path, ocispec.MediaTypeImageIndex, "", nil))
	idx := emptyReferrers()
	switch st := cur.statusCode(); {
	case st == http.StatusOK && !cur.truncated:
		var err error
		if idx, err = parseReferrers(cur.body.Bytes()); err != nil {
			return err
		}
	case st == http.StatusNotFound:
	default:
		return fmt.Errorf("%w: GET %s: %d", errReferrersIndex, path, st)
	}
	had := len(idx.Manifests)
	idx = change(idx)
	if len(idx.Manifests) == 0 {
		if had == 0 {
			return nil
		}
		del := newInnerResponse()
		h.next.ServeHTTP(del, innerRequest(r, http.MethodDelete, path, "", "", nil))
		if st := del.statusCode(); st != http.StatusAccepted && st != http.StatusNotFound {
			return fmt.Errorf("%w: DELETE %s: %d", errReferrersIndex, path, st)
		}
		return nil
	}
	body, err := json.Marshal(idx)
	if err != nil {
		return fmt.Errorf("write the referrers index: %w", err)
	}
	put := newInnerResponse()
	h.next.ServeHTTP(put, innerRequest(r, http.MethodPut, path, "", ocispec.MediaTypeImageIndex, body))
	if st := put.statusCode(); st != http.StatusCreated {
		return fmt.Errorf("%w: PUT %s: %d %s", errReferrersIndex, path, st, bytes.TrimSpace(put.body.Bytes()))
	}
	return nil
}

// writeRegistryError answers in distribution's error format.
func writeRegistryError(w http.ResponseWriter, status int, code, message string) {
	body, _ := json.Marshal(map[string]any{"errors": []map[string]string{{"code": code, "message": message}}})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
