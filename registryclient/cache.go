package registryclient

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// compressorID names how layers are compressed; a cache entry made by
// another compressor is not trusted for a digest.
const compressorID = "pgzip-l1-1m"

// layerCache remembers, per uncompressed layer (diffID), the digest and size
// of its compressed blob and the repositories it was pushed to, so an
// unchanged layer is never compressed again: the next push checks the
// registry (HEAD, or a cross-repo mount) instead.
// It lives in $ESB_HOME/cache/layers.json.
type layerCache struct {
	path  string
	mu    sync.Mutex
	data  cacheFile
	dirty map[string]bool
	// dirtyManifests are config digests whose manifest was added.
	dirtyManifests []string
	loaded         bool
}

type cacheFile struct {
	Version int                    `json:"version"`
	Layers  map[string]*cacheEntry `json:"layers"`
	// Manifests maps an image config digest (the engine's image ID) to the
	// manifest a push made for it, so an unchanged image is not exported again.
	Manifests map[string]*cachedManifest `json:"manifests,omitempty"`
}

type cachedManifest struct {
	v1.Manifest
	Used time.Time `json:"used"`
}

func (m *cachedManifest) raw() ([]byte, error) { return json.Marshal(m.Manifest) }

func (m *cachedManifest) digest() string {
	b, err := m.raw()
	if err != nil {
		return ""
	}
	h, _, _ := v1.SHA256(bytes.NewReader(b))
	return h.String()
}

const maxManifests = 256

// manifest returns the manifest pushed for configDigest.
func (c *layerCache) manifest(configDigest string) (*cachedManifest, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load()
	m, ok := c.data.Manifests[configDigest]
	if !ok {
		return nil, false
	}
	cp := *m
	return &cp, true
}

// putManifest remembers the manifest pushed for its config.
func (c *layerCache) putManifest(m v1.Manifest) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load()
	if c.data.Manifests == nil {
		c.data.Manifests = map[string]*cachedManifest{}
	}
	c.data.Manifests[m.Config.Digest.String()] = &cachedManifest{Manifest: m, Used: time.Now().UTC()}
	c.dirtyManifests = append(c.dirtyManifests, m.Config.Digest.String())
}

type cacheEntry struct {
	Digest     string              `json:"digest"`
	Size       int64               `json:"size"`
	MediaType  string              `json:"media_type"`
	Compressor string              `json:"compressor"`
	Repos      map[string][]string `json:"repos,omitempty"` // registry → repositories, newest first
	Used       time.Time           `json:"used"`
}

const maxReposPerLayer = 8

func newLayerCache(path string) *layerCache {
	return &layerCache{path: path, dirty: map[string]bool{}}
}

func readCacheFile(path string) (cacheFile, error) {
	f := cacheFile{Version: 1, Layers: map[string]*cacheEntry{}}
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return f, nil
	}
	if err != nil {
		return f, err
	}
	if err := json.Unmarshal(b, &f); err != nil || f.Version != 1 {
		// A corrupt or foreign cache only costs recompression: start over.
		return cacheFile{Version: 1, Layers: map[string]*cacheEntry{}}, nil
	}
	if f.Layers == nil {
		f.Layers = map[string]*cacheEntry{}
	}
	return f, nil
}

func (c *layerCache) load() {
	if c.loaded {
		return
	}
	c.data, _ = readCacheFile(c.path)
	c.loaded = true
}

// get returns a copy of the entry for diffID made by our compressor, if
// its digest parses.
func (c *layerCache) get(diffID string) (cacheEntry, bool) {
	if c == nil {
		return cacheEntry{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load()
	e, ok := c.data.Layers[diffID]
	if !ok || e.Compressor != compressorID {
		return cacheEntry{}, false
	}
	if _, err := v1.NewHash(e.Digest); err != nil {
		// A damaged entry (the file is ours, but on disk): a miss, like a
		// corrupt file, costs one recompression.
		return cacheEntry{}, false
	}
	cp := *e
	cp.Repos = map[string][]string{}
	for k, v := range e.Repos {
		cp.Repos[k] = append([]string(nil), v...)
	}
	return cp, true
}

// put records diffID → blob and that the blob is in registry/repo.
func (c *layerCache) put(diffID, digest, mediaType string, size int64, registry, repo string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load()
	e, ok := c.data.Layers[diffID]
	if !ok || e.Digest != digest || e.Compressor != compressorID {
		e = &cacheEntry{Digest: digest, Size: size, MediaType: mediaType, Compressor: compressorID, Repos: map[string][]string{}}
		c.data.Layers[diffID] = e
	}
	if e.Repos == nil {
		e.Repos = map[string][]string{}
	}
	list := []string{repo}
	for _, r := range e.Repos[registry] {
		if r != repo && len(list) < maxReposPerLayer {
			list = append(list, r)
		}
	}
	e.Repos[registry] = list
	e.Used = time.Now().UTC()
	c.dirty[diffID] = true
}

// forget drops registry from diffID's repos (the registry lost the blob).
func (c *layerCache) forget(diffID, registry string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load()
	if e, ok := c.data.Layers[diffID]; ok {
		delete(e.Repos, registry)
		c.dirty[diffID] = true
	}
}

// save merges our changes into the file on disk (another process may have
// written it meanwhile) and replaces it atomically.
func (c *layerCache) save() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.dirty) == 0 && len(c.dirtyManifests) == 0 {
		return nil
	}
	disk, err := readCacheFile(c.path)
	if err != nil {
		return fmt.Errorf("registryclient: read layer cache %s: %w", c.path, err)
	}
	for k := range c.dirty {
		if e, ok := c.data.Layers[k]; ok {
			disk.Layers[k] = e
		}
	}
	if len(c.dirtyManifests) > 0 && disk.Manifests == nil {
		disk.Manifests = map[string]*cachedManifest{}
	}
	for _, k := range c.dirtyManifests {
		if m, ok := c.data.Manifests[k]; ok {
			disk.Manifests[k] = m
		}
	}
	pruneManifests(disk.Manifests)
	b, err := json.MarshalIndent(disk, "", " ")
	if err != nil {
		return fmt.Errorf("registryclient: encode layer cache: %w", err)
	}
	if err := writeFileAtomic(c.path, b, 0o600); err != nil {
		return fmt.Errorf("registryclient: write layer cache %s: %w", c.path, err)
	}
	c.data = disk
	c.dirty = map[string]bool{}
	c.dirtyManifests = nil
	return nil
}

// writeFileAtomic writes to a temp file in the same directory, fsyncs and renames.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".layers-*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// pruneManifests keeps the maxManifests most recently used.
func pruneManifests(m map[string]*cachedManifest) {
	for len(m) > maxManifests {
		var oldest string
		for k, v := range m {
			if oldest == "" || v.Used.Before(m[oldest].Used) {
				oldest = k
			}
		}
		delete(m, oldest)
	}
}
