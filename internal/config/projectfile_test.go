package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProjectFile(t *testing.T) {
	dir := t.TempDir()
	data := []byte("compose: [dev/compose.yaml, /abs/other.yaml]\nregistry: localhost:5443\nnames: [api.test]\nfunctions: fns\nretention: {keep: 3, on_up: true}\nsign: true\nverify: required\n")
	p := filepath.Join(dir, "esb.yaml")
	os.WriteFile(p, data, 0o644)
	t.Chdir(dir)
	for _, k := range []string{EnvHome, EnvCertDir, EnvRegistry, EnvRegistryPort, EnvProjectFile, EnvComposeFile, EnvProject} {
		t.Setenv(k, "")
	}
	t.Setenv(EnvHome, filepath.Join(dir, "home"))
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.ProjectFile != p || c.Registry != "localhost:5443" || c.RegistryPort != 5443 || c.FunctionsDir != filepath.Join(dir, "fns") ||
		c.Retention.Keep != 3 || !c.Retention.OnUp || len(c.Names) != 1 ||
		len(c.ComposeFiles) != 2 || c.ComposeFiles[0] != filepath.Join(dir, "dev/compose.yaml") || c.ComposeFiles[1] != "/abs/other.yaml" ||
		!c.SignBuilds || !c.VerifyRequired {
		t.Fatalf("%+v", c)
	}
	// The environment wins over the file.
	t.Setenv(EnvRegistry, "esb-registry:5000")
	t.Setenv(EnvComposeFile, "/x.yaml")
	c, _ = Load()
	if c.Registry != "esb-registry:5000" || len(c.ComposeFiles) != 1 || c.ComposeFiles[0] != "/x.yaml" {
		t.Fatalf("env did not win: %+v", c)
	}
}

func TestProjectFileErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"compose: [a.yaml]\nregistyr: x\n", "line 2"},
		{"retention: {keep: -1}\n", "retention.keep"},
		{"retention: {on_up: true}\n", "needs retention.keep"},
		{"registry: https://localhost:5000\n", "esb.yaml:1: registry \"https://localhost:5000\": drop the scheme"},
		{"compose: [a.yaml]\n\nregistry: esb-registry\n", "esb.yaml:3: registry \"esb-registry\": a name without a dot or a port"},
		{"registry: localhost:5000/team\n", "has a path \"/team\""},
		{"names: api.test\n", "line 1"},
		{"compose: [\"\"]\n", "empty"},
		{"sign: true\nverify: yes-please\n", "esb.yaml:2: verify is \"yes-please\": use `verify: required`"},
		{"sign: maybe\n", "line 1"},
	} {
		_, err := ParseProjectFile("/p/esb.yaml", []byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "/p/esb.yaml") {
			t.Errorf("%q: err %v, want %q", tc.yaml, err, tc.want)
		}
	}
	if pf, err := ParseProjectFile("/p/esb.yaml", nil); err != nil || pf.Registry != "" {
		t.Errorf("empty file: %v", err)
	}
}

// FuzzParseProjectFile: arbitrary bytes give a project or an error naming
// the file, never a panic.
func FuzzParseProjectFile(f *testing.F) {
	f.Add([]byte("compose: [a.yaml]\nregistry: localhost:5000\nretention: {keep: 2, on_up: true}\n"))
	f.Add([]byte("names: [x.test, 10.0.0.1]\nfunctions: fns\n"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pf, err := ParseProjectFile("/p/esb.yaml", data)
		if err != nil && !strings.Contains(err.Error(), "/p/esb.yaml") {
			t.Fatalf("error does not name the file: %v", err)
		}
		if err == nil && pf.Retention.Keep < 0 {
			t.Fatal("negative keep accepted")
		}
	})
}
