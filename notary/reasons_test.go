package notary

import (
	"errors"
	"strings"
	"testing"
)

// TestReasonsAreBounded: a reason quoting a huge, hostile certificate name
// is cut, and control sequences are gone.
func TestReasonsAreBounded(t *testing.T) {
	err := errors.New("signature verification failed\nsubject \x1b]0;pwned\x07" + strings.Repeat("é", 10000))
	rs := reasons(err)
	if len(rs) != 1 {
		t.Fatalf("reasons %d, want 1", len(rs))
	}
	if len(rs[0]) > maxReason+len("…") || strings.ContainsRune(rs[0], '\x1b') {
		t.Fatalf("reason of %d bytes (limit %d) or with an escape: %.80q", len(rs[0]), maxReason, rs[0])
	}
}
