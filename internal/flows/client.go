package flows

import (
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/esbtui/esbtui/pki"
	"github.com/esbtui/esbtui/registryclient"
)

// registryCache is an Env's registry client, kept for the Env's lifetime
// (Close releases it) and made again when rootCA.crt changes (a CA created
// or restored while the dashboard runs).
type registryCache struct {
	mu      sync.Mutex
	client  *registryclient.Client
	caStamp string
}

// Registry returns the registry client of this Env: TLS trusting
// $ESB_CERT_DIR/rootCA.crt plus the system pool, Docker keychain
// credentials, the layer cache in $ESB_HOME/cache.
func (e *Env) Registry() (*registryclient.Client, error) {
	r := &e.registry
	r.mu.Lock()
	defer r.mu.Unlock()
	// The client trusts the CA file as it was when the client was made: a
	// CA created or restored since (init in a running dashboard) needs a new
	// client.
	stamp := ""
	if st, err := os.Stat(e.Certs.Path(pki.CACertFile)); err == nil {
		stamp = st.ModTime().String() + "/" + strconv.FormatInt(st.Size(), 10)
	}
	if r.client != nil {
		if r.caStamp == stamp {
			return r.client, nil
		}
		r.client.Close()
		r.client = nil
	}
	c, err := registryclient.New(registryclient.Options{
		CACertFile: e.Certs.Path(pki.CACertFile),
		CacheDir:   e.CacheDir(),
		UserAgent:  "esbtui",
	})
	if err != nil {
		return nil, err
	}
	r.client, r.caStamp = c, stamp
	return c, nil
}

// CacheDir holds the push layer cache (layers.json) and push temp files.
func (e *Env) CacheDir() string { return filepath.Join(e.Cfg.Home, "cache") }

// close releases the client's idle connections.
func (r *registryCache) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.client != nil {
		r.client.Close()
		r.client = nil
	}
}
