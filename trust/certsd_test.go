package trust

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var testRegistries = []string{"localhost:5000", "esb-registry:5000", "host.docker.internal:5000", "127.0.0.1:5000", "[::1]:5000"}

// TestCertsD installs into docker, containerd and podman certs.d under a
// temp root.
func TestCertsD(t *testing.T) {
	old, cur := testCAs(t)
	ctx := context.Background()
	r := t.TempDir()
	mkdirs(t, filepath.Join(r, "etc/docker"), filepath.Join(r, "etc/containerd"), filepath.Join(r, "etc/containers"))
	none := map[string]string{"dockerd": "", "docker": "", "containerd": "", "podman": "", "crio": "", "buildah": "", "skopeo": ""}
	cfg := &Config{Root: r, Registries: testRegistries, Tools: none}
	recordInstalled(cfg, old.ca)

	docker := newDockerStore(cfg, cur.ca)
	st := docker.Check(ctx)
	if st.State != Missing || !strings.Contains(st.Reason, "esb-registry:5000, host.docker.internal:5000") {
		t.Fatalf("docker before: %+v", st)
	}
	loopNote := 0
	for _, d := range st.Detail {
		if strings.Contains(d, "skips TLS verification for registries on 127.0.0.0/8") {
			loopNote++
		}
	}
	if loopNote != 3 {
		t.Fatalf("loopback names not explained (want 3): %v", st.Detail)
	}
	plan, err := docker.Plan(ctx, OpInstall)
	if err != nil {
		t.Fatal(err)
	}
	n := itoa(len(cur.ca.PEM))
	equalLines(t, "docker plan", stepsOf(plan), []string{
		"write " + r + "/etc/docker/certs.d/esb-registry:5000/ca.crt (0644, " + n + " bytes)",
		"write " + r + "/etc/docker/certs.d/host.docker.internal:5000/ca.crt (0644, " + n + " bytes)",
	})

	containerd := newContainerdStore(cfg, cur.ca)
	plan, err = containerd.Plan(ctx, OpInstall)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Steps) != 10 {
		t.Fatalf("containerd plan: want ca.crt + hosts.toml for 5 names, got %v", stepsOf(plan))
	}
	for _, s := range []Store{docker, containerd, newPodmanStore(cfg, cur.ca)} {
		if err := apply(t, ctx, s, OpInstall); err != nil {
			t.Fatal(err)
		}
		if st := s.Check(ctx); st.State != Trusted {
			t.Fatalf("%s after install: %+v", s.Name(), st)
		}
		if p, err := s.Plan(ctx, OpInstall); err != nil || !p.Empty() {
			t.Fatalf("%s second install: %v %v", s.Name(), stepsOf(p), err)
		}
	}
	toml, err := os.ReadFile(filepath.Join(r, "etc/containerd/certs.d/esb-registry:5000/hosts.toml"))
	if err != nil {
		t.Fatal(err)
	}
	wantToml := "# Written by esbtui: trust the esbtui development CA for esb-registry:5000.\nserver = \"https://esb-registry:5000\"\n\n[host.\"https://esb-registry:5000\"]\n  ca = \"/etc/containerd/certs.d/esb-registry:5000/ca.crt\"\n"
	if string(toml) != wantToml {
		t.Fatalf("hosts.toml:\n%s", toml)
	}
	if exists(filepath.Join(r, "etc/docker/certs.d/localhost:5000")) {
		t.Fatal("docker got an entry for a loopback name")
	}
	if !exists(filepath.Join(r, "etc/containers/certs.d/localhost:5000/ca.crt")) {
		t.Fatal("podman has no entry for localhost:5000")
	}

	// Another CA in an entry is never overwritten: install fails naming it
	// and changes nothing.
	podman := newPodmanStore(cfg, cur.ca)
	apply(t, ctx, podman, OpUninstall)
	foreign := filepath.Join(r, "etc/containers/certs.d/esb-registry:5000/ca.crt")
	copyFile(t, "/usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt", foreign)
	err = apply(t, ctx, podman, OpInstall)
	if err == nil || !strings.Contains(err.Error(), foreign) || !strings.Contains(err.Error(), "holds another CA") {
		t.Fatalf("foreign ca.crt: %v", err)
	}
	if exists(filepath.Join(r, "etc/containers/certs.d/localhost:5000")) {
		t.Fatal("podman install went on after the conflict")
	}
	if err := apply(t, ctx, podman, OpUninstall); err != nil {
		t.Fatal(err)
	}
	if !exists(foreign) {
		t.Fatal("uninstall removed a CA that is not ours")
	}

	// An older CA of ours in docker's entries: stale, replaced on install.
	oldDocker := newDockerStore(cfg, old.ca)
	if err := apply(t, ctx, docker, OpUninstall); err != nil {
		t.Fatal(err)
	}
	if err := apply(t, ctx, oldDocker, OpInstall); err != nil {
		t.Fatal(err)
	}
	if st := docker.Check(ctx); st.State != Stale {
		t.Fatalf("docker with the older CA: %+v", st)
	}
	if err := apply(t, ctx, docker, OpInstall); err != nil {
		t.Fatal(err)
	}
	for _, s := range []Store{docker, containerd} {
		if err := apply(t, ctx, s, OpUninstall); err != nil {
			t.Fatal(err)
		}
		if st := s.Check(ctx); st.State != Missing {
			t.Fatalf("%s after uninstall: %+v", s.Name(), st)
		}
	}
	for _, base := range []string{"etc/docker/certs.d", "etc/containerd/certs.d"} {
		if ents, _ := os.ReadDir(filepath.Join(r, base)); len(ents) != 0 {
			t.Fatalf("%s not empty after uninstall: %v", base, ents)
		}
	}

	// No engine installed: not applicable, with what to do.
	if ok, why := newPodmanStore(&Config{Root: t.TempDir(), Registries: testRegistries, Tools: none}, cur.ca).Applies(); ok || !strings.Contains(why, "podman is not installed") {
		t.Fatalf("no podman: %v %q", ok, why)
	}
	// Only loopback names: docker needs nothing and says why.
	if ok, why := newDockerStore(&Config{Root: r, Registries: []string{"localhost:5000"}, Tools: none}, cur.ca).Applies(); ok || !strings.Contains(why, "127.0.0.0/8") {
		t.Fatalf("loopback only: %v %q", ok, why)
	}
}
