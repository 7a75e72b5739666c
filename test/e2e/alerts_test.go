package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type alertDoc struct {
	Name      string   `json:"name"`
	Level     string   `json:"level"`
	What      string   `json:"what"`
	Value     *float64 `json:"value"`
	Threshold float64  `json:"threshold"`
	Fix       string   `json:"fix"`
}

// fsDoc is status --json's registry.filesystem.
type fsDoc struct {
	Where  string `json:"where"`
	Method string `json:"method"`
	Total  int64  `json:"total_bytes"`
}

// statusDoc runs `status --json` and decodes its alerts and filesystem.
func statusDoc(t *testing.T, env []string) (alerts []alertDoc, fs *fsDoc, res cliResult) {
	t.Helper()
	res = runCLI(t, env, "status", "--json")
	var doc struct {
		Alerts   []alertDoc `json:"alerts"`
		Registry struct {
			Filesystem *fsDoc `json:"filesystem"`
		} `json:"registry"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &doc); err != nil {
		t.Fatalf("status --json: %v\n%s", err, res)
	}
	return doc.Alerts, doc.Registry.Filesystem, res
}

// statusAlerts runs `status --json` on a stack whose registry volume is
// the 64 MiB tmpfs and returns its alerts by name and the exit code. A
// volume with options is measured in the container (this machine may not
// see the engine's mount).
func statusAlerts(t *testing.T, env []string) (map[string]alertDoc, int) {
	t.Helper()
	list, fs, res := statusDoc(t, env)
	doc := struct {
		Alerts   []alertDoc
		Registry struct{ Filesystem *fsDoc }
	}{Alerts: list}
	doc.Registry.Filesystem = fs
	if fs != nil && fs.Method != "df in the container" {
		t.Errorf("a tmpfs volume measured by %q, want df in the container", fs.Method)
	}
	out := map[string]alertDoc{}
	for _, a := range doc.Alerts {
		out[a.Name] = a
	}
	if fs := doc.Registry.Filesystem; fs == nil || fs.Total > 64<<20 || fs.Total < 60<<20 {
		t.Fatalf("the registry's filesystem is not the 64 MiB tmpfs volume: %+v\n%s", fs, res.Stdout)
	}
	return out, res.Code
}

func doctorCheck(d doctorDoc, name string) (status, why, fix string) {
	for _, c := range d.Checks {
		if c.Name == name {
			return c.Status, c.Why, c.Fix
		}
	}
	return "", "", ""
}

// smallVolume writes a compose file that puts the registry's data on a
// 64 MiB tmpfs volume.
func smallVolume(t *testing.T) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "small-volume.yaml")
	if err := os.WriteFile(f, []byte("volumes:\n  registry-data:\n    driver_opts: {type: tmpfs, device: tmpfs, o: size=64m}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestAlertsStorageOnTheFixtureImage: a registry:3-like image (busybox, no
// esbtui inside) is measured through its shell's `stat -f`: the storage
// alert reads its 64 MiB volume.
func TestAlertsStorageOnTheFixtureImage(t *testing.T) {
	t.Parallel()
	s := newStackWith(t, nil, registryImage(t))
	env := s.With("ESB_COMPOSE_FILE=" + smallVolume(t))
	mustCLI(t, env, "up", "--no-tui")
	alerts, _ := statusAlerts(t, env)
	if a := alerts["storage"]; a.Level != "ok" || a.Value == nil || !strings.Contains(a.What, s.Project+"-registry:/var/lib/registry") {
		t.Fatalf("storage on the fixture image: %+v", a)
	}
}

// TestAlertsOnTheRealStack: the stack's registry keeps its data on a
// 64 MiB tmpfs volume (a compose file over the default). Empty, every
// alert is ok; after a 56 MiB push the storage is over 85 % and status
// --json and doctor warn (doctor still exits 0: a warning is not a
// failure); with esb.yaml's alerts.storage_fail at 80 it fails, doctor
// exits 3 naming it first, status exits 1. Then pushes whose digest does
// not match (400) bring the push success under 99 %: the push alert warns
// while the pull alert stays ok.
func TestAlertsOnTheRealStack(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	dir := t.TempDir()
	override := smallVolume(t)
	root := trustSandbox(t)
	env := s.With("ESB_TRUST_ROOT="+root, "ESB_COMPOSE_FILE="+override)
	mustCLI(t, env, "trust", "install", "--yes", "--no-tui")
	mustCLI(t, env, "up", "--no-tui")

	alerts, code := statusAlerts(t, env)
	if a := alerts["storage"]; a.Level != "ok" || a.Value == nil || *a.Value >= 85 {
		t.Fatalf("empty registry: storage %+v", a)
	}
	if code != 0 {
		t.Fatalf("status on a healthy, empty stack exited %d", code)
	}

	big, _ := bigImage(t, 1, 56)
	mustCLI(t, env, "push", big, "--no-tui")
	alerts, code = statusAlerts(t, env)
	a := alerts["storage"]
	if a.Level != "warn" || a.Value == nil || *a.Value < 85 || *a.Value >= 95 || a.Threshold != 85 || !strings.Contains(a.Fix, "esbtui prune --keep") {
		t.Fatalf("after a 56 MiB push into 64 MiB: storage %+v, want warn between 85 and 95 %%", a)
	}
	if code != 0 {
		t.Errorf("status with a warning exited %d, want 0", code)
	}
	if p := alerts["push success"]; p.Level != "ok" || p.Value == nil || *p.Value != 100 {
		t.Errorf("push success after a clean push: %+v", p)
	}
	d, res := runDoctor(t, env)
	if st, why, fix := doctorCheck(d, "alerts: storage"); st != "warn" || !strings.Contains(why, "% full") || fix == "" {
		t.Errorf("doctor's storage alert: %s %q %q\n%s", st, why, fix, res.Stdout)
	}
	if res.Code != 0 {
		t.Errorf("doctor with a storage warning exited %d, want 0:\n%s", res.Code, res.Stdout)
	}

	// esb.yaml's thresholds: 80 % now fails.
	pf := filepath.Join(dir, "esb.yaml")
	if err := os.WriteFile(pf, []byte("alerts: {storage_warn: 50, storage_fail: 80}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	strict := append(env, "ESB_PROJECT_FILE="+pf)
	d, res = runDoctor(t, strict)
	if st, _, fix := doctorCheck(d, "alerts: storage"); st != "fail" || !strings.Contains(fix, "esbtui gc") {
		t.Errorf("doctor's storage alert at fail 80 %%: %s %q\n%s", st, fix, res.Stdout)
	}
	if res.Code != 3 {
		t.Errorf("doctor with a failing alert exited %d, want 3:\n%s", res.Code, res.Stdout)
	}
	alerts, code = statusAlerts(t, strict)
	if a := alerts["storage"]; a.Level != "fail" || a.Threshold != 80 || code != 1 {
		t.Errorf("status at fail 80 %%: %+v, exit %d (want fail, 1)", a, code)
	}

	// Uploads whose digest does not match: the registry answers 400.
	tr := caTransport(t, s.CACert())
	cl := &http.Client{Transport: tr}
	for i := range 5 {
		resp, err := cl.Post("https://"+s.Addr()+"/v2/alerts/bad/blobs/uploads/", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusAccepted || loc == "" {
			t.Fatalf("start an upload: %s", resp.Status)
		}
		if !strings.HasPrefix(loc, "http") {
			loc = "https://" + s.Addr() + loc
		}
		sep := "?"
		if strings.Contains(loc, "?") {
			sep = "&"
		}
		req, _ := http.NewRequest(http.MethodPut, loc+sep+"digest=sha256:"+strings.Repeat("0", 64), strings.NewReader(fmt.Sprintf("not that digest %d", i)))
		resp, err = cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("PUT with a wrong digest: %s, want 400", resp.Status)
		}
	}
	alerts, _ = statusAlerts(t, env)
	if p := alerts["push success"]; p.Level != "warn" || p.Value == nil || *p.Value >= 99 || p.Threshold != 99 || !strings.Contains(p.Fix, "esbtui logs registry") {
		t.Errorf("after 5 rejected uploads: push success %+v, want warn under 99 %%", p)
	}
	if p := alerts["pull success"]; p.Level != "ok" {
		t.Errorf("pulls did not fail: pull success %+v", p)
	}
}
