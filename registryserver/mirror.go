package registryserver

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"strconv"
	"time"

	"github.com/esbtui/esbtui/internal/config"
	"github.com/esbtui/esbtui/internal/safefile"
)

// A mirror is esbtui's registry image serving one upstream registry as a
// pull-through cache (distribution's proxy mode) over esbtui's TLS. Its
// settings reach the container as files in one directory (MirrorDirEnv
// names it, /mirror in the stack), never as environment variables a
// `docker inspect` would show:
//
//	mirror.json       the upstream, where to fetch from, TTL, size cap
//	ca.pem            the CAs the upstream's certificate must chain to
//	credentials.json  the upstream login (0600; only when there is one)
const (
	MirrorDirEnv         = config.EnvMirrorDir
	MirrorSettingsFile   = "mirror.json"
	MirrorCAFile         = "ca.pem"
	MirrorCredentialFile = "credentials.json"
)

// maxMirrorFile bounds each mirror file read (a CA bundle of the public
// roots is ~200 KiB).
const maxMirrorFile = 4 << 20

// MirrorSettings is mirror.json: what the cache serves and how.
type MirrorSettings struct {
	// Upstream is the registry name engines route here ("docker.io").
	Upstream string `json:"upstream"`
	// RemoteURL is where the cache fetches from (https://host[:port]).
	RemoteURL string `json:"remote_url"`
	// TTLSeconds is how long cached content is served (0: forever).
	TTLSeconds int64 `json:"ttl_seconds"`
	// MaxSize caps the cached blobs in bytes (0: no cap).
	MaxSize int64 `json:"max_size"`
}

// MirrorCredentials is credentials.json: the upstream login.
type MirrorCredentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// mirrorConfig is everything a mirror container reads from its directory.
type mirrorConfig struct {
	MirrorSettings
	roots *x509.CertPool
	creds *MirrorCredentials
}

// loadMirrorConfig reads and checks the mirror's directory.
func loadMirrorConfig(dir string) (*mirrorConfig, error) {
	data, err := safefile.ReadFile(filepath.Join(dir, MirrorSettingsFile), "the mirror settings", maxMirrorFile)
	if err != nil {
		return nil, fmt.Errorf("mirror: %w", err)
	}
	var c mirrorConfig
	if err := json.Unmarshal(data, &c.MirrorSettings); err != nil {
		return nil, fmt.Errorf("mirror: %s: %w", MirrorSettingsFile, err)
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("mirror: %s: %w", MirrorSettingsFile, err)
	}
	pem, err := safefile.ReadFile(filepath.Join(dir, MirrorCAFile), "the mirror's CA bundle", maxMirrorFile)
	if err != nil {
		return nil, fmt.Errorf("mirror: %w", err)
	}
	c.roots = x509.NewCertPool()
	if !c.roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("mirror: %s holds no certificate", MirrorCAFile)
	}
	cd, err := safefile.ReadFile(filepath.Join(dir, MirrorCredentialFile), "the mirror's upstream login", 64<<10)
	switch {
	case err == nil:
		var cr MirrorCredentials
		if err := json.Unmarshal(cd, &cr); err != nil {
			// The error of encoding/json may quote the input: say only where.
			return nil, fmt.Errorf("mirror: %s is not valid JSON", MirrorCredentialFile)
		}
		if cr.Username == "" || cr.Password == "" {
			return nil, fmt.Errorf("mirror: %s: username and password are both needed", MirrorCredentialFile)
		}
		c.creds = &cr
	case errors.Is(err, fs.ErrNotExist):
	default:
		return nil, fmt.Errorf("mirror: %w", err)
	}
	return &c, nil
}

func (c *mirrorConfig) check() error {
	u, err := url.Parse(c.RemoteURL)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("remote_url %q is not https://host[:port]", c.RemoteURL)
	}
	if c.Upstream == "" || len(c.Upstream) > 300 {
		return errors.New("upstream is empty or too long")
	}
	if c.TTLSeconds < 0 || c.MaxSize < 0 {
		return errors.New("ttl_seconds and max_size are 0 or more")
	}
	return nil
}

// TTL is the settings' TTL as a duration.
func (s MirrorSettings) TTL() time.Duration { return time.Duration(s.TTLSeconds) * time.Second }

// registryEnv are the REGISTRY_* settings distribution's serve reads for
// proxy mode. They are set in the serving process only (os.Setenv in the
// container's entrypoint): the container's configuration, which `docker
// inspect` shows, never holds the password.
func (c *mirrorConfig) registryEnv() map[string]string {
	env := map[string]string{
		"REGISTRY_PROXY_REMOTEURL": c.RemoteURL,
		// 0 disables expiry in distribution (a nil TTL would be its 7 days).
		"REGISTRY_PROXY_TTL": strconv.FormatInt(c.TTLSeconds, 10) + "s",
		// No in-memory blob descriptor cache: eviction removes blobs
		// behind distribution's back, and a cache claiming them would make
		// it serve a blob that is gone instead of fetching it again.
		"REGISTRY_STORAGE_CACHE_BLOBDESCRIPTOR": "",
		// A mirror serves pulls; it never deletes through the API.
		"REGISTRY_STORAGE_DELETE_ENABLED": "false",
	}
	if c.creds != nil {
		env["REGISTRY_PROXY_USERNAME"] = c.creds.Username
		env["REGISTRY_PROXY_PASSWORD"] = c.creds.Password
	}
	return env
}
