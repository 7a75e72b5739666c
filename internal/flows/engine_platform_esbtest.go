//go:build esbtest

package flows

import (
	"os"
	"strings"
)

// simulatedEnginePlatform reads ESB_TEST_ENGINE_PLATFORM ("linux/aarch64"),
// standing in for what the engine reports, so a test can show the
// foreign-architecture fallback on this machine's engine. Only binaries
// built with the esbtest tag read it.
func simulatedEnginePlatform() (osType, arch string, ok bool) {
	osType, arch, ok = strings.Cut(os.Getenv("ESB_TEST_ENGINE_PLATFORM"), "/")
	return osType, arch, ok && osType != "" && arch != ""
}
