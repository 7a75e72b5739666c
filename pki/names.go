package pki

import (
	"fmt"
	"net"
	"strings"
)

// DefaultSANs are the names every server certificate carries.
var DefaultSANs = []string{
	"localhost", "127.0.0.1", "::1",
	"esb-registry", "host.docker.internal", "esb-gateway",
}

// permittedDNS are the DNS subtrees the root CA may sign for. A constraint with
// a leading dot covers subdomains only; one without covers the name and its
// subdomains (RFC 5280 §4.2.1.10 as Go, OpenSSL and NSS read it).
var permittedDNS = []string{
	"localhost", ".localhost",
	"esb-registry", "esb-gateway", "host.docker.internal",
	".test", ".internal", ".local",
}

// permittedCIDRs are loopback, RFC 1918, link-local, CGNAT and ULA ranges.
var permittedCIDRs = []string{
	"127.0.0.0/8", "::1/128",
	"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
	"169.254.0.0/16", "100.64.0.0/10",
	"fc00::/7", "fe80::/10",
}

// Names is a validated, de-duplicated list of DNS names and IP addresses.
type Names struct {
	DNS []string
	IPs []net.IP
}

// ParseNames validates user-supplied names (DNS names or IP literals). It
// rejects public suffixes and wildcards of them (see namepolicy.go),
// wildcards beyond one leading label, URLs, ports and empty labels with a
// *NameError that says which name and why.
func ParseNames(in []string) (Names, error) {
	var n Names
	seen := map[string]bool{}
	for _, raw := range in {
		s := strings.TrimSpace(raw)
		if s == "" {
			continue
		}
		if ip := net.ParseIP(strings.Trim(s, "[]")); ip != nil {
			if err := refuseIP(ip); err != nil {
				return Names{}, &NameError{Name: raw, Why: err.Error()}
			}
			key := ip.String()
			if !seen[key] {
				seen[key] = true
				n.IPs = append(n.IPs, normIP(ip))
			}
			continue
		}
		name := strings.ToLower(strings.TrimSuffix(s, "."))
		if err := refusePublicSuffix(name); err != nil {
			return Names{}, &NameError{Name: raw, Why: err.Error()}
		}
		if err := validDNSName(name); err != nil {
			return Names{}, &NameError{Name: raw, Why: err.Error()}
		}
		if !seen[name] {
			seen[name] = true
			n.DNS = append(n.DNS, name)
		}
	}
	return n, nil
}

// Strings returns the names as text, DNS names first.
func (n Names) Strings() []string {
	out := append([]string(nil), n.DNS...)
	for _, ip := range n.IPs {
		out = append(out, ip.String())
	}
	return out
}

func normIP(ip net.IP) net.IP {
	if v4 := ip.To4(); v4 != nil {
		return v4
	}
	return ip
}

func validDNSName(name string) error {
	if strings.Contains(name, "://") || strings.ContainsAny(name, "/:@ ") {
		return fmt.Errorf("not a host name (give the bare name, without scheme, port or path)")
	}
	if len(name) > 253 {
		return fmt.Errorf("longer than 253 characters")
	}
	labels := strings.Split(name, ".")
	for i, l := range labels {
		if l == "*" && i == 0 && len(labels) > 2 {
			continue
		}
		if l == "" {
			return fmt.Errorf("empty label")
		}
		if len(l) > 63 {
			return fmt.Errorf("label %q is longer than 63 characters", l)
		}
		for j, r := range l {
			ok := r == '-' || r == '_' || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9')
			if !ok {
				return fmt.Errorf("character %q is not allowed in a host name", r)
			}
			if r == '-' && (j == 0 || j == len(l)-1) {
				return fmt.Errorf("label %q starts or ends with '-'", l)
			}
		}
	}
	return nil
}

// constraintsFor returns the CA's permitted DNS subtrees and IP ranges: the
// defaults plus each extra name (an exact DNS name, or the /32 or /128 of an IP
// outside the private ranges).
func constraintsFor(extra Names) ([]string, []*net.IPNet) {
	dns := append([]string(nil), permittedDNS...)
	var nets []*net.IPNet
	for _, c := range permittedCIDRs {
		_, n, _ := net.ParseCIDR(c)
		nets = append(nets, n)
	}
	for _, d := range extra.DNS {
		if !dnsPermitted(dns, d) {
			dns = append(dns, strings.TrimPrefix(d, "*."))
		}
	}
	for _, ip := range extra.IPs {
		if !ipPermitted(nets, ip) {
			bits := 32
			if ip.To4() == nil {
				bits = 128
			}
			nets = append(nets, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
		}
	}
	return dns, nets
}

func dnsPermitted(constraints []string, name string) bool {
	name = strings.TrimPrefix(name, "*.")
	for _, c := range constraints {
		c = strings.ToLower(c)
		if strings.HasPrefix(c, ".") {
			if strings.HasSuffix(name, c) {
				return true
			}
			continue
		}
		if name == c || strings.HasSuffix(name, "."+c) {
			return true
		}
	}
	return false
}

func ipPermitted(nets []*net.IPNet, ip net.IP) bool {
	for _, n := range nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}
