// Package alerts measures what the registry's alerts cost `esbtui status`
// on a real stack: the storage filesystem measured in the registry
// container (engine connect, ps, inspect, exec of `registryd df` in
// esbtui's image or the shell's `stat -f` in the fixture image) and the
// evaluation, beside the metrics scrape status already made and the whole
// snapshot.
//
//	go test -run '^$' -bench . -benchtime 20x ./test/bench/alerts/
package alerts

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/esbtui/esbtui/internal/config"
	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/testutil"
)

// upStack builds esbtui and brings a private stack up whose registry runs
// image ("" for esbtui's own); it is taken down with its volumes when b
// ends.
func upStack(b *testing.B, image string) config.Config {
	dir := b.TempDir()
	bin, err := testutil.BuildESBTUI(dir)
	if err != nil {
		b.Fatal(err)
	}
	port, err := testutil.FreePortPair(nil)
	if err != nil {
		b.Fatal(err)
	}
	suffix := make([]byte, 4)
	rand.Read(suffix)
	project := "esbalerts-" + hex.EncodeToString(suffix)
	home := filepath.Join(dir, "home")
	env := append(os.Environ(), "ESB_HOME="+home, "ESB_PROJECT="+project, fmt.Sprintf("ESB_REGISTRY_PORT=%d", port), "NO_COLOR=1")
	env = slices.DeleteFunc(env, func(kv string) bool { return strings.HasPrefix(kv, "ESB_REGISTRY_IMAGE=") })
	if image != "" {
		env = append(env, "ESB_REGISTRY_IMAGE="+image)
	}
	run := func(args ...string) error {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("esbtui %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
		return nil
	}
	b.Cleanup(func() {
		if err := run("down", "--volumes", "--yes", "--no-tui"); err != nil {
			b.Log("cleanup:", err)
		}
	})
	for _, args := range [][]string{{"init", "--skip-trust", "--no-tui"}, {"up", "--no-tui"}} {
		if err := run(args...); err != nil {
			b.Fatal(err)
		}
	}
	cfg := config.FromHome(home)
	cfg.Project, cfg.RegistryPort, cfg.Registry = project, port, fmt.Sprintf("localhost:%d", port)
	return cfg
}

func median(ds []time.Duration) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[len(s)/2].Microseconds()) / 1000
}

// BenchmarkStatusAlerts reports medians (ms) of: the metrics scrape status
// makes anyway, the storage filesystem measured for the alerts (the
// alerts' own cost in status) — statfs here (the stack's plain volume on a
// local engine, as root) and by an exec in the container — evaluating the
// thresholds, and the whole status snapshot.
func BenchmarkStatusAlerts(b *testing.B) {
	fixture, err := testutil.RegistryImage(os.Getenv("ESB_REGISTRY_IMAGE"))
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct{ name, image string }{{"esbtui-image", ""}, {"fixture-image", fixture}} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := upStack(b, tc.image)
			e := flows.New(cfg)
			defer e.Close()
			// The same registry measured by an exec in its container, as
			// for an engine that does not share this machine's files or a
			// volume with options (tmpfs, NFS).
			copyCfg := cfg
			copyCfg.EngineFiles = config.EngineFilesCopy
			ec := flows.New(copyCfg)
			defer ec.Close()
			ctx := context.Background()
			var scrape, storage, storageExec, eval, status []time.Duration
			b.ResetTimer()
			for range b.N {
				t := time.Now()
				ms, err := e.ScrapeMetrics(ctx)
				scrape = append(scrape, time.Since(t))
				if err != nil {
					b.Fatal(err)
				}
				t = time.Now()
				fs, err := e.MeasureStorage(ctx)
				storage = append(storage, time.Since(t))
				if err != nil {
					b.Fatal(err)
				}
				t = time.Now()
				fsExec, err := ec.MeasureStorage(ctx)
				storageExec = append(storageExec, time.Since(t))
				if err != nil || fsExec.Method != "df in the container" || fsExec.Total != fs.Total {
					b.Fatalf("measured in the container: %+v %v, here: %+v", fsExec, err, fs)
				}
				m := flows.ComputeMetrics(nil, ms)
				t = time.Now()
				alerts := flows.EvaluateAlerts(cfg.Alerts, flows.AlertInputs{Storage: fs, Metrics: &m})
				eval = append(eval, time.Since(t))
				if len(alerts) != 4 || alerts[0].Level == flows.AlertUnknown {
					b.Fatalf("alerts %+v", alerts)
				}
				t = time.Now()
				snap := e.Snapshot(ctx)
				status = append(status, time.Since(t))
				if len(snap.Alerts) != 4 || snap.Registry == nil || snap.Registry.Filesystem == nil {
					b.Fatalf("snapshot without alerts: %+v", snap.Alerts)
				}
			}
			b.StopTimer()
			b.ReportMetric(median(scrape), "scrape-ms")
			b.ReportMetric(median(storage), "storage-ms")
			b.ReportMetric(median(storageExec), "storage-exec-ms")
			b.ReportMetric(median(eval)*1000, "evaluate-µs")
			b.ReportMetric(median(status), "status-ms")
		})
	}
}
