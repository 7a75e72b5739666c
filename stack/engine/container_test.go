package engine

import (
	"bytes"
	"errors"
	"testing"

	"github.com/moby/moby/api/pkg/stdcopy"
)

// TestExecOutputIsBounded: the multiplexed stream Exec reads is cut at the
// buffer's bound with ErrOutputTooLarge, however much the container writes.
func TestExecOutputIsBounded(t *testing.T) {
	var stream bytes.Buffer
	chunk := bytes.Repeat([]byte("x"), 1000)
	for range 10 { // stdout frames: stream 1, size big-endian
		stream.Write([]byte{1, 0, 0, 0, 0, 0, byte(len(chunk) >> 8), byte(len(chunk))})
		stream.Write(chunk)
	}
	out := &cappedBuffer{max: 4500}
	_, err := stdcopy.StdCopy(out, out, &stream)
	if !errors.Is(err, ErrOutputTooLarge) {
		t.Fatalf("10000 bytes into a 4500-byte bound: err %v, want ErrOutputTooLarge", err)
	}
	if out.Len() > 4500 {
		t.Fatalf("kept %d bytes, over the bound", out.Len())
	}
	small := &cappedBuffer{max: 4500}
	if _, err := small.Write(chunk); err != nil || small.String() != string(chunk) {
		t.Fatalf("a write under the bound: %v", err)
	}
}
