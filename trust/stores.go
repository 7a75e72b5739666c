package trust

import (
	"fmt"
	"slices"
	"strings"
)

// StoreNames are the stores in the order they are installed: the system
// store first (Debian's Java hook may then already cover Java).
func StoreNames() []string {
	return []string{"system", "docker", "containerd", "podman", "nss", "java"}
}

// Stores returns every store for this machine (applicable or not), in
// StoreNames order.
func Stores(cfg *Config, ca CA) []Store {
	return []Store{
		newSystemStore(cfg, ca),
		newDockerStore(cfg, ca),
		newContainerdStore(cfg, ca),
		newPodmanStore(cfg, ca),
		newNSSStore(cfg, ca),
		newJavaStore(cfg, ca),
	}
}

// Select keeps the stores named (all when names is empty); an unknown name
// is an error that lists the valid ones.
func Select(stores []Store, names []string) ([]Store, error) {
	if len(names) == 0 {
		return stores, nil
	}
	for _, n := range names {
		if !slices.Contains(StoreNames(), n) {
			return nil, fmt.Errorf("trust: unknown store %q: choose from %s", n, strings.Join(StoreNames(), ", "))
		}
	}
	var out []Store
	for _, s := range stores {
		if slices.Contains(names, s.Name()) {
			out = append(out, s)
		}
	}
	return out, nil
}

// IsRoot reports whether this process may change system stores without
// sudo (root on Unix, an elevated token on Windows).
func IsRoot() bool { return isRoot() }
