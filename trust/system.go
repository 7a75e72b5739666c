package trust

import "fmt"

// newSystemStore picks the operating system's store for cfg.GOOS: the
// keychain on macOS, LocalMachine\ROOT on Windows, and on Linux the family
// detected from os-release (never guessed silently).
func newSystemStore(cfg *Config, ca CA) Store {
	switch cfg.goos() {
	case "darwin":
		return &keychainStore{cfg: cfg, ca: ca, tool: cfg.tool("security")}
	case "windows":
		return &winRootStore{cfg: cfg, ca: ca, api: windowsCertAPI()}
	case "linux":
		return newLinuxSystemStore(cfg, ca, DetectLinux(cfg))
	}
	return &naStore{name: "system", reason: fmt.Sprintf("no system trust store support for %s", cfg.goos())}
}

func newLinuxSystemStore(cfg *Config, ca CA, d Detection) Store {
	switch d.Family {
	case FamilyArch:
		return &archStore{cfg: cfg, ca: ca, det: d, tool: cfg.tool("trust")}
	case FamilyDebian, FamilyRHEL, FamilySUSE:
		spec := familySpecs[d.Family]
		s := &fileSystemStore{cfg: cfg, ca: ca, det: d, spec: spec, tool: cfg.tool(spec.tool)}
		if d.Family == FamilyDebian {
			s.keytl = cfg.tool("keytool")
			s.cacert = cfg.path(debianJavaCacerts)
		}
		return s
	}
	return &naStore{name: "system", reason: d.Problem}
}

// naStore is a store that does not exist here, with the reason.
type naStore struct{ name, reason string }
