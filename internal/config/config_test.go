package config

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadOverrides(t *testing.T) {
	t.Setenv(EnvHome, "/tmp/esb-x")
	t.Setenv(EnvCertDir, "")
	t.Setenv(EnvRegistry, "")
	c, err := Load()
	if err != nil || c.Home != "/tmp/esb-x" || c.CertDir != filepath.Join("/tmp/esb-x", "certs") || c.Registry != DefaultRegistry {
		t.Fatalf("%+v %v", c, err)
	}
	t.Setenv(EnvCertDir, "/tmp/other-certs")
	t.Setenv(EnvRegistry, "esb-registry:5000")
	c, _ = Load()
	if c.CertDir != "/tmp/other-certs" || c.Registry != "esb-registry:5000" {
		t.Fatalf("%+v", c)
	}
	t.Setenv(EnvHome, "")
	t.Setenv("HOME", "/home/someone")
	c, _ = Load()
	if c.Home != "/home/someone/.esb" {
		t.Fatalf("default home %s", c.Home)
	}
}

// TestLoadResolvesFlowVariablesOnce: ESB_TRUST_ROOT, ESB_PUSH_EXPORT and
// ESB_HOST_GATEWAY are read and checked by Load (flows never read the
// environment); a bad value is an error naming the variable.
func TestLoadResolvesFlowVariablesOnce(t *testing.T) {
	t.Setenv(EnvHome, t.TempDir())
	t.Setenv(EnvProjectFile, "")
	root := t.TempDir()
	t.Setenv(EnvTrustRoot, root)
	t.Setenv(EnvPushExport, "save")
	t.Setenv(EnvHostGateway, "172.17.0.1")
	t.Setenv("USER", "ada")
	t.Setenv("SHELL", "/usr/bin/fish")
	t.Setenv("SSL_CERT_DIR", "/etc/x/certs")
	t.Setenv("JAVA_HOME", "/opt/jdk")
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if want := (HostEnv{User: "ada", Shell: "fish", SSLCertDir: "/etc/x/certs", JavaHome: "/opt/jdk"}); c.Host != want {
		t.Fatalf("host environment %+v, want %+v", c.Host, want)
	}
	if c.TrustRoot != root || c.PushExport != PushExportSave || c.HostGateway.String() != "172.17.0.1" {
		t.Fatalf("got trust root %q, push export %q, gateway %v", c.TrustRoot, c.PushExport, c.HostGateway)
	}
	t.Setenv(EnvPushExport, "")
	t.Setenv(EnvHostGateway, "")
	if c, err := Load(); err != nil || c.PushExport != PushExportAuto || c.HostGateway.IsValid() {
		t.Fatalf("defaults: %+v %v", c, err)
	}
	for k, v := range map[string]string{EnvPushExport: "tarball", EnvHostGateway: "docker0"} {
		t.Setenv(k, v)
		if _, err := Load(); err == nil || !strings.Contains(err.Error(), k) {
			t.Errorf("%s=%s: %v; want an error naming it", k, v, err)
		}
		t.Setenv(k, "")
	}
}

// TestLoadEngineFiles: ESB_ENGINE_FILES is auto unless set to bind or copy;
// anything else is an error naming the variable.
func TestLoadEngineFiles(t *testing.T) {
	t.Setenv(EnvHome, t.TempDir())
	t.Setenv(EnvProjectFile, "")
	for v, want := range map[string]string{"": EngineFilesAuto, "auto": EngineFilesAuto, "bind": EngineFilesBind, "copy": EngineFilesCopy} {
		t.Setenv(EnvEngineFiles, v)
		if c, err := Load(); err != nil || c.EngineFiles != want {
			t.Errorf("%s=%q: %q %v; want %q", EnvEngineFiles, v, c.EngineFiles, err, want)
		}
	}
	t.Setenv(EnvEngineFiles, "volume")
	if _, err := Load(); err == nil || !strings.Contains(err.Error(), EnvEngineFiles) {
		t.Errorf("%s=volume: %v; want an error naming it", EnvEngineFiles, err)
	}
	if FromHome("/x").EngineFiles != EngineFilesAuto {
		t.Error("FromHome: want auto")
	}
}
