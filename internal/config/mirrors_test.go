package config

import (
	"strings"
	"testing"
	"time"
)

func TestMirrorsParse(t *testing.T) {
	pf, err := ParseProjectFile("/p/esb.yaml", []byte(`mirrors:
  - upstream: docker.io
  - upstream: https://upstream.test:9443
    url: https://127.0.0.1:9443/
    port: 6000
    ttl: 0s
    max_size: 10GiB
  - upstream: ghcr.io
    ttl: 30m
`))
	if err != nil {
		t.Fatal(err)
	}
	ms := pf.Mirrors
	if len(ms) != 3 {
		t.Fatalf("mirrors = %+v", ms)
	}
	if ms[0].Name() != "docker-io" || ms[0].RemoteURL() != "https://registry-1.docker.io" || ms[0].EffectiveTTL() != DefaultMirrorTTL {
		t.Errorf("docker.io: name %q remote %q ttl %s", ms[0].Name(), ms[0].RemoteURL(), ms[0].EffectiveTTL())
	}
	if ms[1].Name() != "upstream-test-9443" || ms[1].RemoteURL() != "https://127.0.0.1:9443" || ms[1].EffectiveTTL() != 0 || ms[1].MaxSize != 10<<30 || ms[1].Port != 6000 {
		t.Errorf("second: %+v name %q remote %q", ms[1], ms[1].Name(), ms[1].RemoteURL())
	}
	if ms[2].RemoteURL() != "https://ghcr.io" || ms[2].EffectiveTTL() != 30*time.Minute {
		t.Errorf("ghcr: %+v", ms[2])
	}
	rs, err := ResolveMirrorPorts(ms, 5000, 5001)
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Port != 5002 || rs[1].Port != 6000 || rs[2].Port != 5003 || ms[0].Port != 0 {
		t.Errorf("ports: %d %d %d (input changed: %d)", rs[0].Port, rs[1].Port, rs[2].Port, ms[0].Port)
	}
	if _, err := ResolveMirrorPorts([]Mirror{{Upstream: "ghcr.io", Port: 5000}}, 5000, 5001); err == nil {
		t.Error("a mirror on the registry's port was accepted")
	}
}

func TestMirrorsHostile(t *testing.T) {
	for _, c := range []struct{ yaml, want string }{
		{"- upstream: docker.io/library", "has a path"},
		{"- upstream: https://user:pw@host.test", "user name"},
		{"- upstream: user@host.test", "user name"},
		{"- upstream: host.test?x=1", "query"},
		{"- upstream: http://host.test", "plain http"},
		{"- upstream: ftp://host.test", "only https"},
		{"- upstream: ''", "empty"},
		{"- upstream: host.test:99999", "port"},
		{"- upstream: \"host.test\\n\"", "white space"},
		{"- upstream: ../../etc", "has a path"},
		{"- upstream: myregistry", "without a dot"},
		{"- upstream: docker.io\n  url: http://x.test", "https"},
		{"- upstream: docker.io\n  url: https://x.test/v2/", "has a path"},
		{"- upstream: docker.io\n  url: https://u:p@x.test", "user name"},
		{"- upstream: docker.io\n  url: https://x.test?q", "query"},
		{"- upstream: docker.io\n  port: 70000", "port"},
		{"- upstream: docker.io\n  port: -1", "port"},
		{"- upstream: docker.io\n  port: abc", "mirrors"},
		{"- upstream: docker.io\n  ttl: -1h", "ttl"},
		{"- upstream: docker.io\n  ttl: forever", "ttl"},
		{"- upstream: docker.io\n  max_size: 10 parsecs", "unknown unit"},
		{"- upstream: docker.io\n  max_size: 12", "too small"},
		{"- upstream: docker.io\n  max_size: 99999999999TiB", "too large"},
		{"- upstream: docker.io\n  password: hunter2", "unknown key"},
		{"- upstream: docker.io\n- upstream: https://docker.io", "same registry"},
		{"- upstream: docker.io\n  port: 6000\n- upstream: ghcr.io\n  port: 6000", "already the port"},
		{"- docker.io", "mapping"},
	} {
		_, err := ParseProjectFile("/p/esb.yaml", []byte("mirrors:\n"+c.yaml+"\n"))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "/p/esb.yaml") {
			t.Errorf("%q: err = %v, want it to name the file and say %q", c.yaml, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%q: the error repeats the value of an unknown key: %v", c.yaml, err)
		}
	}
}

func TestSetProjectMirrorsKeepsOtherKeys(t *testing.T) {
	in := []byte("# my project\nregistry: localhost:5000 # here\nnames: [api.test]\n")
	out, err := SetProjectMirrors(in, []Mirror{{Upstream: "docker.io"}, {Upstream: "https://up.test:9443", MaxSize: 1 << 30, TTL: time.Hour, TTLSet: true}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# my project", "# here", "api.test", "upstream: docker.io", "upstream: https://up.test:9443", "max_size: 1GiB", "ttl: 1h0m0s"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	pf, err := ParseProjectFile("/p/esb.yaml", out)
	if err != nil || len(pf.Mirrors) != 2 || pf.Mirrors[1].MaxSize != 1<<30 || pf.Mirrors[1].TTL != time.Hour || pf.Registry != "localhost:5000" {
		t.Fatalf("round trip: %+v, %v", pf, err)
	}
	back, err := SetProjectMirrors(out, nil)
	if err != nil || strings.Contains(string(back), "mirrors") {
		t.Fatalf("removing mirrors: %v\n%s", err, back)
	}
}

func TestSizes(t *testing.T) {
	for s, want := range map[string]int64{"10GiB": 10 << 30, "500MB": 500e6, "1048576": 1 << 20, "2 TiB": 2 << 40} {
		if got, err := ParseSize(s); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v", s, got, err)
		}
	}
	if FormatSize(10<<30) != "10GiB" || FormatSize(1500) != "1500B" {
		t.Errorf("FormatSize: %s %s", FormatSize(10<<30), FormatSize(1500))
	}
}

func TestMirrorCAPathRelativeToProjectFile(t *testing.T) {
	pf, err := ParseProjectFile("/p/esb.yaml", []byte("mirrors:\n  - upstream: corp.example:8443\n    ca: certs/corp.pem\n  - upstream: ghcr.io\n    ca: /etc/corp.pem\n"))
	if err != nil {
		t.Fatal(err)
	}
	if pf.Mirrors[0].CA != "/p/certs/corp.pem" || pf.Mirrors[1].CA != "/etc/corp.pem" {
		t.Errorf("ca paths: %q, %q", pf.Mirrors[0].CA, pf.Mirrors[1].CA)
	}
	if _, err := ParseProjectFile("/p/esb.yaml", []byte("mirrors:\n  - upstream: ghcr.io\n    ca: \"a\\nb\"\n")); err == nil {
		t.Error("a ca path with a newline was accepted")
	}
}
