package config

import (
	"strings"
	"testing"
)

func TestCheckRegistry(t *testing.T) {
	for _, ok := range []string{
		"localhost", "localhost:5000", "esb-registry:5000", "registry.test", "registry.example.com:443",
		"127.0.0.1", "127.0.0.1:5000", "10.0.0.7:5443", "[::1]:5000", "ghcr.io", "my.host.local:1",
		"[::1]", "[fe80::1]:5000", "[::ffff:127.0.0.1]:5000", strings.Repeat("a", 63) + ".test:5000",
	} {
		if err := CheckRegistry(ok); err != nil {
			t.Errorf("CheckRegistry(%q): %v", ok, err)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"esb-registry", "esb-registry:5000"},
		{"registry", "docker.io/registry/api"},
		{"https://localhost:5000", `drop the scheme "https://"`},
		{"http://esb-registry:5000/v2/", "e.g. esb-registry:5000"},
		{"localhost:5000/team", `has a path "/team"`},
		{"localhost:5000/", "has a path"},
		{"localhost:0", `port "0"`},
		{"localhost:99999", "1 to 65535"},
		{"localhost:50x", "port"},
		{"localhost:", "port"},
		{":5000", "no host name"},
		{"::1", "[::1]:5000"},
		{"local host:5000", "white space"},
		{" localhost:5000", "white space"},
		{"", "empty"},
		{"bad_host.test:5000", "not a valid host name"},
		{"-x.test", "not a valid host name"},
		// Issue 13 item 13: each slip gets the fix that matches it.
		{"::1:5000", "write [::1]:5000 for host ::1 port 5000"},
		{"fe80::1:5443", "write [fe80::1]:5443"},
		{"2001:db8::1", "[2001:db8::1]:5000"},
		{"localhost:5000:5000", `"localhost:5000:5000" has more than one ':': host:port takes one port (e.g. localhost:5000)`},
		{"registry.test:5000:", "more than one ':'"},
		{"[::1]:5000:5000", "more than one port"},
		{"[::1", "'[' without ']'"},
		{"[::1]5000", `"5000" after ']': write [::1]:5000`},
		{"[127.0.0.1]:5000", "brackets are for IPv6 addresses only, and \"127.0.0.1\" is not one: write 127.0.0.1:5000"},
		{"[localhost]", "write localhost:5000"},
		{"[::1]:", "port"},
		{"[fe80::1%eth0]:5000", `"fe80::1%eth0" is not an IPv6 address (a zone`},
		{"[::g]:5000", `"::g" is not an IPv6 address`},
		{strings.Repeat("a", 64) + ".test:5000", "has 64 characters, a DNS label has at most 63"},
		{"x." + strings.Repeat(strings.Repeat("b", 60)+".", 5) + "test", "a host name has at most 253"},
		{"registry..test:5000", "empty label"},
		{"registry.test.:5000", "empty label"},
		{"127.0.0.300:5000", "all digits, but not an IPv4 address"},
		{"reg_istry.test", `'_' is not allowed`},
	} {
		err := CheckRegistry(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckRegistry(%q) = %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}

// ESB_REGISTRY is checked when the configuration loads, and the error
// names the variable.
func TestLoadRejectsBadRegistry(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, k := range []string{EnvCertDir, EnvRegistryPort, EnvProjectFile, EnvComposeFile, EnvProject} {
		t.Setenv(k, "")
	}
	t.Setenv(EnvHome, t.TempDir())
	for _, tc := range []struct{ in, want string }{
		{"esb-registry", `config: ESB_REGISTRY="esb-registry": a name without a dot or a port`},
		{"https://localhost:5000", `config: ESB_REGISTRY="https://localhost:5000": drop the scheme`},
	} {
		t.Setenv(EnvRegistry, tc.in)
		if _, err := Load(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ESB_REGISTRY=%q: %v, want %q", tc.in, err, tc.want)
		}
	}
	t.Setenv(EnvRegistry, "esb-registry:5000")
	if c, err := Load(); err != nil || c.Registry != "esb-registry:5000" {
		t.Errorf("ESB_REGISTRY=esb-registry:5000: %+v %v", c, err)
	}
}
