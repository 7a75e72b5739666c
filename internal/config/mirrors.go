package config

import (
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Mirror is one pull-through cache of esb.yaml's mirrors: esbtui's
// registry image in proxy mode, serving Upstream's images over esbtui's TLS
// on 127.0.0.1:Port.
//
//	mirrors:
//	  - upstream: docker.io          # docker.io, ghcr.io, quay.io, registry.k8s.io, or https://host[:port]
//	    url: https://mirror.example  # optional: where the cache fetches from
//	    port: 5002                   # optional loopback host port
//	    ttl: 168h                    # optional, default 168h (0s: never expire)
//	    max_size: 10GiB              # optional size cap (default: none)
//	    ca: upstream-ca.pem          # optional: CAs the upstream's certificate may chain to, besides the public roots
type Mirror struct {
	// Upstream is the registry engines route through the cache: a host
	// name with an optional port ("docker.io", "ghcr.io", "host:5000"),
	// written with or without "https://" (never a path, user or query).
	Upstream string `yaml:"upstream"`
	// URL is where the cache fetches from (https://host[:port]); empty:
	// derived from Upstream (docker.io: https://registry-1.docker.io).
	URL string `yaml:"url,omitempty"`
	// Port is the loopback host port the cache is published on; 0 in
	// esb.yaml: assigned by ResolveMirrorPorts.
	Port int `yaml:"port,omitempty"`
	// TTL is how long cached content is served before it expires (0 in
	// esb.yaml: DefaultMirrorTTL; NoMirrorTTL: never).
	TTL time.Duration `yaml:"-"`
	// MaxSize caps the cache's storage in bytes (0: no cap).
	MaxSize int64 `yaml:"-"`
	// TTLSet records that esb.yaml gave ttl (so "0s" means never expire).
	TTLSet bool `yaml:"-"`
	// CA is a PEM file of CA certificates the upstream's certificate may
	// chain to besides the public web roots (a company registry); relative
	// paths are resolved against esb.yaml's directory.
	CA string `yaml:"ca,omitempty"`
}

// DefaultMirrorTTL is how long a cache serves content without a ttl:
// distribution's own default (7 days).
const DefaultMirrorTTL = 168 * time.Hour

// MaxMirrors bounds esb.yaml's mirrors: one container each.
const MaxMirrors = 32

// FirstMirrorPort is where default mirror ports start (skipping the
// registry's port and its debug port).
const FirstMirrorPort = 5001

// mirrorYAML is a Mirror as written in esb.yaml: ttl and max_size as text.
type mirrorYAML struct {
	Upstream string `yaml:"upstream"`
	URL      string `yaml:"url,omitempty"`
	Port     int    `yaml:"port,omitempty"`
	TTL      string `yaml:"ttl,omitempty"`
	MaxSize  string `yaml:"max_size,omitempty"`
	CA       string `yaml:"ca,omitempty"`
}

// UnmarshalYAML reads one mirrors entry strictly (unknown keys are errors).
func (m *Mirror) UnmarshalYAML(n *yaml.Node) error {
	var y mirrorYAML
	if n.Kind != yaml.MappingNode {
		return &mirrorError{line: n.Line, msg: "a mirrors entry is a mapping: `- upstream: docker.io`"}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch k := n.Content[i].Value; k {
		case "upstream", "url", "port", "ttl", "max_size", "ca":
		default:
			return &mirrorError{line: n.Content[i].Line, msg: fmt.Sprintf("mirrors: unknown key %q (keys: upstream, url, port, ttl, max_size, ca)", trunc(k))}
		}
	}
	if err := n.Decode(&y); err != nil {
		return &mirrorError{line: n.Line, msg: "mirrors: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	*m = Mirror{Upstream: y.Upstream, URL: y.URL, Port: y.Port, CA: y.CA}
	if y.TTL != "" {
		d, err := ParseTTL(y.TTL)
		if err != nil {
			return &mirrorError{line: n.Line, msg: fmt.Sprintf("mirrors: ttl %q is not a duration of 0s or more (e.g. 168h, 30m; 0s: never expire)", trunc(y.TTL))}
		}
		m.TTL, m.TTLSet = d, true
	}
	if y.MaxSize != "" {
		b, err := ParseSize(y.MaxSize)
		if err != nil {
			return &mirrorError{line: n.Line, msg: fmt.Sprintf("mirrors: max_size %q: %v", trunc(y.MaxSize), err)}
		}
		m.MaxSize = b
	}
	return nil
}

// MarshalYAML writes the entry the way esb.yaml holds it (only what is set).
func (m Mirror) MarshalYAML() (any, error) {
	y := mirrorYAML{Upstream: m.Upstream, URL: m.URL, Port: m.Port, CA: m.CA}
	if m.TTLSet || (m.TTL != 0 && m.TTL != DefaultMirrorTTL) {
		y.TTL = m.TTL.String()
	}
	if m.MaxSize > 0 {
		y.MaxSize = FormatSize(m.MaxSize)
	}
	return y, nil
}

// mirrorError is a bad mirrors entry at a line; the parser adds the file.
type mirrorError struct {
	line int
	msg  string
}

func (e *mirrorError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

func trunc(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// wellKnownRemotes are the fetch URLs of upstreams whose registry API is
// not on the name engines use.
var wellKnownRemotes = map[string]string{
	"docker.io":       "https://registry-1.docker.io",
	"index.docker.io": "https://registry-1.docker.io",
}

// UpstreamHost is Upstream without "https://": the registry name engines
// use ("docker.io", "host:5000").
func (m Mirror) UpstreamHost() string {
	return strings.TrimPrefix(m.Upstream, "https://")
}

// Name is a slug of the upstream usable in container, volume and file
// names: "docker.io" → "docker-io", "https://host:8443" → "host-8443".
func (m Mirror) Name() string {
	var b strings.Builder
	for _, r := range strings.ToLower(m.UpstreamHost()) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			if s := b.String(); s != "" && !strings.HasSuffix(s, "-") {
				b.WriteByte('-')
			}
		}
	}
	return strings.Trim(b.String(), "-")
}

// RemoteURL is where the cache fetches from: URL when given, else
// https://<upstream> (docker.io: https://registry-1.docker.io).
func (m Mirror) RemoteURL() string {
	if m.URL != "" {
		return strings.TrimSuffix(m.URL, "/")
	}
	h := m.UpstreamHost()
	if r, ok := wellKnownRemotes[h]; ok {
		return r
	}
	return "https://" + h
}

// EffectiveTTL is the TTL the cache runs with: DefaultMirrorTTL unless
// esb.yaml gave one (0: never expire).
func (m Mirror) EffectiveTTL() time.Duration {
	if !m.TTLSet && m.TTL == 0 {
		return DefaultMirrorTTL
	}
	return m.TTL
}

// Address is the loopback host:port the cache is published on.
func (m Mirror) Address() string {
	return net.JoinHostPort("localhost", strconv.Itoa(m.Port))
}

// Check validates one entry: the upstream a registry host (no path, user,
// query or fragment), the URL https with no user, query or fragment, the
// port 1-65535. It does not check duplicates (CheckMirrors does).
func (m Mirror) Check() error {
	if err := checkUpstream(m.Upstream); err != nil {
		return fmt.Errorf("upstream %q: %w", trunc(m.Upstream), err)
	}
	if m.URL != "" {
		if err := checkMirrorURL(m.URL); err != nil {
			return fmt.Errorf("url %q: %w", trunc(m.URL), err)
		}
	}
	if m.Port < 0 || m.Port > 65535 {
		return fmt.Errorf("port %d is not a port number (1-65535), or leave it out", m.Port)
	}
	if m.TTL < 0 {
		return fmt.Errorf("ttl %s is negative", m.TTL)
	}
	if m.MaxSize < 0 {
		return fmt.Errorf("max_size %d is negative", m.MaxSize)
	}
	if m.CA != "" && (strings.ContainsAny(m.CA, "\x00\n\r") || len(m.CA) > 4096) {
		return fmt.Errorf("ca %q is not a file path", trunc(m.CA))
	}
	if m.MaxSize > 0 && m.MaxSize < 1<<20 {
		return fmt.Errorf("max_size %s is too small for any image: give 1MiB or more (e.g. 10GiB), or leave it out", FormatSize(m.MaxSize))
	}
	return nil
}

// checkUpstream: a registry host[:port], optionally with https://.
func checkUpstream(s string) error {
	if s == "" {
		return fmt.Errorf("empty: give a registry such as docker.io, ghcr.io or https://host:port")
	}
	if strings.HasPrefix(s, "http://") {
		return fmt.Errorf("plain http is not supported: the cache fetches over https (write https://%s)", strings.TrimPrefix(s, "http://"))
	}
	h := strings.TrimPrefix(s, "https://")
	if strings.Contains(h, "://") {
		return fmt.Errorf("only https:// is supported")
	}
	if strings.ContainsAny(h, "@") {
		return fmt.Errorf("has a user name: credentials come from your Docker config (docker login), never from esb.yaml")
	}
	if i := strings.IndexAny(h, "?#"); i >= 0 {
		return fmt.Errorf("has a query or fragment %q: give the registry host only", trunc(h[i:]))
	}
	if i := strings.Index(h, "/"); i >= 0 {
		return fmt.Errorf("has a path %q: a mirror caches a whole registry, give its host only (e.g. %s)", trunc(h[i:]), trunc(h[:i]))
	}
	if err := CheckRegistry(h); err != nil {
		// CheckRegistry refuses dot-less names (Docker Hub repositories);
		// an upstream is always a registry, but engines route by the same
		// rule, so the same names are refused.
		return err
	}
	return nil
}

// checkMirrorURL: https://host[:port] with nothing else (a trailing "/"
// is fine).
func checkMirrorURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("not a URL: %v", err)
	}
	if u.Scheme != "https" {
		return fmt.Errorf("give an https:// URL (the cache never fetches over plain http)")
	}
	if u.User != nil {
		return fmt.Errorf("has a user name: credentials come from your Docker config (docker login), never from esb.yaml")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery || strings.Contains(s, "#") {
		return fmt.Errorf("has a query or fragment: give https://host[:port] only")
	}
	if u.Path != "" && u.Path != "/" {
		return fmt.Errorf("has a path %q: give https://host[:port] only", trunc(u.Path))
	}
	if u.Opaque != "" {
		return fmt.Errorf("give https://host[:port]")
	}
	if err := CheckRegistry(u.Host); err != nil {
		return err
	}
	return nil
}

// CheckMirrors validates every entry and refuses duplicates (the same
// upstream, the same name slug, or the same port twice).
func CheckMirrors(ms []Mirror) error {
	if len(ms) > MaxMirrors {
		return fmt.Errorf("%d mirrors: at most %d", len(ms), MaxMirrors)
	}
	names := map[string]string{}
	ports := map[int]string{}
	for i, m := range ms {
		if err := m.Check(); err != nil {
			return fmt.Errorf("mirrors entry %d: %w", i+1, err)
		}
		n := m.Name()
		if prev, ok := names[n]; ok {
			return fmt.Errorf("mirrors entry %d: upstream %q is the same registry as %q (one cache per upstream)", i+1, m.Upstream, prev)
		}
		names[n] = m.Upstream
		if m.Port != 0 {
			if prev, ok := ports[m.Port]; ok {
				return fmt.Errorf("mirrors entry %d: port %d is already the port of %q", i+1, m.Port, prev)
			}
			ports[m.Port] = m.Upstream
		}
	}
	return nil
}

// ResolveMirrorPorts returns ms with every port set: given ports stay,
// the others get FirstMirrorPort, FirstMirrorPort+1, ... in list order,
// skipping the used ports (the registry's, its debug port and every given
// one). A given port equal to a used one is an error.
func ResolveMirrorPorts(ms []Mirror, used ...int) ([]Mirror, error) {
	taken := map[int]bool{}
	for _, p := range used {
		taken[p] = true
	}
	out := make([]Mirror, len(ms))
	copy(out, ms)
	for _, m := range out {
		if m.Port != 0 && taken[m.Port] {
			return nil, fmt.Errorf("mirror %s: port %d is the registry's (or its debug port): choose another port", m.Upstream, m.Port)
		}
	}
	for _, m := range out {
		if m.Port != 0 {
			taken[m.Port] = true
		}
	}
	next := FirstMirrorPort
	for i := range out {
		if out[i].Port != 0 {
			continue
		}
		for taken[next] && next <= 65535 {
			next++
		}
		if next > 65535 {
			return nil, fmt.Errorf("mirror %s: no free port left above %d", out[i].Upstream, FirstMirrorPort)
		}
		out[i].Port = next
		taken[next] = true
	}
	return out, nil
}

// FindMirror returns the mirror of upstream (written either way: "docker.io"
// or "https://host") and whether there is one.
func FindMirror(ms []Mirror, upstream string) (Mirror, bool) {
	want := Mirror{Upstream: upstream}.Name()
	for _, m := range ms {
		if m.Name() == want {
			return m, true
		}
	}
	return Mirror{}, false
}

// ParseTTL reads a mirror's ttl: a duration of 0s or more (0s: never
// expire), as esb.yaml and `mirror add --ttl` give it.
func ParseTTL(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	if d < 0 {
		return 0, fmt.Errorf("ttl %s is negative", d)
	}
	return d, nil
}

// ParseSize reads a byte size: a whole number with an optional unit B, KB,
// MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024).
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, fmt.Errorf("not a size: give a number with a unit, e.g. 10GiB or 500MB")
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("not a size: %v", err)
	}
	units := map[string]int64{"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
		"KIB": 1 << 10, "MIB": 1 << 20, "GIB": 1 << 30, "TIB": 1 << 40}
	mul, ok := units[strings.ToUpper(strings.TrimSpace(t[i:]))]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q: use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB", trunc(t[i:]))
	}
	if n > (1<<62)/mul {
		return 0, fmt.Errorf("too large")
	}
	return n * mul, nil
}

