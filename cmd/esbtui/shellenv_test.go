package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestShellExportsRoundTrip: values with quotes, spaces, $ and backslashes
// come out of a real shell's eval exactly as given.
func TestShellExportsRoundTrip(t *testing.T) {
	vars := map[string]string{
		"SSL_CERT_FILE":     "/home/o'neil/.esb/trust/ca-bundle.pem",
		"JAVA_TOOL_OPTIONS": `-Dx=$HOME -Dy=\n -Djavax.net.ssl.trustStore=/a b/ca-truststore.p12`,
	}
	for _, shell := range []string{"sh", "bash"} {
		script := shellExports(shell, vars) + `printf '%s\n%s\n' "$SSL_CERT_FILE" "$JAVA_TOOL_OPTIONS"`
		out, err := exec.Command(shell, "-c", script).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", shell, err, out)
		}
		want := vars["SSL_CERT_FILE"] + "\n" + vars["JAVA_TOOL_OPTIONS"] + "\n"
		if string(out) != want {
			t.Errorf("%s: got %q, want %q", shell, out, want)
		}
	}
	fish := shellExports("fish", vars)
	if !strings.Contains(fish, `set -gx SSL_CERT_FILE '/home/o\'neil/.esb/trust/ca-bundle.pem';`) {
		t.Errorf("fish:\n%s", fish)
	}
}
