package e2e

import (
	"archive/tar"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// containedESB runs a static esbtui inside a FROM-scratch container: its
// ESB_HOME is a path in that container (a volume at /esb, not a directory
// of this machine the engine could mount), the engine is the machine's,
// reached through its socket, and the network is the host's (up probes
// https://localhost:PORT).
type containedESB struct {
	image, homeVolume, project string
	port                       int
	env                        []string
}

func newContainedESB(t *testing.T, env ...string) *containedESB {
	t.Helper()
	ctx := t.TempDir()
	os.Chmod(ctx, 0o755)
	bin, err := os.ReadFile(esbtuiStaticBin(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ctx, "esbtui"), bin, 0o755); err != nil {
		t.Fatal(err)
	}
	df := "FROM scratch\nCOPY esbtui /esbtui\nENTRYPOINT [\"/esbtui\"]\n"
	if err := os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	c := &containedESB{image: randomName("esbe2e-contained") + ":test", homeVolume: randomName("esbe2e-home"), project: randomName("esbe2e"), port: freePort(t)}
	if out, err := exec.Command("docker", "build", "-q", "-t", c.image, ctx).CombinedOutput(); err != nil {
		t.Fatalf("docker build the contained esbtui: %v: %s", err, out)
	}
	c.env = append([]string{
		"ESB_HOME=/esb", "HOME=/esb", "TMPDIR=/tmp",
		"ESB_PROJECT=" + c.project, "ESB_REGISTRY_PORT=" + strconv.Itoa(c.port),
	}, env...)
	t.Cleanup(func() {
		if res := c.run("down", "--volumes", "--yes", "--no-tui"); res.err != nil {
			t.Logf("cleanup: contained esbtui down: %v: %s", res.err, res.out)
		}
		label := "label=com.docker.compose.project=" + c.project
		for _, kind := range []string{"container", "volume", "network"} {
			out, _ := exec.Command("docker", kind, "ls", "-q", "--filter", label).Output()
			if ids := strings.Fields(string(out)); len(ids) > 0 {
				args := append([]string{kind, "rm"}, ids...)
				if kind == "container" {
					args = append([]string{kind, "rm", "-f"}, ids...)
				}
				out, err := exec.Command("docker", args...).CombinedOutput()
				t.Logf("cleanup: docker %v: %v %s", args, err, out)
			}
		}
		exec.Command("docker", "volume", "rm", c.homeVolume).Run()
		exec.Command("docker", "rmi", c.image).Run()
	})
	return c
}

type containedResult struct {
	out string
	err error
}

func (c *containedESB) run(args ...string) containedResult {
	argv := []string{"run", "--rm", "--network", "host", "-v", "/var/run/docker.sock:/var/run/docker.sock", "-v", c.homeVolume + ":/esb", "--tmpfs", "/tmp"}
	for _, e := range c.env {
		argv = append(argv, "-e", e)
	}
	argv = append(append(argv, c.image), args...)
	out, err := exec.Command("docker", argv...).CombinedOutput()
	return containedResult{string(out), err}
}

func (c *containedESB) must(t *testing.T, args ...string) string {
	t.Helper()
	res := c.run(args...)
	if res.err != nil {
		t.Fatalf("contained esbtui %v: %v\n%s", args, res.err, res.out)
	}
	return res.out
}

// file copies a file out of the contained esbtui's ESB_HOME.
func (c *containedESB) file(t *testing.T, path string) []byte {
	t.Helper()
	id := strings.TrimSpace(mustOutputStr(t, "docker", "create", "-v", c.homeVolume+":/esb", c.image))
	defer exec.Command("docker", "rm", "-f", id).Run()
	dst := filepath.Join(t.TempDir(), "f")
	mustOutputStr(t, "docker", "cp", id+":"+path, dst)
	data, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func mustOutputStr(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v: %s", name, args, err, out)
	}
	return string(out)
}

// TestStackOnAnEngineWithoutEsbtuisFiles: esbtui runs where the engine
// cannot see its files (inside a container with the engine's socket,
// ESB_HOME in that container's filesystem). The certificate, key and
// htpasswd go through the API — found by itself (auto: the engine's data
// root is not in esbtui's filesystem) and forced (ESB_ENGINE_FILES=copy):
// the stack comes up healthy, serves the server certificate of the CA
// created in the container, mounts nothing from a host path, and `auth
// rotate` takes effect without a restart.
func TestStackOnAnEngineWithoutEsbtuisFiles(t *testing.T) {
	t.Parallel()
	for name, env := range map[string][]string{"auto": nil, "copy": {"ESB_ENGINE_FILES=copy"}} {
		t.Run(name, func(t *testing.T) { stackWithoutEsbtuisFiles(t, env) })
	}
}

func stackWithoutEsbtuisFiles(t *testing.T, env []string) {
	c := newContainedESB(t, env...)
	c.must(t, "init", "--skip-trust", "--no-tui")
	out := c.must(t, "up", "--auth", "--no-tui")
	if !strings.Contains(out, "through its API") {
		t.Errorf("up did not report copying the files through the API:\n%s", out)
	}

	// TLS from this process to the published port, verified against the
	// CA that exists only inside the container.
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(c.file(t, "/esb/certs/rootCA.crt")) {
		t.Fatal("the contained CA certificate does not parse")
	}
	conn, err := tls.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)), &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatalf("TLS to the stack's registry, verified against the contained CA: %v", err)
	}
	leaf := conn.ConnectionState().PeerCertificates[0]
	conn.Close()
	block, _ := pem.Decode(c.file(t, "/esb/certs/server.crt"))
	if block == nil || !bytes.Equal(block.Bytes, leaf.Raw) {
		t.Errorf("the registry serves a certificate (serial %s) that is not the contained server.crt", leaf.SerialNumber)
	}

	// Nothing bind-mounted from a host path; the key is 0600.
	name := c.project + "-registry"
	var mounts []struct{ Type, Source, Destination string }
	if err := json.Unmarshal([]byte(mustOutputStr(t, "docker", "inspect", "--format", "{{json .Mounts}}", name)), &mounts); err != nil {
		t.Fatal(err)
	}
	for _, m := range mounts {
		if m.Type == "bind" {
			t.Errorf("the registry bind-mounts %s at %s", m.Source, m.Destination)
		}
	}
	if len(mounts) < 3 {
		t.Errorf("registry mounts %+v: want the data, certs and auth volumes", mounts)
	}
	helper := strings.TrimSpace(mustOutputStr(t, "docker", "create", "-v", c.project+"_registry-certs:/certs", c.image))
	defer exec.Command("docker", "rm", "-f", helper).Run()
	modes := map[string]int64{}
	tr := tar.NewReader(strings.NewReader(mustOutputStr(t, "docker", "cp", helper+":/certs", "-")))
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		modes[path.Base(h.Name)] = h.Mode & 0o777
	}
	if _, ok := modes["rootCA.key"]; ok {
		t.Errorf("the CA key reached the engine")
	}
	if modes["server.key"] != 0o600 || modes["server.crt"] != 0o644 {
		t.Errorf("file modes in the certs volume: %v (want server.key 0600 = 384, server.crt 0644 = 420)", modes)
	}

	// auth rotate reaches the running registry through the volume.
	out = c.must(t, "auth", "rotate", "--no-tui")
	if !strings.Contains(out, "new password accepted, old one refused") {
		t.Errorf("auth rotate did not take effect on the running registry:\n%s", out)
	}
}

