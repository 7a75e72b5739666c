package trust

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func hasNote(p Plan, s string) bool {
	for _, n := range p.Notes {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

const otherCANote = "belongs to another esbtui CA"

// TestDebianUninstallLeavesAnotherCA runs the real update-ca-certificates and
// keytool in a sandbox: another esbtui CA's anchor file (not installed from
// this ESB_HOME), a file named esbtui-ca-* holding two certificates, and
// Debian's Java hook alias for the other CA are reported and left alone by
// uninstall; only this CA's file and alias go.
func TestDebianUninstallLeavesAnotherCA(t *testing.T) {
	other, cur := testCAs(t)
	ctx := context.Background()
	r := debianRoot(t)
	anchors := filepath.Join(r, "usr/local/share/ca-certificates")
	ks := filepath.Join(r, "etc/ssl/certs/java/cacerts")
	copyFile(t, "/etc/ssl/certs/java/cacerts", ks)
	s := debianStore(t, r, cur.ca, nil)
	if s.keytl == "" {
		t.Fatal("keytool not found: the Debian Java hook alias cannot be tested")
	}
	p, err := s.Plan(ctx, OpInstall)
	if err != nil {
		t.Fatal(err)
	}
	if err := runPlan(ctx, s.cfg, s, p); err != nil {
		t.Fatal(err)
	}
	otherAnchor := filepath.Join(anchors, baseName(other.ca.Cert)+".crt")
	twoCerts := filepath.Join(anchors, filePrefix+"bundle.crt")
	copyFile(t, other.ca.File, otherAnchor)
	if err := os.WriteFile(twoCerts, append(append([]byte(nil), other.ca.PEM...), cur.ca.PEM...), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(s.tool, sandboxArgs(r)...).CombinedOutput(); err != nil {
		t.Fatalf("update-ca-certificates: %v\n%s", err, out)
	}
	otherAlias := "debian:" + baseName(other.ca.Cert) + ".pem"
	curAlias := "debian:" + baseName(cur.ca.Cert) + ".pem"
	for alias, file := range map[string]string{otherAlias: other.ca.File, curAlias: cur.ca.File} {
		if out, err := exec.Command(s.keytl, "-importcert", "-noprompt", "-alias", alias, "-file", file, "-keystore", ks, "-storepass", "changeit").CombinedOutput(); err != nil {
			t.Fatalf("keytool import %s: %v\n%s", alias, err, out)
		}
	}

	p, err = s.Plan(ctx, OpUninstall)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range p.Steps {
		if st.Path == otherAnchor || st.Path == twoCerts || strings.Contains(strings.Join(st.Argv, " "), otherAlias) {
			t.Errorf("uninstall plans to remove what another CA owns: %s", st)
		}
	}
	if !hasNote(p, otherCANote) {
		t.Errorf("uninstall plan does not report the other CA's entries: notes %q", p.Notes)
	}
	if err := runPlan(ctx, s.cfg, s, p); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{otherAnchor, twoCerts} {
		if !exists(f) {
			t.Errorf("uninstall removed %s, which this ESB_HOME never installed", f)
		}
	}
	if exists(s.anchorPath()) {
		t.Errorf("uninstall left this CA's anchor %s", s.anchorPath())
	}
	entries, err := listKeystoreNow(ctx, s.cfg, s.keytl, ks)
	if err != nil {
		t.Fatal(err)
	}
	aliases := map[string]bool{}
	for _, e := range entries {
		aliases[e.Alias] = true
	}
	if !aliases[otherAlias] {
		t.Errorf("uninstall deleted the Java alias %s of another esbtui CA", otherAlias)
	}
	if aliases[curAlias] {
		t.Errorf("uninstall left this CA's Java alias %s", curAlias)
	}
}

// TestJavaUninstallLeavesAnotherCA: the real keytool on a copy of cacerts.
func TestJavaUninstallLeavesAnotherCA(t *testing.T) {
	other, cur := testCAs(t)
	ctx := context.Background()
	ks := filepath.Join(t.TempDir(), "cacerts")
	copyFile(t, "/etc/ssl/certs/java/cacerts", ks)
	cfg := &Config{JavaKeystore: ks}
	s := newJavaStore(cfg, cur.ca)
	otherAlias := javaAlias(other.ca.Cert)
	if out, err := exec.Command(s.keytool, "-importcert", "-noprompt", "-alias", otherAlias, "-file", other.ca.File, "-keystore", ks, "-storepass", "changeit").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	p, err := s.Plan(ctx, OpInstall)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range p.Steps {
		if strings.Contains(strings.Join(st.Argv, " "), otherAlias) {
			t.Errorf("install plans to touch another CA's alias: %s", st)
		}
	}
	if err := runPlan(ctx, cfg, s, p); err != nil {
		t.Fatal(err)
	}
	p, err = s.Plan(ctx, OpUninstall)
	if err != nil {
		t.Fatal(err)
	}
	if !hasNote(p, otherCANote) {
		t.Errorf("uninstall plan does not report alias %s: notes %q", otherAlias, p.Notes)
	}
	if err := runPlan(ctx, cfg, s, p); err != nil {
		t.Fatal(err)
	}
	entries, err := listKeystoreNow(ctx, cfg, s.keytool, ks)
	if err != nil {
		t.Fatal(err)
	}
	left := map[string]bool{}
	for _, e := range entries {
		left[e.Alias] = true
	}
	if !left[otherAlias] || left[javaAlias(cur.ca.Cert)] {
		t.Fatalf("after uninstall: other CA's alias kept=%v, this CA's alias kept=%v", left[otherAlias], left[javaAlias(cur.ca.Cert)])
	}
}

// TestNSSUninstallLeavesAnotherCA: the real certutil on a temp database.
func TestNSSUninstallLeavesAnotherCA(t *testing.T) {
	other, cur := testCAs(t)
	ctx := context.Background()
	home := t.TempDir()
	db := filepath.Join(home, ".pki", "nssdb")
	newNSSDB(t, db)
	otherNick := nssNickname(other.ca.Cert)
	if out, err := exec.Command("certutil", "-d", "sql:"+db, "-A", "-t", "C,,", "-n", otherNick, "-i", other.ca.File).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	cfg := &Config{Home: home}
	s := newNSSStore(cfg, cur.ca)
	for _, op := range []Op{OpInstall, OpUninstall} {
		p, err := s.Plan(ctx, op)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range p.Steps {
			if strings.Contains(strings.Join(st.Argv, " "), otherNick) {
				t.Errorf("%s plans to touch another CA's nickname: %s", op, st)
			}
		}
		if op == OpUninstall && !hasNote(p, otherCANote) {
			t.Errorf("uninstall plan does not report %q: notes %q", otherNick, p.Notes)
		}
		if err := runPlan(ctx, cfg, s, p); err != nil {
			t.Fatal(err)
		}
	}
	l := certutilList(t, db)
	if _, ok := l[otherNick]; !ok {
		t.Errorf("uninstall deleted %q (another esbtui CA) from %s", otherNick, db)
	}
	if _, ok := l[nssNickname(cur.ca.Cert)]; ok {
		t.Errorf("uninstall left this CA in %s", db)
	}
}

// TestCertsDUninstallLeavesAnotherCA: a certs.d entry holding another esbtui
// CA, and a hosts.toml with esbtui's marker that is not the one this
// esbtui writes, are reported and left.
func TestCertsDUninstallLeavesAnotherCA(t *testing.T) {
	other, cur := testCAs(t)
	ctx := context.Background()
	r := t.TempDir()
	mkdirs(t, filepath.Join(r, "etc/containerd"))
	cfg := &Config{Root: r, Registries: []string{"reg.test:5000", "mine.test:5000"}, Tools: map[string]string{"containerd": ""}}
	s := newContainerdStore(cfg, cur.ca)
	p, err := s.Plan(ctx, OpInstall)
	if err != nil {
		t.Fatal(err)
	}
	if err := runPlan(ctx, cfg, s, p); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(r, "etc/containerd/certs.d/reg.test:5000")
	copyFile(t, other.ca.File, filepath.Join(dir, "ca.crt"))
	if err := os.WriteFile(filepath.Join(dir, "hosts.toml"), []byte(hostsTomlMarker+": another esbtui's entry\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err = s.Plan(ctx, OpUninstall)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range p.Steps {
		if strings.HasPrefix(st.Path, dir) {
			t.Errorf("uninstall plans to touch another CA's entry: %s", st)
		}
	}
	if !hasNote(p, otherCANote) {
		t.Errorf("uninstall plan does not report %s: notes %q", dir, p.Notes)
	}
	if err := runPlan(ctx, cfg, s, p); err != nil {
		t.Fatal(err)
	}
	if !exists(filepath.Join(dir, "ca.crt")) || !exists(filepath.Join(dir, "hosts.toml")) {
		t.Fatalf("uninstall removed another esbtui's entry in %s", dir)
	}
	if exists(filepath.Join(r, "etc/containerd/certs.d/mine.test:5000")) {
		t.Fatal("uninstall left this CA's entry for mine.test:5000")
	}
}
