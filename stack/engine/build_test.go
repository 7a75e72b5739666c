package engine

import (
	"errors"
	"strings"
	"testing"

	"github.com/esbtui/esbtui/internal/progress"
)

func TestReadBuildStreamErrorInside200(t *testing.T) {
	stream := `{"stream":"Step 1/2 : FROM scratch\n"}
{"stream":" ---\u003e \n"}
{"stream":"Step 2/2 : COPY missing /\n"}
{"errorDetail":{"message":"COPY failed: file not found in build context"},"error":"COPY failed: file not found in build context"}
`
	var c progress.Collector
	_, err := readBuildStream(strings.NewReader(stream), "fn", progress.Reporter{Op: "build", Sink: &c})
	var be *BuildError
	if !errors.As(err, &be) || !strings.Contains(err.Error(), "COPY failed") || !strings.Contains(err.Error(), "Step 2/2") {
		t.Fatalf("err = %v", err)
	}
	if len(c.Events()) != 3 {
		t.Fatalf("events %d", len(c.Events()))
	}
}

func TestReadBuildStreamImageID(t *testing.T) {
	stream := `{"stream":"Step 1/1 : FROM scratch"}
{"stream":"\n"}
{"aux":{"ID":"sha256:0123456789abcdef"}}
{"stream":"Successfully built 0123456789ab\n"}
`
	id, err := readBuildStream(strings.NewReader(stream), "fn", progress.Reporter{Sink: progress.Discard})
	if err != nil || id != "sha256:0123456789abcdef" {
		t.Fatalf("%q %v", id, err)
	}
}

func TestReadBuildStreamStripsEscapes(t *testing.T) {
	stream := `{"stream":"Step 1/1 : RUN echo\n"}
{"stream":"\u001b]0;pwned\u0007hello \u001b[2Jworld\n"}
{"errorDetail":{"message":"failed\u001b[2J"},"error":"failed\u001b[2J"}
`
	var c progress.Collector
	_, err := readBuildStream(strings.NewReader(stream), "fn", progress.Reporter{Op: "build", Sink: &c})
	if err == nil || strings.ContainsRune(err.Error(), 0x1b) {
		t.Fatalf("err = %q, want a build error without escapes", err)
	}
	ev := c.Events()
	if len(ev) != 2 || ev[1].Message != "hello world" {
		t.Fatalf("events = %+v, want the second line as \"hello world\"", ev)
	}
}
