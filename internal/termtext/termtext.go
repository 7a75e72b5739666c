// Package termtext makes text from outside (registries, containers, logs)
// safe to show on a terminal: escape sequences and control characters are
// removed, so a repository name, a log line or a user agent can never move
// the cursor, retitle the window, clear the screen or hide what follows.
package termtext

import (
	"strings"
	"unicode/utf8"
)

const (
	esc = 0x1b
	bel = 0x07
)

// Clean returns s as one line of printable text: escape sequences (CSI
// "ESC [", OSC "ESC ]" up to BEL or ST, DCS/SOS/PM/APC up to ST, and
// two-character escapes) and their 8-bit C1 forms are removed whole; tab,
// newline and carriage return become a space; every other C0/C1 control,
// DEL and bidirectional override is dropped; invalid UTF-8 becomes U+FFFD.
// Printable text, including non-ASCII, is kept as it is.
func Clean(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	clean(&b, s, false)
	return b.String()
}

// CleanLines is Clean for multi-line text (logs, health-check output): the
// newlines stay, everything else is cleaned as by Clean.
func CleanLines(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	clean(&b, s, true)
	return b.String()
}

// isPlain reports whether s is printable ASCII only (the common case,
// returned as is without allocating).
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

func clean(b *strings.Builder, s string, keepNewlines bool) {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteRune(utf8.RuneError)
		case r == esc:
			i = skipEscape(s, i+size)
			continue
		case r == 0x9b: // C1 CSI
			i = skipCSI(s, i+size)
			continue
		case r == 0x9d || r == 0x90 || r == 0x98 || r == 0x9e || r == 0x9f: // C1 OSC, DCS, SOS, PM, APC
			i = skipString(s, i+size)
			continue
		case r == '\n' && keepNewlines:
			b.WriteByte('\n')
		case r == '\t' || r == '\n' || r == '\r':
			if !(r == '\r' && keepNewlines) {
				b.WriteByte(' ')
			}
		case dropped(r):
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
}

// dropped: C0 and C1 controls, DEL, and the invisible characters that
// reorder or hide text (bidi embeddings, overrides, isolates and marks,
// line and paragraph separators).
func dropped(r rune) bool {
	switch {
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	case r == 0x2028 || r == 0x2029:
		return true
	}
	return false
}

// skipEscape returns the index after the escape sequence whose ESC ended
// just before i.
func skipEscape(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[':
		return skipCSI(s, i+1)
	case ']', 'P', 'X', '^', '_':
		return skipString(s, i+1)
	}
	// Two-character escape (ESC c, ESC 7, ...); intermediates (0x20-0x2f)
	// come before the final byte (ESC ( B).
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
		i++
	}
	if i < len(s) && s[i] >= 0x30 && s[i] <= 0x7e {
		i++
	}
	return i
}

// skipCSI skips parameter and intermediate bytes up to and including the
// final byte (0x40-0x7e). A sequence broken by another byte ends there.
func skipCSI(s string, i int) int {
	for i < len(s) {
		c := s[i]
		switch {
		case c >= 0x20 && c <= 0x3f:
			i++
		case c >= 0x40 && c <= 0x7e:
			return i + 1
		default:
			return i
		}
	}
	return i
}

// skipString skips an OSC/DCS/SOS/PM/APC body up to and including its
// terminator: BEL, ESC \ or the 8-bit ST (U+009C). An unterminated one runs
// to the end of s (a terminal would swallow it too).
func skipString(s string, i int) int {
	for i < len(s) {
		switch {
		case s[i] == bel:
			return i + 1
		case s[i] == esc:
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			return i // a new sequence starts: let the caller handle it
		case strings.HasPrefix(s[i:], "\u009c"):
			return i + len("\u009c")
		}
		i++
	}
	return i
}
