package registryclient

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// blobFetcher GETs blobs with one authenticated client per repository
// (one ping and token exchange per repository, not per blob), its
// connections reused.
type blobFetcher struct {
	c       *Client
	mu      sync.Mutex
	clients map[string]*http.Client
}

func newBlobFetcher(c *Client) *blobFetcher {
	return &blobFetcher{c: c, clients: map[string]*http.Client{}}
}

// open starts the GET of repo's blob d and returns its body (streamed,
// unread); the caller closes it.
func (f *blobFetcher) open(ctx context.Context, repo name.Repository, d v1.Hash) (io.ReadCloser, error) {
	f.mu.Lock()
	hc, ok := f.clients[repo.Name()]
	f.mu.Unlock()
	if !ok {
		var err error
		hc, err = f.c.authClient(ctx, repo.Registry, []string{repo.Scope(transport.PullScope)})
		if err != nil {
			return nil, err
		}
		f.mu.Lock()
		f.clients[repo.Name()] = hc
		f.mu.Unlock()
	}
	u := "https://" + repo.RegistryStr() + "/v2/" + repo.RepositoryStr() + "/blobs/" + d.String()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		err := transport.CheckError(resp, http.StatusOK)
		resp.Body.Close()
		return nil, cleanErr(fmt.Errorf("GET %s: %w", u, err))
	}
	return resp.Body, nil
}

// opened is a blob GET started ahead of its turn.
type opened struct {
	body io.ReadCloser
	err  error
}

// prefetch starts the GETs of blobs up to ahead of the one being copied
// (bodies wait unread on their connections: nothing is buffered whole)
// and hands them over in order. stop cancels what is pending and closes
// every body not taken.
func (f *blobFetcher) prefetch(ctx context.Context, blobs []blobRef, ahead int) (next func() opened, stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	slots := make([]chan opened, len(blobs))
	for i := range slots {
		slots[i] = make(chan opened, 1)
	}
	sem := make(chan struct{}, ahead)
	launched := make(chan int, 1)
	go func() {
		n := 0
		defer func() { launched <- n }()
		for i, b := range blobs {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			n++
			go func() {
				body, err := f.open(ctx, b.repo, b.desc.Digest)
				slots[i] <- opened{body: body, err: err}
			}()
		}
	}()
	taken := 0
	next = func() opened {
		select {
		case o := <-slots[taken]:
			taken++
			<-sem
			return o
		case <-ctx.Done():
			// Not launched, or launched and left for stop to close.
			return opened{err: ctx.Err()}
		}
	}
	stop = func() {
		cancel()
		n := <-launched
		for i := taken; i < n; i++ {
			if o := <-slots[i]; o.body != nil {
				o.body.Close()
			}
		}
	}
	return next, stop
}
