package stack

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// loadMerged loads the embedded default with user (a compose file) merged
// over it, as `esbtui up -f` does, and returns the exposures of the keys in
// ESB_CERT_DIR.
func loadMerged(t *testing.T, user string) []Exposure {
	t.Helper()
	dir := t.TempDir()
	certs := filepath.Join(dir, "certs")
	if err := os.MkdirAll(certs, 0o700); err != nil {
		t.Fatal(err)
	}
	var files []string
	if user != "" {
		f := filepath.Join(dir, "compose.yaml")
		if err := os.WriteFile(f, []byte(user), 0o644); err != nil {
			t.Fatal(err)
		}
		files = []string{f}
	}
	p, err := LoadProject(context.Background(), ProjectOptions{Name: "esbtest", DefaultDir: filepath.Join(dir, "stack"), Files: files, Env: testEnv(dir)})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return p.Exposures([]string{filepath.Join(certs, "server.key"), filepath.Join(certs, "rootCA.key")})
}

func TestExposuresEveryPortForm(t *testing.T) {
	for _, c := range []struct {
		name, user, service, published string
	}{
		{"short", "services:\n  registry:\n    ports: [\"5000:5000\"]\n", "registry", "0.0.0.0:5000->5000/tcp"},
		{"any-ipv4", "services:\n  registry:\n    ports: [\"0.0.0.0:5000:5000\"]\n", "registry", "0.0.0.0:5000->5000/tcp"},
		{"any-ipv6", "services:\n  registry:\n    ports: [\"[::]:5000:5000\"]\n", "registry", "[::]:5000->5000/tcp"},
		{"lan-ip", "services:\n  registry:\n    ports: [\"192.168.1.10:5000:5000\"]\n", "registry", "192.168.1.10:5000->5000/tcp"},
		{"long-syntax", "services:\n  registry:\n    ports:\n      - {target: 5000, published: \"5000\", host_ip: 10.0.0.5}\n", "registry", "10.0.0.5:5000->5000/tcp"},
		{"long-no-host-ip", "services:\n  registry:\n    ports:\n      - {target: 5000, published: \"5000\"}\n", "registry", "0.0.0.0:5000->5000/tcp"},
		{"range", "services:\n  registry:\n    ports: [\"6000-6001:5000-5001\"]\n", "registry", "0.0.0.0:6000->5000/tcp"},
		{"target-only", "services:\n  registry:\n    ports: [\"5000\"]\n", "registry", "0.0.0.0:(any port)->5000/tcp"},
		{"key-mount", "services:\n  proxy:\n    image: nginx\n    ports: [\"8443:443\"]\n    volumes: [\"${ESB_CERT_DIR}/server.key:/k:ro\"]\n", "proxy", "0.0.0.0:8443->443/tcp"},
		{"cert-dir-mount", "services:\n  proxy:\n    image: nginx\n    ports: [\"8443:443\"]\n    volumes: [\"${ESB_CERT_DIR}:/certs:ro\"]\n", "proxy", "0.0.0.0:8443->443/tcp"},
		{"parent-mount", "services:\n  proxy:\n    image: nginx\n    ports: [\"8443:443\"]\n    volumes: [\"${ESB_CERT_DIR}/..:/home:ro\"]\n", "proxy", "0.0.0.0:8443->443/tcp"},
		{"long-bind", "services:\n  proxy:\n    image: nginx\n    ports: [\"8443:443\"]\n    volumes:\n      - {type: bind, source: \"${ESB_CERT_DIR}/rootCA.key\", target: /k}\n", "proxy", "0.0.0.0:8443->443/tcp"},
		{"secret", "services:\n  proxy:\n    image: nginx\n    ports: [\"8443:443\"]\n    secrets: [ca]\nsecrets:\n  ca: {file: \"${ESB_CERT_DIR}/rootCA.key\"}\n", "proxy", "0.0.0.0:8443->443/tcp"},
		{"host-network", "services:\n  proxy:\n    image: nginx\n    network_mode: host\n    volumes: [\"${ESB_CERT_DIR}/server.key:/k:ro\"]\n", "proxy", "every address of the host (network_mode: host)"},
		{"shared-network", "services:\n  web:\n    image: nginx\n    ports: [\"8080:80\"]\n  side:\n    image: nginx\n    network_mode: \"service:web\"\n    volumes: [\"${ESB_CERT_DIR}/server.key:/k:ro\"]\n", "side", "0.0.0.0:8080->80/tcp (network of service web)"},
		{"volumes-from", "services:\n  copy:\n    image: nginx\n    ports: [\"9000:9000\"]\n    volumes_from: [registry]\n", "copy", "0.0.0.0:9000->9000/tcp"},
	} {
		t.Run(c.name, func(t *testing.T) {
			xs := loadMerged(t, c.user)
			var found *Exposure
			for i := range xs {
				if xs[i].Service == c.service {
					found = &xs[i]
				}
			}
			if found == nil {
				t.Fatalf("exposures %+v: want service %s", xs, c.service)
			}
			if !strings.Contains(strings.Join(found.Published, "\n"), c.published) {
				t.Errorf("%s published %q, want %q among them", c.service, found.Published, c.published)
			}
			if found.RegistryAuth {
				t.Errorf("%s: registry auth reported on without ESB_REGISTRY_AUTH", c.service)
			}
		})
	}
}

func TestExposuresNoneOnLoopback(t *testing.T) {
	for _, c := range []struct{ name, user string }{
		{"default", ""},
		{"loopback-v4", "services:\n  registry:\n    ports: [\"127.0.0.1:6000:6000\"]\n"},
		{"loopback-v6", "services:\n  registry:\n    ports: [\"[::1]:6000:6000\"]\n"},
		{"no-key", "services:\n  web:\n    image: nginx\n    ports: [\"8080:80\"]\n    volumes: [\"${ESB_CERT_DIR}/rootCA.crt:/ca.crt:ro\"]\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if xs := loadMerged(t, c.user); len(xs) != 0 {
				t.Errorf("exposures %+v, want none", xs)
			}
		})
	}
}

func TestLoadProjectRefusesUnboundedComposeFiles(t *testing.T) {
	dir := t.TempDir()
	zero := filepath.Join(dir, "zero.yaml")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte(strings.Repeat("# padding line\n", ((4<<20)/15)+10)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{zero, big} {
		_, err := LoadProject(context.Background(), ProjectOptions{Name: "esbtest", Files: []string{f}, Env: testEnv(dir)})
		var ce *ComposeFileError
		if !errors.As(err, &ce) || ce.File != f {
			t.Errorf("%s: err = %v, want *ComposeFileError naming it", f, err)
		}
	}
}
