package trust

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// NameError is a registry name that is not a host name or an IP address
// (with an optional port): it never becomes a path.
type NameError struct {
	Name string
	Why  string
}

func (e *NameError) Error() string {
	return fmt.Sprintf("trust: registry name %q is not HOST[:PORT] with a DNS name or an IP address: %s; fix ESB_REGISTRY or the names in esb.yaml", e.Name, e.Why)
}

// CheckRegistryName checks name as HOST or HOST:PORT, where HOST is a DNS
// name (labels of 1 to 63 letters, digits and inner hyphens, at most 253
// characters, no wildcard) or an IP literal (IPv6 in brackets when a port
// follows), and PORT is 1 to 65535. Every store that turns a name into a
// path (certs.d/HOST:PORT) checks it here first: the result can never hold
// a path separator, "..", NUL or another control character.
func CheckRegistryName(name string) error {
	bad := func(why string) error { return &NameError{Name: name, Why: why} }
	if name == "" {
		return bad("empty")
	}
	for _, r := range name {
		if r < 0x21 || r > 0x7e {
			return bad("contains a space, control or non-ASCII character")
		}
	}
	host := name
	if strings.HasPrefix(name, "[") || strings.Count(name, ":") == 1 {
		h, port, err := net.SplitHostPort(name)
		if err != nil {
			return bad(err.Error())
		}
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
			return bad(fmt.Sprintf("port %q is not a number from 1 to 65535", port))
		}
		host = h
		if strings.HasPrefix(name, "[") != strings.Contains(h, ":") {
			return bad("brackets are for IPv6 addresses only, and an IPv6 address with a port needs them")
		}
		if strings.Contains(h, ":") {
			if ip := net.ParseIP(h); ip == nil || ip.To4() != nil {
				return bad(fmt.Sprintf("%q in brackets is not an IPv6 address", h))
			}
			return nil
		}
	} else if strings.Contains(name, ":") {
		// Several colons without brackets: only a bare IPv6 address.
		if ip := net.ParseIP(name); ip == nil || strings.Contains(name, "%") {
			return bad("an IPv6 address with a port needs brackets: [ADDR]:PORT")
		}
		return nil
	}
	if net.ParseIP(host) != nil {
		return nil
	}
	return checkDNSName(host, bad)
}

func checkDNSName(host string, bad func(string) error) error {
	if len(host) > 253 {
		return bad("longer than 253 characters")
	}
	for _, label := range strings.Split(host, ".") {
		switch {
		case label == "":
			return bad("empty label (leading, trailing or doubled dot)")
		case len(label) > 63:
			return bad(fmt.Sprintf("label %.20q… is longer than 63 characters", label))
		case label[0] == '-' || label[len(label)-1] == '-':
			return bad(fmt.Sprintf("label %q starts or ends with a hyphen", label))
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return bad(fmt.Sprintf("label %q holds %q: only letters, digits and hyphens", label, r))
			}
		}
	}
	return nil
}
