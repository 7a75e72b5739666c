package trust

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func debianStore(t *testing.T, root string, ca CA, tools map[string]string) *fileSystemStore {
	t.Helper()
	cfg := &Config{Root: root, GOOS: "linux", Tools: tools, Sudo: testSudo}
	s, ok := newSystemStore(cfg, ca).(*fileSystemStore)
	if !ok || s.spec.family != FamilyDebian {
		t.Fatalf("system store for the sandbox is %T %+v, want the Debian one", newSystemStore(cfg, ca), s)
	}
	if ok, why := s.Applies(); !ok {
		t.Fatalf("Debian store does not apply: %s", why)
	}
	return s
}

func sandboxArgs(r string) []string {
	return []string{"--certsconf", r + "/etc/ca-certificates.conf", "--certsdir", r + "/usr/share/ca-certificates",
		"--localcertsdir", r + "/usr/local/share/ca-certificates", "--etccertsdir", r + "/etc/ssl/certs",
		"--hooksdir", r + "/etc/ca-certificates/update.d"}
}

// TestDebianInstallVerifyUninstall runs the real update-ca-certificates in a
// sandbox tree, then checks with Go's verifier and curl (each trusting only
// the generated bundle) that a TLS server with our cert is accepted, and
// refused again after uninstall.
func TestDebianInstallVerifyUninstall(t *testing.T) {
	_, p := testCAs(t)
	ctx := context.Background()
	r := debianRoot(t)
	s := debianStore(t, r, p.ca, nil)
	bundle := filepath.Join(r, "etc/ssl/certs/ca-certificates.crt")
	anchor := filepath.Join(r, "usr/local/share/ca-certificates", baseName(p.ca.Cert)+".crt")
	tool := s.tool
	url := tlsServer(t, p)

	if st := s.Check(ctx); st.State != Missing {
		t.Fatalf("before install: %+v", st)
	}
	plan, err := s.Plan(ctx, OpInstall)
	if err != nil {
		t.Fatal(err)
	}
	equalLines(t, "install plan", stepsOf(plan), []string{
		"write " + anchor + " (0644, " + itoa(len(p.ca.PEM)) + " bytes)",
		"run " + strings.Join(append([]string{tool}, sandboxArgs(r)...), " "),
	})
	if plan.NeedsRoot {
		t.Fatal("a sandbox tree we own must not need root")
	}

	start := time.Now()
	if err := apply(t, ctx, s, OpInstall); err != nil {
		t.Fatal(err)
	}
	installTook := time.Since(start)
	start = time.Now()
	st := s.Check(ctx)
	checkTook := time.Since(start)
	t.Logf("measured: debian install (update-ca-certificates, %s) %v, check %v", r, installTook.Round(time.Millisecond), checkTook.Round(time.Millisecond))
	if st.State != Trusted {
		t.Fatalf("after install: %+v", st)
	}
	if b, _ := os.ReadFile(anchor); string(b) != string(p.ca.PEM) {
		t.Fatal("anchor file is not the CA byte for byte")
	}
	if err := goGet(t, bundle, url); err != nil {
		t.Fatalf("Go with SSL_CERT_FILE=%s refused our server: %v", bundle, err)
	}
	if err := curlGet(t, bundle, url); err != nil {
		t.Fatalf("curl with the generated bundle refused our server: %v", err)
	}

	// Second install: nothing to do, and the tool agrees (0 added, 0 removed).
	if plan, err := s.Plan(ctx, OpInstall); err != nil || !plan.Empty() {
		t.Fatalf("second install plan: %v %v", stepsOf(plan), err)
	}
	out, err := exec.Command(tool, sandboxArgs(r)...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "0 added, 0 removed") {
		t.Fatalf("update-ca-certificates after install: %v\n%s", err, out)
	}

	// Debian's jks-keystore hook adds the CA to Java's cacerts as
	// debian:<name>.pem; the sandbox has no hook, so add it as the hook would.
	cacerts := filepath.Join(r, "etc/ssl/certs/java/cacerts")
	copyFile(t, "/etc/ssl/certs/java/cacerts", cacerts)
	alias := "debian:" + baseName(p.ca.Cert) + ".pem"
	if out, err := exec.Command(s.keytl, "-importcert", "-noprompt", "-alias", alias, "-file", p.ca.File, "-keystore", cacerts, "-storepass", "changeit").CombinedOutput(); err != nil {
		t.Fatalf("simulate the Java hook: %v\n%s", err, out)
	}

	plan, err = s.Plan(ctx, OpUninstall)
	if err != nil {
		t.Fatal(err)
	}
	equalLines(t, "uninstall plan", stepsOf(plan), []string{
		"run " + s.keytl + " -delete -alias " + alias + " -keystore " + cacerts + " -storepass changeit",
		"remove " + anchor,
		"run " + strings.Join(append([]string{tool, "--fresh"}, sandboxArgs(r)...), " "),
	})
	start = time.Now()
	if err := apply(t, ctx, s, OpUninstall); err != nil {
		t.Fatal(err)
	}
	t.Logf("measured: debian uninstall (--fresh + keytool -delete) %v", time.Since(start).Round(time.Millisecond))
	if st := s.Check(ctx); st.State != Missing {
		t.Fatalf("after uninstall: %+v", st)
	}
	if exists(anchor) {
		t.Fatal("anchor file left behind")
	}
	if b := readBundle(&Config{}, bundle, p.ca.Cert); b.Has || !b.Present {
		t.Fatalf("bundle after uninstall: %+v", b)
	}
	m, _ := filepath.Glob(filepath.Join(r, "etc/ssl/certs", baseName(p.ca.Cert)+"*"))
	if len(m) > 0 {
		t.Fatalf("links left in etc/ssl/certs: %v", m)
	}
	entries, err := listKeystore(ctx, s.cfg, s.keytl, cacerts)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Alias == alias {
			t.Fatalf("Java alias %s left behind", alias)
		}
	}
	if err := goGet(t, bundle, url); err == nil {
		t.Fatal("Go still accepts our server after uninstall")
	}
	if err := curlGet(t, bundle, url); err == nil {
		t.Fatal("curl still accepts our server after uninstall")
	}
	if plan, err := s.Plan(ctx, OpUninstall); err != nil || !plan.Empty() {
		t.Fatalf("second uninstall plan: %v %v", stepsOf(plan), err)
	}
}