// FormatSize writes b the way ParseSize reads it, exactly (the largest
// binary unit that divides it).
func FormatSize(b int64) string {
	for _, u := range []struct {
		n string
		m int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if b >= u.m && b%u.m == 0 {
			return strconv.FormatInt(b/u.m, 10) + u.n
		}
	}
	return strconv.FormatInt(b, 10) + "B"
}

// MarshalMirrors is the YAML of a mirrors list, as esb.yaml holds it.
func MarshalMirrors(ms []Mirror) ([]byte, error) {
	return yaml.Marshal(map[string][]Mirror{"mirrors": ms})
}

// SetProjectMirrors returns the esb.yaml document data with its top-level
// mirrors key replaced by ms (added at the end when missing, removed when
// ms is empty); the other keys stay as written. The caller writes the
// result atomically.
func SetProjectMirrors(data []byte, ms []Mirror) ([]byte, error) {
	if err := CheckMirrors(ms); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("config: read esb.yaml: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(doc.Content) == 0 {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("config: esb.yaml is not a mapping of settings")
	}
	var val yaml.Node
	if err := val.Encode(ms); err != nil {
		return nil, fmt.Errorf("config: encode mirrors: %w", err)
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "mirrors" {
			continue
		}
		if len(ms) == 0 {
			root.Content = append(root.Content[:i], root.Content[i+2:]...)
		} else {
			root.Content[i+1] = &val
		}
		return encodeYAML(&doc)
	}
	if len(ms) > 0 {
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "mirrors"}, &val)
	}
	return encodeYAML(&doc)
}

func encodeYAML(doc *yaml.Node) ([]byte, error) {
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("config: write esb.yaml: %w", err)
	}
	_ = enc.Close()
	return []byte(b.String()), nil
}

// MirrorsDir is where esbtui keeps each mirror's files
// ($ESB_HOME/mirrors/<name>: settings, CA bundle, upstream login).
func (c Config) MirrorsDir() string { return filepath.Join(c.Home, "mirrors") }
