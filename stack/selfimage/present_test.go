package selfimage

import (
	"context"
	"io"
	"testing"

	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"
)

// inspectOnly answers ImageInspect with a fixed result, as an engine with
// the containerd image store does (ID = manifest digest). TestLoadAndRun
// is the real-engine counterpart (classic store: ID = config digest).
type inspectOnly struct {
	API
	res image.InspectResponse
}

func (f inspectOnly) ImageInspect(context.Context, string, ...client.ImageInspectOption) (client.ImageInspectResult, error) {
	return client.ImageInspectResult{InspectResponse: f.res}, nil
}

func (f inspectOnly) ImageLoad(context.Context, io.Reader, ...client.ImageLoadOption) (client.ImageLoadResult, error) {
	panic("not used")
}

func TestPresentOnContainerdImageStore(t *testing.T) {
	img, err := Assemble(testSpec(t, "esbtui-test/x", buildProg(t, false)))
	if err != nil {
		t.Fatal(err)
	}
	manifestDigest := "sha256:" + "ab" + img.ID[9:]
	same := inspectOnly{res: image.InspectResponse{ID: manifestDigest, RootFS: image.RootFS{Type: "layers", Layers: []string{img.layer.DiffID}}}}
	if ok, err := img.Present(context.Background(), same); err != nil || !ok {
		t.Fatalf("same layer under the tag, manifest-digest ID: present=%v %v; want true", ok, err)
	}
	other := inspectOnly{res: image.InspectResponse{ID: manifestDigest, RootFS: image.RootFS{Type: "layers", Layers: []string{"sha256:" + img.ID[7:]}}}}
	if ok, _ := img.Present(context.Background(), other); ok {
		t.Fatal("another layer under the tag counted as present")
	}
}
