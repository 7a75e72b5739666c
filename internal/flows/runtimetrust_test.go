package flows

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/pki"
	"github.com/esbtui/esbtui/stack"
	"github.com/esbtui/esbtui/trust"
)

// TestRuntimesTrust: each runtime variable is checked against the CA by
// reading the file it names (the Java truststore decoded with the password
// from JAVA_TOOL_OPTIONS): the bundle esbtui env names passes, another CA's
// bundle, a missing file and an unset variable do not.
func TestRuntimesTrust(t *testing.T) {
	dir := t.TempDir()
	mine, other := pki.NewStore(filepath.Join(dir, "a")), pki.NewStore(filepath.Join(dir, "b"))
	for _, s := range []*pki.Store{mine, other} {
		if _, err := s.Ensure(context.Background(), pki.Options{}, progress.Discard); err != nil {
			t.Fatal(err)
		}
	}
	ca, _ := mine.LoadCA()
	oca, _ := other.LoadCA()
	b, err := trust.WriteBundle(filepath.Join(dir, "trust"), ca.Cert)
	if err != nil {
		t.Fatal(err)
	}
	ob, err := trust.WriteBundle(filepath.Join(dir, "otrust"), oca.Cert)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{
		"NODE_EXTRA_CA_CERTS": b.PEM,
		"REQUESTS_CA_BUNDLE":  ob.PEM,
		"SSL_CERT_FILE":       filepath.Join(dir, "missing.pem"),
		"JAVA_TOOL_OPTIONS":   "-Xmx1g " + stack.JavaTrustOptions(b.TrustStore, trust.TrustStorePassword),
	}
	got := map[string]RuntimeTrust{}
	for _, r := range runtimesTrust(vars, ca.Cert) {
		got[r.Variable] = r
	}
	check := func(v string, trusted, set bool, why string) {
		t.Helper()
		r := got[v]
		if r.Trusted != trusted || r.Set != set || !strings.Contains(r.Why, why) {
			t.Errorf("%s: %+v, want trusted %v set %v why ~%q", v, r, trusted, set, why)
		}
	}
	check("NODE_EXTRA_CA_CERTS", true, true, "holds esbtui's CA")
	check("REQUESTS_CA_BUNDLE", false, true, "does not hold esbtui's CA")
	check("SSL_CERT_FILE", false, true, "missing.pem")
	check("CURL_CA_BUNDLE", false, false, "is not set")
	check("JAVA_TOOL_OPTIONS", true, true, "javax.net.ssl.trustStore="+b.TrustStore+" holds esbtui's CA")

	vars["JAVA_TOOL_OPTIONS"] = stack.JavaTrustOptions(ob.TrustStore, trust.TrustStorePassword)
	if r := runtimesTrust(vars, ca.Cert)[4]; r.Trusted || !strings.Contains(r.Why, "does not hold") {
		t.Errorf("another CA's truststore: %+v", r)
	}
	vars["JAVA_TOOL_OPTIONS"] = stack.JavaTrustOptions(b.TrustStore, "wrong")
	if r := runtimesTrust(vars, ca.Cert)[4]; r.Trusted || !strings.Contains(r.Why, "not a PKCS#12 truststore with that password") {
		t.Errorf("wrong password: %+v", r)
	}
}
