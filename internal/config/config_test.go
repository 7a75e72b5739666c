package config

import (
	"path/filepath"
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
