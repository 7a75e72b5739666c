package stack

import (
	"fmt"
	"net"
	"path/filepath"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// Exposure is a service that matters for the loopback rule (it is the
// registry, or it can read one of esbtui's keys) and can be reached from
// beyond this machine: it publishes a port on a non-loopback address, or
// uses the host's network.
type Exposure struct {
	Service string `json:"service"`
	// Published is how it is reachable: "0.0.0.0:5000->5000/tcp",
	// "[::]:5000->5000/tcp", "every address of the host (network_mode: host)".
	Published []string `json:"published"`
	// Holds says why the service matters: "is the registry", "mounts
	// /home/u/.esb/certs/server.key", ...
	Holds []string `json:"holds"`
	// Keys are the key files (of those asked about) the service can read.
	Keys []string `json:"keys,omitempty"`
	// RegistryAuth: the service's environment turns the registry's
	// authentication on (a non-empty REGISTRY_AUTH or REGISTRY_AUTH_*).
	RegistryAuth bool `json:"registry_auth"`
}

// Exposures lists the services of the merged project that are the registry
// or can read one of keys (paths of private keys: a bind mount of the file
// or of a directory above it, a secret or config from it, or volumes_from
// such a service) and are reachable beyond loopback. Every port form
// compose accepts is considered: "5000:5000" and "5000" publish on every
// address, "0.0.0.0:…", "[::]:…" and long syntax host_ip too; ranges are
// ports like any other. A service sharing another's network
// (network_mode: service:X) is reachable through X's ports.
func (p *Project) Exposures(keys []string) []Exposure {
	keyPaths := make([]string, 0, len(keys))
	for _, k := range keys {
		keyPaths = append(keyPaths, realPath(k))
	}
	var out []Exposure
	for _, name := range p.Services() {
		svc, err := p.p.GetService(name)
		if err != nil {
			continue
		}
		holds, held := p.holds(svc, keyPaths, keys, map[string]bool{})
		if name == RegistryService {
			holds = append([]string{"is the registry"}, holds...)
		}
		if len(holds) == 0 {
			continue
		}
		published := p.published(svc, map[string]bool{})
		if len(published) == 0 {
			continue
		}
		out = append(out, Exposure{Service: name, Published: published, Holds: holds, Keys: held, RegistryAuth: registryAuth(svc)})
	}
	return out
}

// holds says which keys svc can read and how.
func (p *Project) holds(svc types.ServiceConfig, keyPaths, keys []string, seen map[string]bool) (why, held []string) {
	if seen[svc.Name] {
		return nil, nil
	}
	seen[svc.Name] = true
	add := func(how, src string) {
		for i, k := range keyPaths {
			if covers(realPath(src), k) {
				why = append(why, fmt.Sprintf("%s %s (%s)", how, src, keys[i]))
				held = appendOnce(held, keys[i])
			}
		}
	}
	for _, v := range svc.Volumes {
		if v.Type == types.VolumeTypeBind || (v.Type == "" && filepath.IsAbs(v.Source)) {
			add("mounts", v.Source)
		}
	}
	for _, s := range svc.Secrets {
		if obj, ok := p.p.Secrets[s.Source]; ok && obj.File != "" {
			add("has the secret", obj.File)
		}
	}
	for _, c := range svc.Configs {
		if obj, ok := p.p.Configs[c.Source]; ok && obj.File != "" {
			add("has the config", obj.File)
		}
	}
	for _, from := range svc.VolumesFrom {
		other := strings.SplitN(from, ":", 2)[0]
		if other == "container" {
			continue // an outside container: not in this project
		}
		if o, err := p.p.GetService(other); err == nil {
			w, h := p.holds(o, keyPaths, keys, seen)
			for _, x := range w {
				why = append(why, "volumes_from "+other+": "+x)
			}
			for _, k := range h {
				held = appendOnce(held, k)
			}
		}
	}
	return why, held
}

// published lists how svc is reachable beyond loopback.
func (p *Project) published(svc types.ServiceConfig, seen map[string]bool) []string {
	if seen[svc.Name] {
		return nil
	}
	seen[svc.Name] = true
	var out []string
	switch mode := svc.NetworkMode; {
	case mode == "host":
		out = append(out, "every address of the host (network_mode: host)")
	case strings.HasPrefix(mode, "service:"):
		if o, err := p.p.GetService(strings.TrimPrefix(mode, "service:")); err == nil {
			for _, x := range p.published(o, seen) {
				out = append(out, x+" (network of service "+o.Name+")")
			}
		}
	}
	for _, port := range svc.Ports {
		if loopbackHostIP(port.HostIP) {
			continue
		}
		out = append(out, describePort(port))
	}
	sort.Strings(out)
	return out
}

// loopbackHostIP: only an explicit loopback address keeps a port off the
// network; empty means every address (0.0.0.0 and ::).
func loopbackHostIP(hostIP string) bool {
	ip := net.ParseIP(strings.Trim(hostIP, "[]"))
	return ip != nil && ip.IsLoopback()
}

func describePort(port types.ServicePortConfig) string {
	host := port.HostIP
	if host == "" {
		host = "0.0.0.0"
	}
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]"
	}
	published := port.Published
	if published == "" {
		published = "(any port)"
	}
	proto := port.Protocol
	if proto == "" {
		proto = "tcp"
	}
	return fmt.Sprintf("%s:%s->%d/%s", host, published, port.Target, proto)
}

// registryAuth: the service's environment configures the registry's auth.
func registryAuth(svc types.ServiceConfig) bool {
	for k, v := range svc.Environment {
		if (k == "REGISTRY_AUTH" || strings.HasPrefix(k, "REGISTRY_AUTH_")) && v != nil && strings.TrimSpace(*v) != "" {
			return true
		}
	}
	return false
}

// covers reports whether mounting src exposes key: src is the key or a
// directory above it.
func covers(src, key string) bool {
	if src == key {
		return true
	}
	rel, err := filepath.Rel(src, key)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// realPath is path made absolute, with symbolic links resolved in the
// longest part of it that exists (a link to the cert dir mounts the cert
// dir; a key not written yet still resolves through its directory).
func realPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	path = filepath.Clean(path)
	rest := ""
	for dir := path; ; dir = filepath.Dir(dir) {
		if r, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(r, rest)
		}
		if filepath.Dir(dir) == dir {
			return path
		}
		rest = filepath.Join(filepath.Base(dir), rest)
	}
}

func appendOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
