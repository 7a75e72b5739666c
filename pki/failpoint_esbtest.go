//go:build esbtest

package pki

import "os"

// failpointEnv names a point at which the process kills itself, so the
// fault tests can stop `esbtui init` exactly between two renames instead of
// hoping a random SIGKILL lands there. Only binaries built with the esbtest
// tag read it.
const failpointEnv = "ESB_TEST_FAILPOINT"

func failpoint(name string) {
	if os.Getenv(failpointEnv) == name {
		p, err := os.FindProcess(os.Getpid())
		if err == nil {
			p.Kill()
			select {}
		}
	}
}
