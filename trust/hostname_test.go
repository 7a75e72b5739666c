package trust

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// hostileNames are registry names that must never become a path under
// certs.d: traversal, separators, NUL, empty and over-long labels.
var hostileNames = []string{
	"../../../../tmp/x:5000",
	"../../x:5000",
	"..:5000",
	".:5000",
	"a/b:5000",
	`a\b:5000`,
	"x\x00y:5000",
	"a..b:5000",
	".lead:5000",
	"-lead.test:5000",
	"tail-.test:5000",
	strings.Repeat("a", 64) + ".test:5000",
	"*.test:5000",
	"sp ace:5000",
	"host:99999",
	"host:",
	"",
}

// TestCertsDNamesNeverBecomePaths: a name that is not a host name or an IP
// (with a port) is refused by every certs.d store before it reaches a path;
// no planned step ever points outside the store's certs.d.
func TestCertsDNamesNeverBecomePaths(t *testing.T) {
	_, cur := testCAs(t)
	ctx := context.Background()
	r := t.TempDir()
	mkdirs(t, filepath.Join(r, "etc/docker"), filepath.Join(r, "etc/containerd"), filepath.Join(r, "etc/containers"))
	none := map[string]string{"dockerd": "", "docker": "", "containerd": "", "podman": "", "crio": "", "buildah": "", "skopeo": ""}
	for _, bad := range hostileNames {
		for _, reg := range [][]string{{bad}, {"reg.test:5000", bad}} {
			cfg := &Config{Root: r, Registries: reg, Tools: none}
			for _, s := range []*certsDStore{newDockerStore(cfg, cur.ca), newContainerdStore(cfg, cur.ca), newPodmanStore(cfg, cur.ca)} {
				base := s.cfg.path(s.base)
				for _, op := range []Op{OpInstall, OpUninstall} {
					p, err := s.Plan(ctx, op)
					for _, f := range p.Files() {
						if rel, rerr := filepath.Rel(base, f); rerr != nil || strings.HasPrefix(rel, "..") || strings.Contains(f, "tmp/x") {
							t.Errorf("%s %s with %q plans a path outside %s: %s", s.name, op, bad, base, f)
						}
					}
					var ne *NameError
					if !errors.As(err, &ne) {
						t.Errorf("%s %s with registry names %q: planned %v (err %v), want the name refused with a *NameError", s.name, op, reg, stepsOf(p), err)
					}
				}
			}
		}
	}
}

// TestCheckRegistryName: the forms esbtui's configuration produces pass;
// everything else is a *NameError.
func TestCheckRegistryName(t *testing.T) {
	for _, ok := range []string{"localhost:5000", "reg.test:5000", "esb-registry:5000", "host.docker.internal:5000",
		"127.0.0.1:5000", "[::1]:5000", "[fd00::1]:443", "10.1.2.3", "dev.mycompany.com", "::1", strings.Repeat("a", 63) + ".test:1"} {
		if err := CheckRegistryName(ok); err != nil {
			t.Errorf("CheckRegistryName(%q): %v", ok, err)
		}
	}
	for _, bad := range append(hostileNames, "[10.0.0.1]:5000", "[::1]", "fe80::1%eth0", "host:0", "host:05000", "é.test:5000") {
		var ne *NameError
		if err := CheckRegistryName(bad); !errors.As(err, &ne) {
			t.Errorf("CheckRegistryName(%q) = %v, want a *NameError", bad, err)
		}
	}
}
