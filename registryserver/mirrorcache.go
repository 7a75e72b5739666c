package registryserver

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
	"github.com/sirupsen/logrus"
)

// The size cap. distribution's proxy has a TTL but no size limit: the
// mirror keeps one itself. Policy: when the blobs stored exceed MaxSize,
// the least recently used blobs (last read by a client through the mirror,
// else when they were cached) are removed until the cache is at 90% of
// the cap; a blob read in the last minute is never removed (it may be
// streaming). A removed blob is fetched from upstream again on the next
// pull that needs it: manifests and tags stay, so an image whose layers
// were evicted pulls only while the upstream is reachable.
const (
	mirrorEvictTarget   = 0.9
	mirrorEvictMinIdle  = time.Minute
	mirrorUsageMaxAge   = 2 * time.Second
	mirrorEvictInterval = time.Minute
	// mirrorEnforceEvery bounds the walks of the cache after blob reads.
	mirrorEnforceEvery = 5 * time.Second
)

// mirrorCache measures and caps the blobs a mirror stores.
type mirrorCache struct {
	root    string // the storage root (/var/lib/registry)
	maxSize int64
	now     func() time.Time

	mu       sync.Mutex
	access   map[digest.Digest]time.Time
	size     int64
	sizedAt  time.Time
	evicted  uint64
	evicting bool
}

func newMirrorCache(root string, maxSize int64) *mirrorCache {
	return &mirrorCache{root: root, maxSize: maxSize, now: time.Now, access: map[digest.Digest]time.Time{}}
}

// blobsDir is where distribution's filesystem driver keeps blob data.
func (c *mirrorCache) blobsDir() string {
	return filepath.Join(c.root, "docker", "registry", "v2", "blobs")
}

// maxTracked bounds the access map (a client asking for random digests
// must not grow it without end).
const maxTracked = 1 << 16

func (c *mirrorCache) touch(d digest.Digest) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.access[d]; !ok && len(c.access) >= maxTracked {
		return
	}
	c.access[d] = c.now()
}

// afterRead checks the cap after a blob was served (a miss adds to the
// cache), in the background, at most every 5 s.
func (c *mirrorCache) afterRead() {
	if c.maxSize <= 0 {
		return
	}
	c.mu.Lock()
	if c.evicting || c.now().Sub(c.sizedAt) < mirrorEnforceEvery {
		c.mu.Unlock()
		return
	}
	c.evicting = true
	c.mu.Unlock()
	go func() {
		c.enforce()
		c.mu.Lock()
		c.evicting = false
		c.mu.Unlock()
	}()
}

// run enforces the cap every minute until ctx ends.
func (c *mirrorCache) run(ctx context.Context) {
	t := time.NewTicker(mirrorEvictInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if c.maxSize > 0 {
				c.enforce()
			}
		}
	}
}

// usage is the stored blob bytes (measured at most every 2 s) and how many
// blobs the cap removed.
func (c *mirrorCache) usage() (int64, uint64) {
	c.mu.Lock()
	fresh := c.now().Sub(c.sizedAt) < mirrorUsageMaxAge
	size, ev := c.size, c.evicted
	c.mu.Unlock()
	if fresh {
		return size, ev
	}
	blobs, _ := c.scan()
	size = 0
	for _, b := range blobs {
		size += b.size
	}
	c.mu.Lock()
	c.size, c.sizedAt = size, c.now()
	ev = c.evicted
	c.mu.Unlock()
	return size, ev
}

type storedBlob struct {
	dir  string // .../blobs/sha256/ab/abcdef...
	dgst digest.Digest
	size int64
	used time.Time
}

// scan lists the stored blobs: blobs/<alg>/<2 hex>/<hex>/data.
func (c *mirrorCache) scan() ([]storedBlob, error) {
	var out []storedBlob
	root := c.blobsDir()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if d.IsDir() || d.Name() != "data" || !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return nil
		}
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if len(parts) != 4 {
			return nil
		}
		dg := digest.NewDigestFromEncoded(digest.Algorithm(parts[0]), parts[2])
		if dg.Validate() != nil {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		out = append(out, storedBlob{dir: filepath.Dir(p), dgst: dg, size: info.Size(), used: info.ModTime()})
		return nil
	})
	return out, err
}

// enforce removes least recently used blobs while the cache is over its cap.
func (c *mirrorCache) enforce() {
	blobs, err := c.scan()
	if err != nil {
		logrus.Warnf("mirror: measure the cache: %v", err)
		return
	}
	var total int64
	c.mu.Lock()
	for i := range blobs {
		total += blobs[i].size
		if t, ok := c.access[blobs[i].dgst]; ok && t.After(blobs[i].used) {
			blobs[i].used = t
		}
	}
	c.mu.Unlock()
	if total <= c.maxSize {
		c.setSize(total, 0)
		return
	}
	sort.Slice(blobs, func(i, j int) bool { return blobs[i].used.Before(blobs[j].used) })
	target := int64(float64(c.maxSize) * mirrorEvictTarget)
	var removed uint64
	now := c.now()
	for _, b := range blobs {
		if total <= target {
			break
		}
		if now.Sub(b.used) < mirrorEvictMinIdle {
			continue
		}
		if err := os.RemoveAll(b.dir); err != nil {
			logrus.Warnf("mirror: evict %s: %v", b.dgst, err)
			continue
		}
		total -= b.size
		removed++
		c.mu.Lock()
		delete(c.access, b.dgst)
		c.mu.Unlock()
	}
	if removed > 0 {
		logrus.Infof("mirror: size cap %d bytes: evicted %d least recently used blobs, %d bytes cached", c.maxSize, removed, total)
	}
	c.setSize(total, removed)
}

func (c *mirrorCache) setSize(total int64, removed uint64) {
	c.mu.Lock()
	c.size, c.sizedAt = total, c.now()
	c.evicted += removed
	c.mu.Unlock()
}
