package config

import (
	"net"
	"strings"
	"testing"
)

// Whatever CheckRegistry accepts splits into the host a client dials and
// checks the certificate against: an IP address, or a name of 1..63
// character labels and at most 253 characters, with one valid port or
// none; and it is a URL authority that means exactly itself.
func FuzzCheckRegistry(f *testing.F) {
	for _, s := range []string{
		"localhost:5000", "localhost", "[::1]:5000", "[::1]", "::1:5000", "localhost:5000:5000",
		"127.0.0.1", "registry.test:443", "[127.0.0.1]:5000", "[fe80::1%eth0]:5000", "a.b.c:1",
		strings.Repeat("a", 64) + ".test", "1.2.3:5000", "[::ffff:1.2.3.4]", "x..y", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CheckRegistry(s) != nil {
			return
		}
		hostport := s
		host, port, err := net.SplitHostPort(s)
		if err != nil {
			host = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
			port = ""
			hostport = net.JoinHostPort(host, "443")
		}
		if port != "" && !isPort(port) {
			t.Fatalf("%q accepted with port %q", s, port)
		}
		if h, _, err := net.SplitHostPort(hostport); err != nil || h != host {
			t.Fatalf("%q: dialled as %q, host %q (%v), want %q", s, hostport, h, err, host)
		}
		if ip := net.ParseIP(host); ip != nil {
			if strings.HasPrefix(s, "[") != strings.Contains(host, ":") {
				t.Fatalf("%q: brackets and IPv6 do not go together", s)
			}
			return
		}
		if strings.HasPrefix(s, "[") {
			t.Fatalf("%q: a name in brackets accepted", s)
		}
		if len(host) > 253 {
			t.Fatalf("%q: host of %d characters accepted", s, len(host))
		}
		for _, l := range strings.Split(host, ".") {
			if l == "" || len(l) > 63 {
				t.Fatalf("%q: label %q accepted", s, l)
			}
		}
	})
}
