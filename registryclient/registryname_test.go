package registryclient

import (
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/esbtui/esbtui/internal/config"
)

// The registries config.CheckRegistry accepts are exactly the ones that
// stay the registry once ImageRef puts them in front of a function name;
// the ones it refuses for want of a dot or a port would silently become
// part of a Docker Hub repository name, and registryclient refuses them too.
func TestRegistryNameRule(t *testing.T) {
	for _, reg := range []string{"localhost", "localhost:5000", "esb-registry:5000", "registry.test", "127.0.0.1:5000", "[::1]:5000", "[::1]", "ghcr.io"} {
		if err := config.CheckRegistry(reg); err != nil {
			t.Fatalf("%s: %v", reg, err)
		}
		ref := ImageRef(reg, "fn")
		plain, err := name.ParseReference(ref) // as ggcr (and docker) read it, no default
		if err != nil || plain.Context().RegistryStr() != reg || plain.Context().RepositoryStr() != "fn" {
			t.Errorf("%s: %s parses as registry %q repo %q (%v)", reg, ref, plain.Context().RegistryStr(), plain.Context().RepositoryStr(), err)
		}
		ours, err := ParseReference("fn", reg)
		if err != nil || ours.Name() != plain.Name() {
			t.Errorf("%s: ParseReference(fn) = %v (%v), ImageRef gives %v", reg, ours, err, plain)
		}
		if _, err := ParseRegistry(reg); err != nil {
			t.Errorf("ParseRegistry(%s): %v", reg, err)
		}
	}
	for _, reg := range []string{"esb-registry", "registry"} {
		if config.CheckRegistry(reg) == nil {
			t.Fatalf("%s accepted", reg)
		}
		plain, err := name.ParseReference(ImageRef(reg, "fn"))
		if err != nil || plain.Context().RegistryStr() == reg {
			t.Fatalf("%s: expected ggcr to read it as a Docker Hub path, got %v %v", reg, plain, err)
		}
		if _, err := ParseReference("fn", reg); err == nil || !strings.Contains(err.Error(), reg+":5000") {
			t.Errorf("ParseReference(fn, %s): %v", reg, err)
		}
		if _, err := ParseRepository("fn", reg); err == nil {
			t.Errorf("ParseRepository(fn, %s) accepted", reg)
		}
		if _, err := ParseRegistry(reg); !isBadRef(err) {
			t.Errorf("ParseRegistry(%s): %v", reg, err)
		}
	}
	if _, err := ParseRegistry("https://localhost:5000"); err == nil || !strings.Contains(err.Error(), "drop the scheme") {
		t.Errorf("ParseRegistry(https://...): %v", err)
	}
}
