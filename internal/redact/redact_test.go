package redact

import (
	"bytes"
	"strings"
	"testing"
)

func TestCredentials(t *testing.T) {
	const tok = "s3cr3tT0k3n-abc_DEF.123~+/="
	for _, tc := range []struct{ in, want string }{
		{`headers=map[Authorization:[Bearer ` + tok + `]]`, `headers=map[Authorization:[Bearer [redacted]]]`},
		{`Authorization: Basic dXNlcjpwYXNzd29yZA==`, `Authorization: Basic [redacted]`},
		{`authorization: bearer   ` + tok, `authorization: bearer   [redacted]`},
		{`BEARER ` + tok + ` and Bearer ` + tok, `BEARER [redacted] and Bearer [redacted]`},
		{`the bearer of bad news`, `the bearer of bad news`},
		{`Basic auth is on`, `Basic auth is on`},
		{`no credentials here`, `no credentials here`},
	} {
		if got := Credentials(tc.in); got != tc.want {
			t.Errorf("Credentials(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if strings.Contains(Credentials(tc.in), tok) {
			t.Errorf("the token survived in %q", Credentials(tc.in))
		}
	}
}

func TestWriter(t *testing.T) {
	var buf bytes.Buffer
	in := "time=x level=info msg=\"configuring endpoint esbtui (http://h/events), timeout=2s, headers=map[Authorization:[Bearer abcdefghijklmnop]]\"\n"
	n, err := Writer(&buf).Write([]byte(in))
	if err != nil || n != len(in) {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if strings.Contains(buf.String(), "abcdefghijklmnop") || !strings.Contains(buf.String(), "Bearer [redacted]") {
		t.Fatalf("written: %q", buf.String())
	}
}
