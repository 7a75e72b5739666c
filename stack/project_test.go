package stack

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func testEnv(dir string) map[string]string {
	return map[string]string{
		"ESB_CERT_DIR":            filepath.Join(dir, "certs"),
		"ESB_REGISTRY":            "localhost:5123",
		"ESB_REGISTRY_PORT":       "5123",
		"ESB_REGISTRY_DEBUG_PORT": "5124",
	}
}

func TestLoadDefaultProject(t *testing.T) {
	dir := t.TempDir()
	p, err := LoadProject(context.Background(), ProjectOptions{Name: "esbtest", DefaultDir: filepath.Join(dir, "stack"), Env: testEnv(dir)})
	if err != nil {
		t.Fatal(err)
	}
	written, err := os.ReadFile(filepath.Join(dir, "stack", DefaultComposeFile))
	if err != nil || string(written) != string(defaultCompose) {
		t.Fatalf("default compose file not written as embedded: %v", err)
	}
	reg, err := p.Compose().GetService(RegistryService)
	if err != nil {
		t.Fatal(err)
	}
	if reg.ContainerName != "esbtest-registry" {
		t.Errorf("container name %q, want esbtest-registry", reg.ContainerName)
	}
	if len(reg.Ports) != 2 || reg.Ports[0].HostIP != "127.0.0.1" || reg.Ports[0].Published != "5123" || reg.Ports[0].Target != 5000 {
		t.Errorf("ports %+v, want 127.0.0.1:5123:5000 first", reg.Ports)
	}
	var sawKey bool
	for _, v := range reg.Volumes {
		if v.Source == filepath.Join(dir, "certs", "server.key") && v.ReadOnly {
			sawKey = true
		}
	}
	if !sawKey {
		t.Errorf("server.key from ESB_CERT_DIR not mounted read-only: %+v", reg.Volumes)
	}
	if reg.HealthCheck == nil || strings.Join(reg.HealthCheck.Test, " ") != "CMD wget --no-check-certificate -q --spider https://localhost:5000/" {
		t.Errorf("healthcheck %+v", reg.HealthCheck)
	}
	if _, ok := p.Compose().Volumes["registry-data"]; !ok {
		t.Errorf("no registry-data volume")
	}
}

func TestLoadUserFileErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, body string
		line       int
		want       string
	}{
		{"syntax", "services:\n  agent:\n    image: x\n   bad: [\n", 4, "yaml"},
		{"undefined", "services:\n  agent:\n    image: busybox\n    environment:\n      TOKEN: ${ESB_TEST_SURELY_UNSET_VAR}\n", 5, "ESB_TEST_SURELY_UNSET_VAR is not set"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := filepath.Join(dir, c.name+".yaml")
			if err := os.WriteFile(f, []byte(c.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadProject(context.Background(), ProjectOptions{Name: "esbtest", DefaultDir: filepath.Join(dir, "stack"), Files: []string{f}, Env: testEnv(dir)})
			var ce *ComposeFileError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *ComposeFileError", err)
			}
			if ce.File != f || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v; want file %s and %q", err, f, c.want)
			}
			if !strings.Contains(err.Error(), f+":"+itoa(c.line)) && !strings.Contains(err.Error(), "line "+itoa(c.line)) {
				t.Errorf("err = %v; want line %d", err, c.line)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestDefaultsStillWork(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "user.yaml")
	body := "services:\n  agent:\n    image: ${ESB_TEST_UNSET_IMAGE:-busybox}\n    environment:\n      A: ${ESB_TEST_UNSET_X:+set}\n      B: $$HOME\n"
	if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := LoadProject(context.Background(), ProjectOptions{Name: "esbtest", DefaultDir: filepath.Join(dir, "stack"), Files: []string{f}, Env: testEnv(dir)})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Services(); strings.Join(got, ",") != "agent,registry" {
		t.Errorf("services %v", got)
	}
}

// TestUseFileVolumes: the registry's bind mounts of the certificates and
// the auth directory become read-only external volumes at the same paths;
// the data volume stays.
func TestUseFileVolumes(t *testing.T) {
	dir := t.TempDir()
	p, err := LoadProject(context.Background(), ProjectOptions{Name: "esbtest", DefaultDir: filepath.Join(dir, "stack"), Env: testEnv(dir)})
	if err != nil {
		t.Fatal(err)
	}
	if !p.UseFileVolumes(RegistryService, map[string]string{"/certs": "esbtest_registry-certs", "/auth": "esbtest_registry-auth"}) {
		t.Fatal("no registry service")
	}
	got := map[string]string{}
	for _, v := range p.p.Services[RegistryService].Volumes {
		if v.Type == "bind" {
			t.Errorf("bind mount left: %s → %s", v.Source, v.Target)
		}
		if v.Target == "/certs" || v.Target == "/auth" {
			if !v.ReadOnly {
				t.Errorf("%s is writable", v.Target)
			}
			got[v.Target] = v.Source
		}
		if v.Target == "/var/lib/registry" {
			got[v.Target] = v.Source
		}
	}
	if got["/certs"] != "esbtest_registry-certs" || got["/auth"] != "esbtest_registry-auth" || got["/var/lib/registry"] == "" {
		t.Errorf("mounts %v", got)
	}
	if vol := p.p.Volumes["esbtest_registry-certs"]; !bool(vol.External) || vol.Name != "esbtest_registry-certs" {
		t.Errorf("volume %+v: want external", vol)
	}
}
