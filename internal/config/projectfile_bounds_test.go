package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esbtui/esbtui/internal/safefile"
)

// loadWith runs Load with esb.yaml in a fresh working directory holding
// data, or being a symbolic link to link when link is set.
func loadWith(t *testing.T, data, link string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	for _, k := range []string{EnvProjectFile, EnvCertDir, EnvRegistry, EnvRegistryPort, EnvProject, EnvComposeFile} {
		t.Setenv(k, "")
	}
	t.Setenv(EnvHome, filepath.Join(dir, "home"))
	p := filepath.Join(dir, ProjectFileName)
	if link != "" {
		if err := os.Symlink(link, p); err != nil {
			t.Fatal(err)
		}
	} else if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load()
	return p, err
}

func TestProjectFileOverOneMiB(t *testing.T) {
	line := "# padding padding padding padding padding padding padding padding\n"
	data := "registry: localhost:5000\n" + strings.Repeat(line, (1<<20)/len(line)+10)
	p, err := loadWith(t, data, "")
	var tl *safefile.TooLargeError
	if !errors.As(err, &tl) || tl.Limit != 1<<20 {
		t.Fatalf("err = %v, want *safefile.TooLargeError at 1 MiB", err)
	}
	want := 1 + 1 + ((1<<20)-len("registry: localhost:5000\n"))/len(line)
	if !strings.Contains(err.Error(), p+":") || tl.Line != want {
		t.Errorf("err = %v (line %d), want %s:%d", err, tl.Line, p, want)
	}
}

func TestProjectFileLinkedToDevZero(t *testing.T) {
	p, err := loadWith(t, "", "/dev/zero")
	var nr *safefile.NotRegularError
	if !errors.As(err, &nr) || !strings.Contains(err.Error(), p) {
		t.Fatalf("err = %v, want *safefile.NotRegularError naming %s", err, p)
	}
}

func TestProjectFileSecondDocument(t *testing.T) {
	p, err := loadWith(t, "registry: localhost:5000\n# more\n---\nnames: [api.test]\n", "")
	if err == nil || !strings.Contains(err.Error(), p+":4: a second YAML document") {
		t.Fatalf("err = %v, want %s:4: a second YAML document", err, p)
	}
	if _, err := loadWith(t, "registry: localhost:5000\n---\n", ""); err != nil {
		t.Errorf("a trailing empty document: %v", err)
	}
}
