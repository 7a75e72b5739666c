//go:build !esbtest

package pki

// failpoint is a no-op in every build but the fault tests' (build tag
// esbtest, failpoint_esbtest.go): a release binary has no way to be told
// to kill itself.
func failpoint(string) {}
