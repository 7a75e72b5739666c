package registryclient

// What the registry already has: a blob HEAD in the destination
// repository, and a cross-repository mount.

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// blobExists HEADs the blob in the destination repository.
func (p *pushRun) blobExists(ctx context.Context, dig v1.Hash) (bool, error) {
	u := "https://" + p.repo.RegistryStr() + "/v2/" + p.repo.RepositoryStr() + "/blobs/" + dig.String()
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, u, nil)
	if err != nil {
		return false, err
	}
	resp, err := p.hc.Do(req)
	if err != nil {
		return false, err
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return true, nil
	case http.StatusNotFound:
		return false, nil
	}
	return false, headFailure(ctx, p.hc, u, resp.StatusCode, fmt.Errorf("HEAD %s: %s", u, resp.Status))
}

// mount asks the registry to link the blob from another repository. Any
// failure just means "upload it".
func (p *pushRun) mount(ctx context.Context, diffID, dig v1.Hash, size int64, from string) bool {
	src, err := name.NewRepository(p.repo.RegistryStr() + "/" + from)
	if err != nil {
		return false
	}
	ml := &remote.MountableLayer{
		Layer:     &blobLayer{digest: dig, diffID: diffID, size: size, mediaType: types.DockerLayer, open: func() (io.ReadCloser, error) { return nil, errNeedCompress }},
		Reference: src.Digest(dig.String()),
	}
	return p.pusher.Upload(ctx, p.repo, ml) == nil
}
