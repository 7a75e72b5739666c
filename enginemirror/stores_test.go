package enginemirror

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/esbtui/esbtui/trust"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func testCA(t *testing.T) trust.CA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "test CA", Organization: []string{trust.Organization}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return trust.CA{Cert: cert, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), File: "/ca.pem"}
}

var testMirrors = []Mirror{{Upstream: "docker.io", Port: 5001}, {Upstream: "ghcr.io", Port: 5002}, {Upstream: "https://registry.example:8443", Port: 5003}}

func sandbox(t *testing.T, daemonJSON string) (*Config, string) {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"/etc/docker", "/etc/containerd", "/etc/containers"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dj := filepath.Join(root, "/etc/docker/daemon.json")
	if daemonJSON != "" {
		if err := os.WriteFile(dj, []byte(daemonJSON), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	return &Config{Trust: &trust.Config{Root: root}, CA: testCA(t), Mirrors: testMirrors,
		Record: Record{Path: filepath.Join(t.TempDir(), "mirror-installed.json")}}, dj
}

func apply(t *testing.T, cfg *Config, op trust.Op) {
	t.Helper()
	for _, s := range Stores(cfg) {
		var p trust.Plan
		var err error
		if d, ok := s.(*DockerStore); ok {
			var rec *DaemonRecord
			p, rec, err = d.PlanDocker(context.Background(), op)
			if err == nil && op == trust.OpInstall && rec != nil {
				err = cfg.Record.Write(rec)
			}
		} else {
			p, err = s.Plan(context.Background(), op)
		}
		if err != nil {
			t.Fatalf("%s %s: plan: %v", s.Name(), op, err)
		}
		if err := trust.Execute(context.Background(), cfg.Trust, p); err != nil {
			t.Fatalf("%s %s: %v", s.Name(), op, err)
		}
		if _, ok := s.(*DockerStore); ok && op == trust.OpUninstall {
			if err := cfg.Record.Write(nil); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			out[rel+"/"] = ""
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := d.Info()
		out[rel] = fi.Mode().String() + " " + string(b)
		return nil
	})
	return out
}

// TestInstallUninstallRoundTrip: install changes daemon.json, hosts.toml and
// registries.conf.d; uninstall leaves the sandbox exactly as it was (bytes
// and modes of daemon.json included, keys esbtui did not write too).
func TestInstallUninstallRoundTrip(t *testing.T) {
	for name, in := range map[string]string{"no daemon.json": "", "daemon.json": daemonJSONInputs["tabs crlf"], "own mirrors": daemonJSONInputs["own mirror first"]} {
		t.Run(name, func(t *testing.T) {
			cfg, dj := sandbox(t, in)
			before := tree(t, cfg.Trust.Root)
			apply(t, cfg, trust.OpInstall)
			data, err := os.ReadFile(dj)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), `"https://localhost:5001"`) || strings.Contains(string(data), "5002") {
				t.Fatalf("daemon.json after install lacks the docker.io mirror (or lists another upstream's):\n%s", data)
			}
			for _, s := range Stores(cfg) {
				if st := s.Check(context.Background()); st.State != trust.Trusted {
					t.Errorf("%s after install: %s %s", s.Name(), st.State, st.Reason)
				}
			}
			apply(t, cfg, trust.OpUninstall)
			after := tree(t, cfg.Trust.Root)
			for k, v := range before {
				if after[k] != v {
					t.Errorf("%s changed:\nbefore %q\nafter  %q", k, v, after[k])
				}
			}
			for k := range after {
				if _, ok := before[k]; !ok {
					t.Errorf("%s left behind", k)
				}
			}
		})
	}
}

// TestUninstallAfterUserEdit: a daemon.json edited after install loses only
// esbtui's mirror; the user's new key stays.
func TestUninstallAfterUserEdit(t *testing.T) {
	cfg, dj := sandbox(t, "{\n  \"debug\": true\n}\n")
	apply(t, cfg, trust.OpInstall)
	data, _ := os.ReadFile(dj)
	edited := strings.Replace(string(data), "\"debug\": true", "\"debug\": true,\n  \"log-level\": \"warn\"", 1)
	os.WriteFile(dj, []byte(edited), 0o640)
	apply(t, cfg, trust.OpUninstall)
	got, _ := os.ReadFile(dj)
	if want := "{\n  \"debug\": true,\n  \"log-level\": \"warn\"\n}\n"; string(got) != want {
		t.Errorf("daemon.json = %q, want %q", got, want)
	}
}

