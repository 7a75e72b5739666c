// Package backup measures esbtui backup and restore throughput on the real
// distribution registry running in-process over TLS (filesystem storage):
// a registry of ESB_BENCH_MIB MiB (default 1024) of random layers, 64 MiB
// each, 4 layers per image, backed up to a file and restored into an empty
// registry. Run: go test -run '^$' -bench . -benchtime 1x ./test/bench/backup/
package backup

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/registryclient"
	"github.com/esbtui/esbtui/registryclient/registrytest"
)

const layerMiB = 64

func totalMiB() int {
	if v, err := strconv.Atoi(os.Getenv("ESB_BENCH_MIB")); err == nil && v >= layerMiB {
		return v
	}
	return 1024
}

func BenchmarkBackupRestore(b *testing.B) {
	certDir := b.TempDir()
	if err := registrytest.EnsureCerts(certDir); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	src := registrytest.Start(b, registrytest.Options{CertDir: certDir, DataDir: b.TempDir()})
	c, err := registryclient.New(registryclient.Options{CACertFile: filepath.Join(certDir, "rootCA.crt"), CacheDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	layers := totalMiB() / layerMiB
	var ls []v1.Layer
	for i := range layers {
		l, err := registrytest.Layer(layerMiB<<20, false, uint64(i))
		if err != nil {
			b.Fatal(err)
		}
		ls = append(ls, l)
		if len(ls) == 4 || i == layers-1 {
			img, err := registrytest.Image(time.Unix(1.7e9, 0), nil, nil, ls...)
			if err != nil {
				b.Fatal(err)
			}
			ref, _ := name.ParseReference(fmt.Sprintf("%s/bench/img%02d:v1", src.Host(), i/4))
			if err := remote.Write(ref, img, remote.WithTransport(c.Transport())); err != nil {
				b.Fatal(err)
			}
			ls = nil
		}
	}
	dir := b.TempDir()
	b.ResetTimer()
	for n := range b.N {
		file := filepath.Join(dir, fmt.Sprintf("backup-%d.tar", n))
		f, err := os.Create(file)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		res, err := c.Backup(ctx, f, registryclient.BackupOptions{Registry: src.Host()}, progress.Discard)
		if err == nil {
			err = f.Sync()
		}
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		backup := time.Since(start)

		dst := registrytest.Start(b, registrytest.Options{CertDir: certDir, DataDir: b.TempDir()})
		start = time.Now()
		rf, err := os.Open(file)
		if err != nil {
			b.Fatal(err)
		}
		st, _ := rf.Stat()
		a, err := registryclient.OpenArchive(ctx, rf, st.Size(), progress.Discard)
		if err != nil {
			b.Fatal(err)
		}
		verify := time.Since(start)
		if _, err := c.Restore(ctx, a, registryclient.RestoreOptions{Registry: dst.Host()}, progress.Discard); err != nil {
			b.Fatal(err)
		}
		restore := time.Since(start)
		rf.Close()
		os.Remove(file)
		mib := float64(res.Bytes) / (1 << 20)
		b.ReportMetric(mib, "MiB")
		b.ReportMetric(mib/backup.Seconds(), "backup-MiB/s")
		b.ReportMetric(mib/verify.Seconds(), "restore-verify-MiB/s")
		b.ReportMetric(mib/restore.Seconds(), "restore-MiB/s")
	}
}
