package termtext

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestClean(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain v1.2-rc_3", "plain v1.2-rc_3"},
		{"app\x1b]0;pwned\x07", "app"},
		{"\x1b[2Japp", "app"},
		{"a\x1b[31;1mred\x1b[0m", "ared"},
		{"x\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", "xlink"},
		{"\x1bPq#0;2;0;0;0\x1b\\ok", "ok"},
		{"\x1bcreset", "reset"},
		{"\x1b(Bascii", "ascii"},
		{"a\tb\nc\rd", "a b c d"},
		{"bell\x07 del\x7f nul\x00", "bell del nul"},
		{"c1 \u009b2J csi", "c1  csi"},
		{"c1 \u009d0;t\u009c osc", "c1  osc"},
		{"bad \xff\xfe utf8", "bad \ufffd\ufffd utf8"},
		{"rlo \u202egnp.exe", "rlo gnp.exe"},
		{"naïve café 日本 🐳", "naïve café 日本 🐳"},
		{"unterminated \x1b]0;title", "unterminated "},
		{"trailing esc\x1b", "trailing esc"},
	} {
		if got := Clean(c.in); got != c.want {
			t.Errorf("Clean(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestCleanLines(t *testing.T) {
	in := "line one\x1b[2K\r\nline\ttwo \x1b]0;pwned\x07\n"
	want := "line one\nline two \n"
	if got := CleanLines(in); got != want {
		t.Errorf("CleanLines(%q) = %q, want %q", in, got, want)
	}
}

// checkSafe fails when out could drive a terminal.
func checkSafe(t *testing.T, in, out string, newlines bool) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("Clean(%q) = %q: not valid UTF-8", in, out)
	}
	for _, r := range out {
		if r == '\n' && newlines {
			continue
		}
		if unicode.IsControl(r) || dropped(r) {
			t.Fatalf("Clean(%q) = %q: holds control %U", in, out, r)
		}
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"", "app", "\x1b]0;pwned\x07", "\x1b[2J", "\u009b31m", "\x1bP\x1b\\", "a\xffb", "\u202e", "日本\t\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := Clean(in)
		checkSafe(t, in, out, false)
		if strings.ContainsRune(out, '\n') {
			t.Fatalf("Clean(%q) = %q: holds a newline", in, out)
		}
		if again := Clean(out); again != out {
			t.Fatalf("Clean is not idempotent: %q -> %q -> %q", in, out, again)
		}
		lines := CleanLines(in)
		checkSafe(t, in, lines, true)
		if isPlain(in) && out != in {
			t.Fatalf("printable ASCII %q changed to %q", in, out)
		}
	})
}
