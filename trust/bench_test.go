package trust

import (
	"context"
	"path/filepath"
	"testing"
)

// BenchmarkDebianCheck: one Check of a sandboxed Debian store holding the
// machine's CA set plus ours (reads the anchor and parses the bundle).
func BenchmarkDebianCheck(b *testing.B) {
	_, p := testCAs(b)
	r := debianRoot(b)
	cfg := &Config{Root: r, GOOS: "linux"}
	s := newSystemStore(cfg, p.ca)
	ctx := context.Background()
	if err := apply(b, ctx, s, OpInstall); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if st := s.Check(ctx); st.State != Trusted {
			b.Fatal(st)
		}
	}
}

// BenchmarkJavaCheck: a Check of a cacerts copy; the listing is cached by
// size and mtime, so this is the cost of a repeated status.
func BenchmarkJavaCheck(b *testing.B) {
	_, p := testCAs(b)
	ks := filepath.Join(b.TempDir(), "cacerts")
	copyFile(b, "/etc/ssl/certs/java/cacerts", ks)
	s := newJavaStore(&Config{JavaKeystore: ks, Keystores: NewKeystoreCache()}, p.ca)
	ctx := context.Background()
	s.Check(ctx)
	b.ResetTimer()
	for b.Loop() {
		if st := s.Check(ctx); st.State != Missing {
			b.Fatal(st)
		}
	}
}
