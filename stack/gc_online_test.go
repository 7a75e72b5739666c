package stack

import (
	"strings"
	"testing"
)

// TestControlReplyIsSanitized: what the container answers is outside
// data: only well-formed digests are kept and the error text is bounded.
func TestControlReplyIsSanitized(t *testing.T) {
	good := "sha256:" + strings.Repeat("a", 64)
	out := "noise\n" + `{"gc":{"manifests":["` + good + `","../../etc/passwd"],"blobs":["sha256:zz","` + good + `"]},"error":"` + strings.Repeat("e", 5000) + `"}` + "\n"
	r, err := parseControlReply(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.GC.Manifests) != 1 || r.GC.Manifests[0] != good || len(r.GC.Blobs) != 1 || r.GC.Blobs[0] != good {
		t.Errorf("digests kept: manifests %q, blobs %q; want only %s", r.GC.Manifests, r.GC.Blobs, good)
	}
	if len(r.Error) > maxReplyError {
		t.Errorf("error text of %d bytes kept, over %d", len(r.Error), maxReplyError)
	}
}