// TestEngineFilesGolden: hosts.toml and the registries.conf.d drop-in, as
// written, against golden files (no TOML parser is a dependency).
func TestEngineFilesGolden(t *testing.T) {
	cfg, _ := sandbox(t, "")
	apply(t, cfg, trust.OpInstall)
	root := cfg.Trust.Root
	for _, f := range []struct{ path, golden string }{
		{"etc/containerd/certs.d/docker.io/hosts.toml", "hosts-docker.io.toml"},
		{"etc/containerd/certs.d/registry.example:8443/hosts.toml", "hosts-registry.example.toml"},
		{"etc/containers/registries.conf.d/" + PodmanConfFile, "registries.conf"},
	} {
		got, err := os.ReadFile(filepath.Join(root, f.path))
		if err != nil {
			t.Fatal(err)
		}
		g := filepath.Join("testdata", f.golden)
		if *update {
			os.WriteFile(g, got, 0o644)
		}
		want, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("%s:\n%s\nwant (%s):\n%s", f.path, got, g, want)
		}
	}
	ca, err := os.ReadFile(filepath.Join(root, "etc/containerd/certs.d/ghcr.io", containerdCAFile))
	if err != nil || string(ca) != string(cfg.CA.PEM) {
		t.Errorf("containerd CA file: %v", err)
	}
}

// TestUserHostsTomlIsNotOverwritten: a hosts.toml the user wrote stops the
// containerd install with the fix, and is left by uninstall.
func TestUserHostsTomlIsNotOverwritten(t *testing.T) {
	cfg, _ := sandbox(t, "")
	p := filepath.Join(cfg.Trust.Root, "etc/containerd/certs.d/docker.io/hosts.toml")
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.WriteFile(p, []byte("server = \"https://registry-1.docker.io\"\n"), 0o644)
	s := &containerdStore{cfg: cfg}
	if _, err := s.Plan(context.Background(), trust.OpInstall); err == nil || !strings.Contains(err.Error(), "not written by esbtui") {
		t.Errorf("install over the user's hosts.toml: %v", err)
	}
	up, err := s.Plan(context.Background(), trust.OpUninstall)
	if err != nil || slices.Contains(up.Files(), p) {
		t.Errorf("uninstall plans to touch the user's hosts.toml: %v %v", up.Files(), err)
	}
}

// TestReloadTargetsTheNamedDockerd: with a pid file the plan ends with
// SIGHUP to that dockerd; a pid file naming another process is an error.
func TestReloadTargetsTheNamedDockerd(t *testing.T) {
	cfg, _ := sandbox(t, "{}")
	proc := t.TempDir()
	os.MkdirAll(filepath.Join(proc, "4242"), 0o755)
	os.WriteFile(filepath.Join(proc, "4242", "comm"), []byte("dockerd\n"), 0o644)
	os.MkdirAll(filepath.Join(proc, "4343"), 0o755)
	os.WriteFile(filepath.Join(proc, "4343", "comm"), []byte("bash\n"), 0o644)
	pidf := filepath.Join(t.TempDir(), "docker.pid")
	os.WriteFile(pidf, []byte("4242\n"), 0o644)
	cfg.Proc, cfg.DockerdPIDFile = proc, pidf
	p, _, err := (&DockerStore{cfg: cfg}).PlanDocker(context.Background(), trust.OpInstall)
	if err != nil {
		t.Fatal(err)
	}
	cmds := p.Commands()
	if len(cmds) != 1 || !slices.Equal(cmds[0], []string{"kill", "-s", "HUP", "4242"}) {
		t.Errorf("commands = %v, want kill -s HUP 4242", cmds)
	}
	os.WriteFile(pidf, []byte("4343"), 0o644)
	if _, _, err := FindDockerd(pidf, proc); err == nil {
		t.Error("a pid file naming bash was accepted as dockerd")
	}
	for _, bad := range []string{"", "-1", "1", "99999999999999999999", "12\x1b[2J"} {
		os.WriteFile(pidf, []byte(bad), 0o644)
		if _, _, err := FindDockerd(pidf, proc); err == nil {
			t.Errorf("pid file %q accepted", bad)
		}
	}
}

// TestInstalledFor: after install each engine file naming the docker.io
// cache is reported (mirror rm refuses while they exist); after uninstall
// none is.
func TestInstalledFor(t *testing.T) {
	cfg, dj := sandbox(t, "{}")
	m := testMirrors[0]
	if got := InstalledFor(cfg, m); len(got) != 0 {
		t.Fatalf("before install: %v", got)
	}
	apply(t, cfg, trust.OpInstall)
	got := InstalledFor(cfg, m)
	for _, want := range []string{dj, filepath.Join(cfg.Trust.Root, "etc/containerd/certs.d/docker.io/hosts.toml"), filepath.Join(cfg.Trust.Root, "etc/containers/registries.conf.d", PodmanConfFile)} {
		if !slices.Contains(got, want) {
			t.Errorf("InstalledFor after install = %v, lacks %s", got, want)
		}
	}
	apply(t, cfg, trust.OpUninstall)
	if got := InstalledFor(cfg, m); len(got) != 0 {
		t.Errorf("after uninstall: %v", got)
	}
}
