// Package testutil holds helpers shared by tests of several packages. It is
// imported only from _test.go files.
package testutil

import (
	"os"
	"path/filepath"
	"testing"
)

// DebianTrustSandbox returns a Debian tree for ESB_TRUST_ROOT: the machine's
// os-release, ca-certificates.conf and Mozilla certificates (read only,
// through a symlink), empty local, etc and hooks dirs, and /etc/docker so
// the docker store applies. The real update-ca-certificates runs inside it
// without touching the machine.
func DebianTrustSandbox(t testing.TB) string {
	t.Helper()
	r := t.TempDir()
	for _, d := range []string{"etc/ssl/certs", "usr/local/share/ca-certificates", "etc/ca-certificates/update.d", "usr/share", "etc/docker"} {
		if err := os.MkdirAll(filepath.Join(r, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"etc/os-release", "etc/ca-certificates.conf"} {
		data, err := os.ReadFile("/" + f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(r, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("/usr/share/ca-certificates", filepath.Join(r, "usr/share/ca-certificates")); err != nil {
		t.Fatal(err)
	}
	return r
}
