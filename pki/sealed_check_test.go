package pki

import (
	"strings"
	"testing"
)

// TestSealedBundleIsChecked: a bundle's root must be a CA certificate and
// its server chain must be certificates starting with the server
// certificate; a chain without the server pair is refused.
func TestSealedBundleIsChecked(t *testing.T) {
	src := newStore(t)
	ensure(t, src, Options{})
	files := map[string]string{}
	for _, n := range sealedFiles {
		files[n] = string(read(t, src, n))
	}
	if _, err := parseSealed(sealedDoc{Version: sealedVersion, Files: files}); err != nil {
		t.Fatalf("the store's own files: %v", err)
	}
	for name, c := range map[string]struct {
		edit func(map[string]string)
		want string
	}{
		"chain of something else": {func(f map[string]string) { f[ServerChainFile] = f[CACertFile] }, "does not start with"},
		"chain not PEM":           {func(f map[string]string) { f[ServerChainFile] = "junk" }, ServerChainFile},
		"chain alone": {func(f map[string]string) {
			delete(f, ServerCertFile)
			delete(f, ServerKeyFile)
		}, "comes only with"},
		"root is the leaf": {func(f map[string]string) {
			f[CACertFile], f[CAKeyFile] = f[ServerCertFile], f[ServerKeyFile]
			delete(f, ServerCertFile)
			delete(f, ServerKeyFile)
			delete(f, ServerChainFile)
		}, "not a CA certificate"},
	} {
		f := map[string]string{}
		for k, v := range files {
			f[k] = v
		}
		c.edit(f)
		if _, err := parseSealed(sealedDoc{Version: sealedVersion, Files: f}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want one saying %q", name, err, c.want)
		}
	}
}
