package registryclient

import "github.com/esbtui/esbtui/internal/termtext"

// outsideError is an error whose text may carry what the other side said:
// a registry's error message, names from a server certificate in a TLS
// error. Its message is cleaned of control sequences before anyone prints
// it; errors.Is and errors.As still see the original.
type outsideError struct{ err error }

func (e *outsideError) Error() string { return termtext.Clean(e.err.Error()) }
func (e *outsideError) Unwrap() error { return e.err }

// cleanErr wraps err as an *outsideError (nil stays nil).
func cleanErr(err error) error {
	if err == nil {
		return nil
	}
	return &outsideError{err}
}
