package stack

import (
	"slices"

	"github.com/esbtui/esbtui/stack/selfimage"
)

// isSelfImageEntrypoint reports whether a registry container runs esbtui's
// own image (entrypoint ["/esbtui", "registryd"]).
func isSelfImageEntrypoint(entrypoint []string) bool {
	return slices.Equal(entrypoint, selfimage.RegistryEntrypoint())
}

// registryDuCommand is how gc measures storage in the registry container:
// nil for the shell's du (registry:3 has busybox), esbtui's own du in
// esbtui's image (no shell).
func registryDuCommand(entrypoint []string) []string {
	if isSelfImageEntrypoint(entrypoint) {
		return append(slices.Clip(entrypoint), "du")
	}
	return nil
}
