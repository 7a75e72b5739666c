package enginemirror

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/esbtui/esbtui/trust"
)

// DockerHub is the registry name engines use for Docker Hub images.
const DockerHub = "docker.io"

// Mirror is one pull-through cache: the upstream engines pull from and the
// loopback port esbtui serves its cache on (https://localhost:PORT).
type Mirror struct {
	// Upstream is a registry name (docker.io, ghcr.io, quay.io,
	// registry.k8s.io, ...) or https://host[:port].
	Upstream string
	Port     int
}

// Namespace is the registry name engines route to this mirror: the upstream
// host[:port] (docker.io for Docker Hub). It is checked before it becomes a
// directory or file name.
func (m Mirror) Namespace() (string, error) {
	ns := m.Upstream
	if strings.Contains(ns, "://") {
		u, err := url.Parse(ns)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return "", fmt.Errorf("mirror upstream %q: give a registry name (docker.io) or https://host[:port] with nothing after it", m.Upstream)
		}
		ns = u.Host
	}
	ns = strings.ToLower(ns)
	if ns == "index.docker.io" || ns == "registry-1.docker.io" {
		ns = DockerHub
	}
	if err := trust.CheckRegistryName(ns); err != nil {
		return "", fmt.Errorf("mirror upstream %q: %w", m.Upstream, err)
	}
	if h, _, err := net.SplitHostPort(ns); err == nil && strings.Contains(h, ":") {
		return "", fmt.Errorf("mirror upstream %q: IPv6 literals are not supported as mirror upstreams: use a host name", m.Upstream)
	}
	return ns, nil
}

// Address is where engines reach the cache: localhost:PORT.
func (m Mirror) Address() string { return net.JoinHostPort("localhost", strconv.Itoa(m.Port)) }

// URL is the cache's https URL, the form daemon.json lists.
func (m Mirror) URL() string { return "https://" + m.Address() }

func checkPort(m Mirror) error {
	if m.Port < 1 || m.Port > 65535 {
		return fmt.Errorf("mirror %s: port %d is not 1-65535", m.Upstream, m.Port)
	}
	return nil
}

// upstreamServer is the server containerd falls back to when the mirror
// fails: Docker Hub's API host, or the upstream itself.
func upstreamServer(ns string) string {
	if ns == DockerHub {
		return "https://registry-1.docker.io"
	}
	return "https://" + ns
}

// namespaced returns the mirrors with their checked namespaces, first
// mirror per namespace only.
func namespaced(ms []Mirror) ([]Mirror, []string, error) {
	var out []Mirror
	var nss []string
	for _, m := range ms {
		ns, err := m.Namespace()
		if err != nil {
			return nil, nil, err
		}
		if err := checkPort(m); err != nil {
			return nil, nil, err
		}
		if slices.Contains(nss, ns) {
			continue
		}
		out, nss = append(out, m), append(nss, ns)
	}
	return out, nss, nil
}
