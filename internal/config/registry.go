package config

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// CheckRegistry reports whether s can be the registry address: host[:port]
// (a name, an IPv4 address or a bracketed IPv6 address), no scheme, no
// path, that image-reference parsing (Docker's and go-containerregistry's)
// reads as a registry in "<registry>/<name>:latest": it must contain a dot
// or a port, or be localhost. "esb-registry/api" means the Docker Hub
// repository esb-registry/api, so a bare "esb-registry" is refused with a
// fix ("esb-registry:5000"). The error says what is wrong and what to write
// instead; callers prefix where the value came from.
func CheckRegistry(s string) error {
	const eg = "e.g. localhost:5000"
	if s == "" {
		return fmt.Errorf("empty: give host:port (%s)", eg)
	}
	if strings.TrimSpace(s) != s || strings.ContainsAny(s, " \t\r\n") {
		return fmt.Errorf("contains white space: give host:port (%s)", eg)
	}
	if i := strings.Index(s, "://"); i >= 0 {
		return fmt.Errorf("drop the scheme %q: esbtui always talks HTTPS to the registry, give host:port (%s)", s[:i+3], suggest(s[i+3:]))
	}
	if i := strings.Index(s, "/"); i >= 0 {
		return fmt.Errorf("has a path %q: the registry is host[:port] only (%s); repositories go in image names", s[i:], suggest(s))
	}
	host, port := s, ""
	if strings.HasPrefix(s, "[") || strings.Count(s, ":") == 1 {
		h, p, err := net.SplitHostPort(s)
		if err != nil {
			return fmt.Errorf("not host[:port]: %v (%s, or [::1]:5000 for IPv6)", err, eg)
		}
		host, port = h, p
	} else if strings.Count(s, ":") > 1 {
		return fmt.Errorf("an IPv6 address needs brackets and a port: [%s]:5000", s)
	}
	if port != "" || strings.HasSuffix(s, ":") {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
			return fmt.Errorf("port %q is not a number from 1 to 65535 (%s)", port, eg)
		}
	}
	if host == "" {
		return fmt.Errorf("no host name (%s)", eg)
	}
	if u, err := url.Parse("//" + s); err != nil || u.Host != s || (net.ParseIP(host) == nil && !validDomain(host)) {
		return fmt.Errorf("%q is not a valid host name: letters, digits, '-' and '.' only, as Docker image names require (%s)", host, eg)
	}
	if port == "" && host != "localhost" && !strings.Contains(host, ".") && net.ParseIP(host) == nil {
		return fmt.Errorf("a name without a dot or a port is read as part of an image name on Docker Hub (%s/api would mean docker.io/%s/api): add the port, e.g. %s:5000 (or use localhost:5000)", host, host, host)
	}
	return nil
}

// suggest turns what the user wrote into host[:port] for an error message.
func suggest(s string) string {
	if i := strings.Index(s, "/"); i >= 0 {
		s = s[:i]
	}
	if s == "" {
		return "e.g. localhost:5000"
	}
	return "e.g. " + s
}

// validDomain: dot-separated labels of letters, digits and inner '-' (the
// domain grammar of Docker image references).
func validDomain(h string) bool {
	for _, l := range strings.Split(h, ".") {
		if l == "" || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}
