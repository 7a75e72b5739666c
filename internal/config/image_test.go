package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckImageRef(t *testing.T) {
	for _, ok := range []string{"registry:3", "esbtui-fixture/registry:3.1.2-b566478875ea", "localhost:5000/team/registry:3", "ghcr.io/org/reg@sha256:" + strings.Repeat("a", 64)} {
		if err := CheckImageRef(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Registry:3", "registry:3 --privileged", "reg\x1b[31m", "../etc", "registry:"} {
		if err := CheckImageRef(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestRegistryImageChoice: esb.yaml's image chooses the registry image,
// ESB_REGISTRY_IMAGE wins over it, and a bad value is refused naming where
// it came from.
func TestRegistryImageChoice(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "esb.yaml")
	os.WriteFile(p, []byte("image: registry:3\n"), 0o644)
	t.Chdir(dir)
	for _, k := range []string{EnvHome, EnvCertDir, EnvRegistry, EnvRegistryPort, EnvProjectFile, EnvComposeFile, EnvProject, EnvRegistryImage} {
		t.Setenv(k, "")
	}
	t.Setenv(EnvHome, filepath.Join(dir, "home"))
	c, err := Load()
	if err != nil || c.RegistryImage != "registry:3" || c.RegistryImageFrom != p {
		t.Fatalf("esb.yaml image: %+v %v", c, err)
	}
	t.Setenv(EnvRegistryImage, "localhost:5000/mirror/registry:3")
	if c, err = Load(); err != nil || c.RegistryImage != "localhost:5000/mirror/registry:3" || c.RegistryImageFrom != EnvRegistryImage {
		t.Fatalf("env did not win: %+v %v", c, err)
	}
	t.Setenv(EnvRegistryImage, "registry:3 x")
	if _, err = Load(); err == nil || !strings.Contains(err.Error(), EnvRegistryImage) {
		t.Fatalf("a bad ESB_REGISTRY_IMAGE: %v", err)
	}
	t.Setenv(EnvRegistryImage, "")
	os.WriteFile(p, []byte("image: \"Bad Image\"\n"), 0o644)
	if _, err = Load(); err == nil || !strings.Contains(err.Error(), "esb.yaml: image") {
		t.Fatalf("a bad esb.yaml image: %v", err)
	}
}
