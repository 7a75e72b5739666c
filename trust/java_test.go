package trust

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestJava runs the real keytool on a copy of the machine's cacerts.
func TestJava(t *testing.T) {
	old, cur := testCAs(t)
	ctx := context.Background()
	ks := filepath.Join(t.TempDir(), "cacerts")
	copyFile(t, "/etc/ssl/certs/java/cacerts", ks)
	cfg := &Config{JavaKeystore: ks}
	recordInstalled(cfg, old.ca)
	s := newJavaStore(cfg, cur.ca)
	if ok, why := s.Applies(); !ok {
		t.Fatal(why)
	}
	if ok, why := newJavaStore(&Config{Tools: map[string]string{"keytool": ""}}, cur.ca).Applies(); ok || !strings.Contains(why, "keytool not found") {
		t.Fatalf("without keytool: %v %q", ok, why)
	}
	if def := newJavaStore(&Config{}, cur.ca); def.keystore == "" {
		t.Fatalf("default JDK cacerts not found: %s", def.why)
	}
	if st := s.Check(ctx); st.State != Missing {
		t.Fatalf("before: %+v", st)
	}
	if err := apply(t, ctx, newJavaStore(cfg, old.ca), OpInstall); err != nil {
		t.Fatal(err)
	}
	if st := s.Check(ctx); st.State != Stale {
		t.Fatalf("older CA only: %+v", st)
	}
	plan, err := s.Plan(ctx, OpInstall)
	if err != nil {
		t.Fatal(err)
	}
	equalLines(t, "install plan", stepsOf(plan), []string{
		"run " + s.keytool + " -delete -alias " + javaAlias(old.ca.Cert) + " -keystore " + ks + " -storepass changeit",
		"run " + s.keytool + " -importcert -noprompt -trustcacerts -alias " + javaAlias(cur.ca.Cert) + " -file " + cur.ca.File + " -keystore " + ks + " -storepass changeit",
	})
	if len(plan.Notes) != 1 || !strings.Contains(plan.Notes[0], "ignores name constraints") {
		t.Fatalf("plan notes: %v", plan.Notes)
	}
	start := time.Now()
	if err := apply(t, ctx, s, OpInstall); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	start = time.Now()
	st := s.Check(ctx)
	t.Logf("measured: java install (delete older + import) %v, check (keytool -list) %v", took.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	if st.State != Trusted || len(st.Warnings) != 1 || !strings.Contains(st.Warnings[0], "name constraints") {
		t.Fatalf("after install: %+v", st)
	}
	if plan, err := s.Plan(ctx, OpInstall); err != nil || !plan.Empty() {
		t.Fatalf("second install: %v %v", stepsOf(plan), err)
	}
	// The same certificate under another alias (Debian's hook does this):
	// still trusted, and uninstall removes both.
	if out, err := exec.Command(s.keytool, "-importcert", "-noprompt", "-alias", "debian:x.pem", "-file", cur.ca.File, "-keystore", ks, "-storepass", "changeit").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	if err := apply(t, ctx, s, OpUninstall); err != nil {
		t.Fatal(err)
	}
	entries, err := listKeystore(ctx, cfg, s.keytool, ks)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 100 {
		t.Fatalf("keystore lost its other entries: %d left", len(entries))
	}
	for _, e := range entries {
		for _, c := range parsePEMCerts(e.Cert) {
			if isOurs(c) {
				t.Fatalf("alias %s still holds an esbtui CA", e.Alias)
			}
		}
	}
	if st := s.Check(ctx); st.State != Missing {
		t.Fatalf("after uninstall: %+v", st)
	}
}

// TestJavaListReadError: keytool output the parser cannot read (a line over
// the 1 MiB limit) is an error, not a silently short listing that would make
// uninstall miss an alias. The tool is a stand-in script beside the real
// keytool tests above: no real keytool prints such a line.
func TestJavaListReadError(t *testing.T) {
	dir := t.TempDir()
	tool := filepath.Join(dir, "keytool")
	script := "#!/bin/sh\necho 'Alias name: a'\nhead -c 2000000 /dev/zero | tr '\\0' x\necho\necho 'Alias name: b'\n"
	if err := os.WriteFile(tool, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := listKeystoreNow(context.Background(), &Config{}, tool, filepath.Join(dir, "cacerts"))
	if err == nil || !strings.Contains(err.Error(), "keytool -list") {
		t.Fatalf("listing with an unreadable line: %d entries, err %v; want an error", len(entries), err)
	}
}
