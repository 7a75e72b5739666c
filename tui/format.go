package tui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// humanDuration is compact: 45s, 12m, 3h20m, 5d.
func humanDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// bar is a text progress bar: the filled part is solid, the rest shaded, so
// it reads without colour.
func bar(frac float64, w int) string {
	if w <= 0 {
		return ""
	}
	frac = min(max(frac, 0), 1)
	n := int(frac*float64(w) + 0.5)
	return strings.Repeat("█", n) + strings.Repeat("░", w-n)
}

// shortDigest keeps "sha256:" and 12 hex digits.
func shortDigest(d string) string {
	if i := strings.IndexByte(d, ':'); i >= 0 && len(d) > i+13 {
		return d[:i+13]
	}
	return d
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// wrapIndent is prefix (styled, one line) followed by the plain text
// word-wrapped to w cells, continuation lines starting with indent; style,
// when set, colours each piece of text.
func wrapIndent(prefix, text string, w int, indent string, style func(string) string) []string {
	if style == nil {
		style = func(s string) string { return s }
	}
	first := max(w-ansi.StringWidth(prefix), 10)
	if ansi.StringWidth(text) <= first {
		return []string{prefix + style(text)}
	}
	head, rest, _ := strings.Cut(ansi.Wrap(text, first, " /,"), "\n")
	head = strings.TrimRight(head, " ")
	if strings.HasPrefix(text, head) {
		rest = text[len(head):]
	}
	out := []string{prefix + style(head)}
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return out
	}
	for _, l := range strings.Split(ansi.Wrap(rest, max(w-ansi.StringWidth(indent), 10), " /,"), "\n") {
		out = append(out, indent+style(l))
	}
	return out
}