// TestDebianHalfInstalledAndStale: a file without a refreshed bundle is
// reported as half installed and fixed by a refresh alone; an older CA of
// ours is reported stale and replaced.
func TestDebianHalfInstalledAndStale(t *testing.T) {
	old, cur := testCAs(t)
	ctx := context.Background()
	r := debianRoot(t)
	anchor := filepath.Join(r, "usr/local/share/ca-certificates", baseName(cur.ca.Cert)+".crt")

	copyFile(t, cur.ca.File, anchor) // file present, bundle never built
	s := debianStore(t, r, cur.ca, nil)
	recordInstalled(s.cfg, old.ca)
	st := s.Check(ctx)
	if st.State != Missing || !strings.Contains(st.Reason, "half installed") || !strings.Contains(st.Reason, anchor) {
		t.Fatalf("half-installed state reported as %+v", st)
	}
	plan, err := s.Plan(ctx, OpInstall)
	if err != nil {
		t.Fatal(err)
	}
	equalLines(t, "repair plan", stepsOf(plan), []string{"run " + strings.Join(append([]string{s.tool}, sandboxArgs(r)...), " ")})
	if err := apply(t, ctx, s, OpUninstall); err != nil {
		t.Fatal(err)
	}

	// The older CA installed, then the current one checked: stale.
	if err := apply(t, ctx, debianStore(t, r, old.ca, nil), OpInstall); err != nil {
		t.Fatal(err)
	}
	st = s.Check(ctx)
	if st.State != Stale {
		t.Fatalf("with only the older CA installed: %+v", st)
	}
	oldAnchor := filepath.Join(r, "usr/local/share/ca-certificates", baseName(old.ca.Cert)+".crt")
	plan, err = s.Plan(ctx, OpInstall)
	if err != nil {
		t.Fatal(err)
	}
	equalLines(t, "replace plan", stepsOf(plan), []string{
		"remove " + oldAnchor,
		"write " + anchor + " (0644, " + itoa(len(cur.ca.PEM)) + " bytes)",
		"run " + strings.Join(append([]string{s.tool}, sandboxArgs(r)...), " "),
	})
	if err := apply(t, ctx, s, OpInstall); err != nil {
		t.Fatal(err)
	}
	b := readBundle(&Config{}, filepath.Join(r, "etc/ssl/certs/ca-certificates.crt"), cur.ca.Cert)
	if !b.Has || len(b.Stale) != 0 {
		t.Fatalf("bundle after replacing the older CA: has=%v stale=%d", b.Has, len(b.Stale))
	}
	if st := s.Check(ctx); st.State != Trusted || len(st.Warnings) != 0 {
		t.Fatalf("after replace: %+v", st)
	}
}

// TestDebianToolFails: a refresh tool that exits non-zero is reported with
// its argv and exit status, after the steps that ran, and nothing else is
// touched.
func TestDebianToolFails(t *testing.T) {
	_, p := testCAs(t)
	ctx := context.Background()
	r := debianRoot(t)
	falseBin, err := exec.LookPath("false")
	if err != nil {
		t.Fatal(err)
	}
	s := debianStore(t, r, p.ca, map[string]string{"update-ca-certificates": falseBin})
	err = apply(t, ctx, s, OpInstall)
	var se *StepError
	var te *ToolError
	if !errors.As(err, &se) || !errors.As(err, &te) {
		t.Fatalf("want a StepError wrapping a ToolError, got %T %v", err, err)
	}
	if te.ExitCode != 1 || te.Argv[0] != falseBin || len(se.Done) != 1 || len(se.Left) != 0 {
		t.Fatalf("error detail: exit %d argv %v done %d left %d", te.ExitCode, te.Argv, len(se.Done), len(se.Left))
	}
	if !strings.Contains(err.Error(), "exited with status 1") || !strings.Contains(err.Error(), "1 step(s) done before it") {
		t.Fatalf("message: %v", err)
	}
	ents, _ := os.ReadDir(filepath.Join(r, "etc/ssl/certs"))
	if len(ents) != 0 {
		t.Fatalf("etc/ssl/certs touched: %d entries", len(ents))
	}
	if st := s.Check(ctx); st.State != Missing || !strings.Contains(st.Reason, "half installed") {
		t.Fatalf("state after the failed refresh: %+v", st)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
