package trust

import (
	"os"
	"sync"
	"time"
)

// KeystoreCache keeps the last `keytool -list` of each Java keystore, by
// path, for as long as the file keeps its size and mtime: a keytool run
// costs ~0.5 s of JVM start, and status is polled. Its owner (the flows'
// Env) gives it a lifetime; a nil cache lists every time.
type KeystoreCache struct {
	mu sync.Mutex
	m  map[string]ksCached
}

type ksCached struct {
	size    int64
	mtime   time.Time
	entries []ksEntry
}

// NewKeystoreCache returns an empty cache.
func NewKeystoreCache() *KeystoreCache { return &KeystoreCache{m: map[string]ksCached{}} }

func (c *KeystoreCache) get(path string, fi os.FileInfo) ([]ksEntry, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[path]
	if !ok || e.size != fi.Size() || !e.mtime.Equal(fi.ModTime()) {
		return nil, false
	}
	return e.entries, true
}

func (c *KeystoreCache) put(path string, fi os.FileInfo, entries []ksEntry) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[path] = ksCached{size: fi.Size(), mtime: fi.ModTime(), entries: entries}
}
