package registryserver

import (
	"context"
	"fmt"
	"net/http"
	"os"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/sirupsen/logrus"
)

// mirrorStorageRoot is where the registry image keeps its storage (when
// the configuration names no filesystem root).
const mirrorStorageRoot = "/var/lib/registry"

// setUpMirror turns the registry process into a pull-through cache of the
// upstream in dir's files (see MirrorDirEnv): distribution's proxy
// settings go into this process's environment (where its configuration
// parser reads REGISTRY_*; not the container's configuration), every
// upstream request goes through upstreamTransport (distribution's proxy
// uses http.DefaultTransport: this process's, which only the mirror
// uses), and the returned middleware serves the stats, the outage answers
// and the size cap over the cache in the configuration's storage root. It
// runs once, in the container's entrypoint.
func setUpMirror(ctx context.Context, dir string) (func(*configuration.Configuration, http.Handler) http.Handler, error) {
	mc, err := loadMirrorConfig(dir)
	if err != nil {
		return nil, err
	}
	for k, v := range mc.registryEnv() {
		if err := os.Setenv(k, v); err != nil {
			return nil, fmt.Errorf("mirror: set %s: %w", k, err)
		}
	}
	tr := newUpstreamTransport(mc.MirrorSettings, mc.roots, mc.creds != nil)
	http.DefaultTransport = tr
	login := "anonymous"
	if mc.creds != nil {
		login = "with a login" // never the user name or password
	}
	logrus.Infof("mirror: caching %s from %s (%s), ttl %s, max size %d bytes", mc.Upstream, mc.RemoteURL, login, mc.TTL(), mc.MaxSize)
	return func(cfg *configuration.Configuration, next http.Handler) http.Handler {
		root := filesystemRoot(cfg)
		if root == "" {
			root = mirrorStorageRoot
		}
		cache := newMirrorCache(root, mc.MaxSize)
		go cache.run(ctx)
		return &mirrorHandler{next: next, settings: mc.MirrorSettings, tr: tr, cache: cache}
	}, nil
}
