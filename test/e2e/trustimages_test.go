package e2e

// Images for the container-trust tests, built here because no image can be
// pulled: a FROM-scratch image holding a static Go client, and a Debian
// bookworm image made by debootstrap (minbase + curl, python3, requests, nodejs,
// ca-certificates). Each is tagged with a hash of its inputs and built only
// when that tag is missing.

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/esbtui/esbtui/internal/testutil"
)

const (
	debianSuite    = "bookworm"
	debianMirror   = "http://deb.debian.org/debian"
	debianPackages = "curl,python3,python3-requests,nodejs,ca-certificates"
)

var (
	goClientOnce, debianOnce sync.Once
	goClientTag, debianTag   string
	goClientErr, debianErr   error
)

func inputHash(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// sortedLines sorts the ;-separated items of s (map order is random).
func sortedLines(s string) string {
	items := strings.Split(s, ";")
	sort.Strings(items)
	return strings.Join(items, ";")
}

func imageExists(tag string) bool {
	return exec.Command("docker", "image", "inspect", tag).Run() == nil
}

// runTool runs a command and returns its error with its output.
func runTool(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return &toolError{argv: append([]string{name}, args...), out: string(out), err: err}
	}
	return nil
}

type toolError struct {
	argv []string
	out  string
	err  error
}

func (e *toolError) Error() string {
	out := e.out
	if len(out) > 2000 {
		out = "…" + out[len(out)-2000:]
	}
	return strings.Join(e.argv, " ") + ": " + e.err.Error() + "\n" + out
}

// importRootfs tars dir and imports it as tag with the given changes.
func importRootfs(dir, tag string, changes ...string) error {
	args := []string{"import"}
	for _, c := range changes {
		args = append(args, "-c", c)
	}
	args = append(args, "-", tag)
	tar := exec.Command("tar", "--numeric-owner", "-C", dir, "-c", ".")
	imp := exec.Command("docker", args...)
	pipe, err := tar.StdoutPipe()
	if err != nil {
		return err
	}
	imp.Stdin = pipe
	var out bytes.Buffer
	imp.Stdout, imp.Stderr = &out, &out
	if err := tar.Start(); err != nil {
		return err
	}
	if err := imp.Run(); err != nil {
		tar.Wait()
		return &toolError{argv: append([]string{"docker"}, args...), out: out.String(), err: err}
	}
	return tar.Wait()
}

// distroLinks are the symbolic links Alpine and the RHEL family ship for
// their CA bundles (dangling in the image: the targets come from mounts),
// so the test sees the engine mount the bundle at those paths through them.
var distroLinks = map[string]string{
	"etc/ssl/cert.pem":                "certs/ca-certificates.crt",                      // Alpine
	"etc/pki/tls/certs/ca-bundle.crt": "../../ca-trust/extracted/pem/tls-ca-bundle.pem", // RHEL, Fedora
	"etc/pki/tls/cert.pem":            "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
}

// goClientImage is a FROM-scratch image holding /tlsget (a static Go HTTPS
// client using the system roots) and distroLinks; its command waits.
func goClientImage(t testing.TB) string {
	t.Helper()
	goClientOnce.Do(func() {
		src := filepath.Join(testutil.RepoRoot(), "test", "e2e", "testdata", "tlsget", "main.go")
		code, err := os.ReadFile(src)
		if err != nil {
			goClientErr = err
			return
		}
		links := ""
		for k, v := range distroLinks {
			links += k + "->" + v + ";"
		}
		goClientTag = "esbtui-e2e/tlsget:" + inputHash(code, []byte(runtime.Version()), []byte(sortedLines(links)))
		if imageExists(goClientTag) {
			return
		}
		dir, err := os.MkdirTemp("", "esbtui-e2e-tlsget-")
		if err != nil {
			goClientErr = err
			return
		}
		defer os.RemoveAll(dir)
		build := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(dir, "tlsget"), "./test/e2e/testdata/tlsget")
		build.Dir = testutil.RepoRoot()
		build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
		if out, err := build.CombinedOutput(); err != nil {
			goClientErr = &toolError{argv: build.Args, out: string(out), err: err}
			return
		}
		for link, target := range distroLinks {
			p := filepath.Join(dir, filepath.FromSlash(link))
			if goClientErr = os.MkdirAll(filepath.Dir(p), 0o755); goClientErr != nil {
				return
			}
			if goClientErr = os.Symlink(target, p); goClientErr != nil {
				return
			}
		}
		goClientErr = importRootfs(dir, goClientTag, `CMD ["/tlsget", "-wait"]`)
	})
	if goClientErr != nil {
		t.Fatalf("build the Go client image: %v", goClientErr)
	}
	return goClientTag
}

// debianImage is Debian bookworm from `debootstrap --variant=minbase` with
// curl, python3, python3-requests, nodejs and ca-certificates; its command
// sleeps.
func debianImage(t testing.TB) string {
	t.Helper()
	debianOnce.Do(func() {
		debianTag = "esbtui-e2e/debian-trust:" + inputHash([]byte(debianSuite), []byte(debianMirror), []byte(debianPackages), []byte("minbase"))
		if imageExists(debianTag) {
			return
		}
		tool, err := exec.LookPath("debootstrap")
		if err != nil {
			debianErr = err
			return
		}
		dir, err := os.MkdirTemp("", "esbtui-e2e-debootstrap-")
		if err != nil {
			debianErr = err
			return
		}
		defer os.RemoveAll(dir)
		root := filepath.Join(dir, "rootfs")
		if err := runTool(tool, "--variant=minbase", "--include="+debianPackages, debianSuite, root, debianMirror); err != nil {
			debianErr = err
			return
		}
		debianErr = importRootfs(root, debianTag, `CMD ["sleep", "infinity"]`)
	})
	if debianErr != nil {
		t.Fatalf("build the Debian image (debootstrap; ./test/run installs it): %v", debianErr)
	}
	return debianTag
}
