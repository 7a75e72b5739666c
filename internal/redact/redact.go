// Package redact removes credentials from text that is about to be shown
// or logged: the value of every HTTP Authorization scheme esbtui's
// components send (Bearer, Basic). distribution, for one, logs its
// notification endpoints' headers at info level when it starts.
package redact

import (
	"io"
	"regexp"
)

// Redacted stands where a credential was.
const Redacted = "[redacted]"

// authValue is a scheme name followed by a credential of 8 or more token
// characters (RFC 7235 token68).
var authValue = regexp.MustCompile(`(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]{8,}`)

// Credentials returns s with each Authorization credential replaced by
// [redacted]; the scheme name stays, so the text still says what was there.
func Credentials(s string) string {
	return authValue.ReplaceAllString(s, "${1}${2}"+Redacted)
}

// Writer passes each write to w with its credentials redacted. Writes are
// taken as whole lines (loggers write one entry per call); it reports the
// input's length as written.
func Writer(w io.Writer) io.Writer { return writer{w} }

type writer struct{ w io.Writer }

func (r writer) Write(p []byte) (int, error) {
	if _, err := io.WriteString(r.w, Credentials(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}
