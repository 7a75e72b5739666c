package trust

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func newNSSDB(t *testing.T, dir string) {
	t.Helper()
	mkdirs(t, dir)
	if out, err := exec.Command("certutil", "-N", "-d", "sql:"+dir, "--empty-password").CombinedOutput(); err != nil {
		t.Fatalf("certutil -N %s: %v\n%s", dir, err, out)
	}
}

func certutilList(t *testing.T, dir string) map[string]string {
	t.Helper()
	out, err := exec.Command("certutil", "-d", "sql:"+dir, "-L").CombinedOutput()
	if err != nil {
		t.Fatalf("certutil -L: %v\n%s", err, out)
	}
	return nssList(out)
}

// TestNSS runs the real certutil on temp databases: Chromium's ~/.pki/nssdb
// and a Firefox profile under a throwaway HOME.
func TestNSS(t *testing.T) {
	old, cur := testCAs(t)
	ctx := context.Background()
	home := t.TempDir()
	chromium := filepath.Join(home, ".pki", "nssdb")
	firefox := filepath.Join(home, ".mozilla", "firefox", "abcd1234.default-release")
	cfg := &Config{Home: home}
	recordInstalled(cfg, old.ca)
	if ok, why := newNSSStore(cfg, cur.ca).Applies(); ok || !strings.Contains(why, "no NSS database") {
		t.Fatalf("with no databases: %v %q", ok, why)
	}
	newNSSDB(t, chromium)
	newNSSDB(t, firefox)
	if ok, why := newNSSStore(&Config{Home: home, Tools: map[string]string{"certutil": ""}}, cur.ca).Applies(); ok || !strings.Contains(why, "install libnss3-tools") {
		t.Fatalf("without certutil: %v %q", ok, why)
	}

	// The older CA first: the current one is then stale.
	if err := apply(t, ctx, newNSSStore(cfg, old.ca), OpInstall); err != nil {
		t.Fatal(err)
	}
	s := newNSSStore(cfg, cur.ca)
	if st := s.Check(ctx); st.State != Stale {
		t.Fatalf("with the older CA only: %+v", st)
	}
	plan, err := s.Plan(ctx, OpInstall)
	if err != nil {
		t.Fatal(err)
	}
	oldNick, nick := nssNickname(old.ca.Cert), nssNickname(cur.ca.Cert)
	var want []string
	for _, db := range []string{chromium, firefox} {
		want = append(want,
			"run "+s.certutil+` -d sql:`+db+` -D -n "`+oldNick+`"`,
			"run "+s.certutil+` -d sql:`+db+` -A -t C,, -n "`+nick+`" -i `+cur.ca.File)
	}
	equalLines(t, "install plan", stepsOf(plan), want)
	start := time.Now()
	if err := apply(t, ctx, s, OpInstall); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	start = time.Now()
	st := s.Check(ctx)
	t.Logf("measured: nss install (2 databases, incl. removing the older CA) %v, check %v", took.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	if st.State != Trusted {
		t.Fatalf("after install: %+v", st)
	}
	for _, db := range []string{chromium, firefox} {
		l := certutilList(t, db)
		if l[nick] != "C,," || l[oldNick] != "" {
			t.Fatalf("%s lists %v", db, l)
		}
	}
	if plan, err := s.Plan(ctx, OpInstall); err != nil || !plan.Empty() {
		t.Fatalf("second install: %v %v", stepsOf(plan), err)
	}

	// Trust flags removed by hand: reported and repaired with -M.
	if out, err := exec.Command("certutil", "-d", "sql:"+firefox, "-M", "-n", nick, "-t", ",,").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	if st := s.Check(ctx); st.State != Missing || !strings.Contains(st.Reason, firefox) {
		t.Fatalf("untrusted entry: %+v", st)
	}
	if plan, _ := s.Plan(ctx, OpInstall); len(plan.Steps) != 1 || !strings.Contains(plan.Steps[0].String(), "-M -n") {
		t.Fatalf("repair plan: %v", stepsOf(plan))
	}
	if err := apply(t, ctx, s, OpInstall); err != nil {
		t.Fatal(err)
	}

	if err := apply(t, ctx, s, OpUninstall); err != nil {
		t.Fatal(err)
	}
	for _, db := range []string{chromium, firefox} {
		for n := range certutilList(t, db) {
			if strings.HasPrefix(n, Organization) {
				t.Fatalf("%s still lists %q", db, n)
			}
		}
	}
	if st := s.Check(ctx); st.State != Missing {
		t.Fatalf("after uninstall: %+v", st)
	}
}