// TestLocalEngineKeepsBindMounts: an engine that shares esbtui's
// filesystem (the machine's own) still gets the files as read-only bind
// mounts of the certificate directory, and no file volume is made.
func TestLocalEngineKeepsBindMounts(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	mustCLI(t, s.Env, "up", "--no-tui")
	var mounts []struct{ Type, Source, Destination string }
	if err := json.Unmarshal([]byte(docker(t, "inspect", "--format", "{{json .Mounts}}", s.Project+"-registry")), &mounts); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range mounts {
		if m.Destination == "/certs/server.key" && m.Type == "bind" && m.Source == filepath.Join(s.Home, "certs", "server.key") {
			found = true
		}
	}
	if !found {
		t.Errorf("registry mounts %+v: want server.key bind-mounted from %s", mounts, s.Home)
	}
	if v := docker(t, "volume", "ls", "-q", "--filter", "name="+s.Project+"_registry-certs"); v != "" {
		t.Errorf("a local engine got a file volume: %s", v)
	}
}

// TestCopiedFilesOnTheDistributionImage: the copied files serve a
// registry:3-like image too (its helper container is created from that
// image), with auth and rotation.
func TestCopiedFilesOnTheDistributionImage(t *testing.T) {
	t.Parallel()
	s := newStackWith(t, nil, registryImage(t))
	env := s.With("ESB_ENGINE_FILES=copy")
	up := mustCLI(t, env, "up", "--auth", "--no-tui")
	if !strings.Contains(up.Stdout+up.Stderr, "through its API") {
		t.Fatalf("up did not copy the files: %s", up)
	}
	out := docker(t, "inspect", "--format", "{{range .Mounts}}{{.Type}}:{{.Destination}} {{end}}", s.Project+"-registry")
	if strings.Contains(out, "bind:") || !strings.Contains(out, "volume:/certs") {
		t.Errorf("registry mounts %s: want /certs from a volume, no bind mount", out)
	}
	rot := mustCLI(t, env, "auth", "rotate", "--no-tui")
	if !strings.Contains(rot.Stdout+rot.Stderr, "new password accepted, old one refused") {
		t.Errorf("auth rotate did not take effect: %s", rot)
	}
}
