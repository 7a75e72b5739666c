package pki

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzParsePEM feeds arbitrary bytes to the certificate and key loaders:
// they must return an error or a value, never panic.
func FuzzParsePEM(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/seed-*.pem")
	for _, p := range seeds {
		b, _ := os.ReadFile(p)
		f.Add(b)
	}
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"))
	f.Add([]byte("-----BEGIN PRIVATE KEY-----\n\n-----END PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if certs, err := ParseCertsPEM(data); err == nil {
			for _, c := range certs {
				_ = Fingerprint(c)
				_ = KeyDescription(c.PublicKey)
			}
		}
		_, _ = ParseKeyPEM(data)
	})
}

// FuzzInspect writes arbitrary bytes as the server certificate and checks
// that inspection reports instead of failing.
func FuzzInspect(f *testing.F) {
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		s := NewStore(dir)
		if err := os.WriteFile(s.Path(ServerCertFile), data, 0o644); err != nil {
			t.Fatal(err)
		}
		r := s.Inspect(time.Now())
		if r.OK() {
			t.Fatal("a store without a CA reported OK")
		}
	})
}
