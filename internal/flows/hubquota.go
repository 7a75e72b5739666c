package flows

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/esbtui/esbtui/enginemirror"
	"github.com/esbtui/esbtui/hubquota"
	"github.com/esbtui/esbtui/internal/termtext"
)

// HubQuota is Docker Hub's pull quota as the status shows it: the quota,
// or why it could not be read.
type HubQuota struct {
	*hubquota.Quota
	Error string `json:"error,omitempty"`
}

// hubQuotaTTL: the quota is read at most once a minute per Env (two
// requests to Docker Hub, no pull spent).
const hubQuotaTTL = time.Minute

// hubQuotaTimeout bounds a read so that status never hangs offline.
const hubQuotaTimeout = 4 * time.Second

// hubQuotaCache holds the last read for hubQuotaTTL.
type hubQuotaCache struct {
	mu   sync.Mutex
	at   time.Time
	last *HubQuota
}

// HubQuota reads Docker Hub's remaining pull quota (with the developer's
// Docker Hub credentials when the Docker config has some: the quota the
// docker.io cache spends), at most once a minute. Nil when no mirror of
// docker.io is configured.
func (e *Env) HubQuota(ctx context.Context) *HubQuota {
	hub := false
	for _, m := range e.Cfg.Mirrors {
		if ns, err := (enginemirror.Mirror{Upstream: m.Upstream, Port: m.Port}).Namespace(); err == nil && ns == enginemirror.DockerHub {
			hub = true
		}
	}
	if !hub {
		return nil
	}
	c := &e.hubQuota
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last != nil && e.Now().Sub(c.at) < hubQuotaTTL {
		return c.last
	}
	o := hubquota.Options{AuthURL: e.Cfg.HubAuthURL, RegistryURL: e.Cfg.HubRegistryURL, Timeout: hubQuotaTimeout, Client: e.hubClient()}
	if a, err := authn.DefaultKeychain.Resolve(name.MustParseReference("docker.io/" + hubquota.PreviewRepository).Context()); err == nil && a != authn.Anonymous {
		if cfg, err := a.Authorization(); err == nil && cfg.Username != "" && cfg.Password != "" {
			o.Username, o.Password = cfg.Username, cfg.Password
		}
	}
	q, err := hubquota.Read(ctx, o)
	r := &HubQuota{Quota: q}
	if err != nil {
		r.Error = termtext.Clean(err.Error())
	}
	c.at, c.last = e.Now(), r
	return r
}

// hubClient trusts the system roots, plus esbtui's CA when the endpoints
// are replaced (a test's server).
func (e *Env) hubClient() *http.Client {
	if e.Cfg.HubAuthURL == "" && e.Cfg.HubRegistryURL == "" {
		return &http.Client{}
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if ca, err := e.Certs.LoadUsableCA(e.Now()); err == nil {
		pool.AddCert(ca.Cert)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr}
}
