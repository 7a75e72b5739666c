package registryclient

import "strings"

// RequestCount is a number of requests and how many of them failed.
type RequestCount struct {
	Requests float64 `json:"requests"`
	Failures float64 `json:"failures"`
}

// SuccessRate is the share of requests that did not fail (0..1); ok is
// false when there were none.
func (c RequestCount) SuccessRate() (rate float64, ok bool) {
	if c.Requests <= 0 {
		return 0, false
	}
	return (c.Requests - c.Failures) / c.Requests, true
}

func (c RequestCount) minus(o RequestCount) RequestCount {
	return RequestCount{Requests: c.Requests - o.Requests, Failures: c.Failures - o.Failures}
}

// The registry's route names as its handler label spells them
// (distribution's "blob-upload" becomes blob_upload in the metrics: see
// testdata/metrics-esbtui-registry.txt, a real scrape).
const (
	routeManifest        = "manifest"
	routeBlob            = "blob"
	routeBlobUpload      = "blob_upload"
	routeBlobUploadChunk = "blob_upload_chunk"
)

// countPushPull adds n requests of one counter series to the push or pull
// count.
//
// A pull is a GET or HEAD of a manifest or a GET of a blob; a push is a
// blob HEAD (the existence check a push makes before each upload), any
// request of a blob upload (start, chunk, commit, mount) or a PUT of a
// manifest. The catalog, tags, the /v2/ ping and deletes are neither.
//
// A request failed when the registry answered 5xx (it broke), 401 or 403
// (credentials refused) or 400 (it rejected what was sent: a digest that
// does not match, an invalid manifest). A 404 is not counted at all: it is
// the answer to a question (every push asks HEAD for each blob first and
// gets 404 for the new ones; pulling a tag that does not exist is the
// client's mistake). Other answers count as successes.
func (s *MetricsSample) countPushPull(handler, method, code string, n float64) {
	if code == "404" {
		return
	}
	var c *RequestCount
	switch {
	case handler == routeManifest && (method == "get" || method == "head"), handler == routeBlob && method == "get":
		c = &s.Pulls
	case handler == routeBlob && method == "head", handler == routeManifest && method == "put",
		handler == routeBlobUpload, handler == routeBlobUploadChunk:
		c = &s.Pushes
	default:
		return
	}
	c.Requests += n
	if failedAnswer(code) {
		c.Failures += n
	}
}

func failedAnswer(code string) bool {
	return strings.HasPrefix(code, "5") || code == "400" || code == "401" || code == "403"
}

// isBlobTransfer: a request that carries a blob's bytes (a blob GET, an
// upload's PATCH or PUT), whose duration is the blob's size over the link,
// not the registry's answer time. The API p95 leaves them out.
func isBlobTransfer(handler, method string) bool {
	switch handler {
	case routeBlob:
		return method == "get"
	case routeBlobUpload, routeBlobUploadChunk:
		return method == "patch" || method == "put"
	}
	return false
}
