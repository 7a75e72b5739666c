package flows

import (
	"reflect"
	"strings"
	"testing"
)

func TestFromImages(t *testing.T) {
	df := `# syntax=docker/dockerfile:1
FROM --platform=$BUILDPLATFORM localhost:5000/base/go:1 AS build
RUN true
from build AS test
FROM scratch
FROM localhost:5000/runtime@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
COPY --from=build /x /x
FROM alpine:3
`
	got, err := fromImages(strings.NewReader(df))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"localhost:5000/base/go:1", "localhost:5000/runtime@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "alpine:3"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("fromImages = %q, want %q", got, want)
	}
}
