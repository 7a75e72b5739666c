//go:build !esbtest

package pki

import "testing"

// TestFailpointInertInReleaseBuilds: without the esbtest tag no
// environment variable makes the process kill itself at a failpoint.
func TestFailpointInertInReleaseBuilds(t *testing.T) {
	t.Setenv("ESB_TEST_FAILPOINT", "before-commit:x")
	failpoint("before-commit:x")
}
