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
	host, port, err := splitRegistry(s)
	if err != nil {
		return err
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
	if net.ParseIP(host) == nil {
		if err := checkHostname(host); err != nil {
			return fmt.Errorf("%q is not a valid host name: %v (%s)", host, err, eg)
		}
	}
	if u, err := url.Parse("//" + s); err != nil || u.Host != s {
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

// splitRegistry splits host[:port], where an IPv6 host is bracketed
// ("[::1]", "[::1]:5000"). The errors say what to write instead: the
// common slips are an unbracketed IPv6 address with a port ("::1:5000"),
// brackets around something that is not IPv6, and a second port
// ("localhost:5000:5000").
func splitRegistry(s string) (host, port string, err error) {
	if strings.HasPrefix(s, "[") {
		end := strings.Index(s, "]")
		if end < 0 {
			return "", "", fmt.Errorf("'[' without ']': write an IPv6 address as [::1]:5000")
		}
		host, rest := s[1:end], s[end+1:]
		switch {
		case rest != "" && !strings.HasPrefix(rest, ":"):
			return "", "", fmt.Errorf("%q after ']': write [%s]:5000", rest, host)
		case strings.Count(rest, ":") > 1:
			return "", "", fmt.Errorf("more than one port in %q: write [%s]:%s", s, host, strings.Split(rest, ":")[1])
		}
		ip := net.ParseIP(host)
		if ip == nil && strings.Contains(host, ":") {
			return "", "", fmt.Errorf("%q is not an IPv6 address (a zone such as %%eth0 cannot be part of an image name): use a global or ULA address, or a name", host)
		}
		if ip == nil || ip.To4() != nil && !strings.Contains(host, ":") {
			return "", "", fmt.Errorf("brackets are for IPv6 addresses only, and %q is not one: write %s", host, net.JoinHostPort(host, portOr(rest, "5000")))
		}
		return host, strings.TrimPrefix(rest, ":"), nil
	}
	switch strings.Count(s, ":") {
	case 0:
		return s, "", nil
	case 1:
		i := strings.Index(s, ":")
		return s[:i], s[i+1:], nil
	}
	// Two colons or more: an IPv6 address without brackets, or a second port.
	i := strings.LastIndex(s, ":")
	head, last := s[:i], s[i+1:]
	if ip := net.ParseIP(head); ip != nil && strings.Contains(head, ":") && isPort(last) {
		if net.ParseIP(s) != nil {
			return "", "", fmt.Errorf("an IPv6 address needs brackets: write [%s]:%s for host %s port %s (or [%s]:5000 if %s is the whole address)", head, last, head, last, s, s)
		}
		return "", "", fmt.Errorf("an IPv6 address needs brackets: write [%s]:%s", head, last)
	}
	if net.ParseIP(s) != nil {
		return "", "", fmt.Errorf("an IPv6 address needs brackets and a port: [%s]:5000", s)
	}
	first := strings.Index(s, ":")
	second := first + 1 + strings.Index(s[first+1:], ":")
	return "", "", fmt.Errorf("%q has more than one ':': host:port takes one port (e.g. %s), and an IPv6 address goes in brackets ([::1]:5000)", s, s[:second])
}

// isPort reports whether p is a decimal port number 1..65535.
func isPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n >= 1 && n <= 65535 && strconv.Itoa(n) == p
}

func portOr(rest, def string) string {
	if p := strings.TrimPrefix(rest, ":"); p != "" {
		return p
	}
	return def
}

// checkHostname: a DNS name of dot-separated labels of 1 to 63 letters,
// digits and inner '-' (the domain grammar of Docker image references,
// RFC 1123), at most 253 characters, and not all-numeric (that is a
// mistyped IPv4 address, which no resolver would look up as a name).
func checkHostname(h string) error {
	if len(h) > 253 {
		return fmt.Errorf("%d characters, a host name has at most 253", len(h))
	}
	numeric := true
	for _, l := range strings.Split(h, ".") {
		switch {
		case l == "":
			return fmt.Errorf("empty label (a leading, trailing or doubled '.')")
		case len(l) > 63:
			return fmt.Errorf("label %q has %d characters, a DNS label has at most 63", l, len(l))
		case l[0] == '-' || l[len(l)-1] == '-':
			return fmt.Errorf("label %q starts or ends with '-'", l)
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return fmt.Errorf("%q is not allowed: letters, digits, '-' and '.' only, as Docker image names require", r)
			}
			if r < '0' || r > '9' {
				numeric = false
			}
		}
	}
	if numeric {
		return fmt.Errorf("all digits, but not an IPv4 address")
	}
	return nil
}
