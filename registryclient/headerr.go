package registryclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// HeadError is a failed HEAD (does the registry have this blob or
// manifest?) with what the registry says about it. A HEAD response has no
// body, so the status alone would hide the registry's reason (a quota, a
// policy, a storage fault): esbtui asks the same URL with GET and keeps
// that answer's error codes and messages.
type HeadError struct {
	URL    string
	Status int
	// Detail is the registry's error for the same GET (a *transport.Error
	// with its codes and messages), nil when the GET said nothing more.
	Detail error
	Err    error // the HEAD's own error
}

func (e *HeadError) Error() string {
	msg := fmt.Sprintf("HEAD %s: %d %s", e.URL, e.Status, http.StatusText(e.Status))
	if e.Detail != nil {
		msg += "; the registry says: " + registryMessage(e.Detail)
	} else {
		msg += " (a GET of the same URL said nothing more)"
	}
	return msg + headFix(e.Status, e.URL)
}

func (e *HeadError) Unwrap() []error {
	if e.Detail == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Detail}
}

// registryMessage is the registry's own words from a GET's error, without
// the "GET URL:" prefix transport.Error puts before them.
func registryMessage(err error) string {
	var terr *transport.Error
	if errors.As(err, &terr) && terr.Request != nil {
		terr2 := *terr
		terr2.Request = nil
		return terr2.Error()
	}
	return err.Error()
}

// headFix says what to do about a failed HEAD's status.
func headFix(status int, u string) string {
	host := u
	if pu, err := url.Parse(u); err == nil {
		host = pu.Host
	}
	switch status {
	case http.StatusUnauthorized:
		return fmt.Sprintf(" (the registry wants credentials: log in with `docker login %s`; for the stack's registry `esbtui auth status` shows the user and password file)", host)
	case http.StatusForbidden:
		return " (the registry refuses this access to these credentials: check the user's rights there)"
	}
	return fmt.Sprintf(" (see the registry's log, e.g. `esbtui logs registry`, or ask %s's operator)", host)
}

// headFailure builds the *HeadError for a HEAD of u that answered status,
// asking the same URL with GET through hc (the authenticated client of
// the operation) for the registry's error body.
func headFailure(ctx context.Context, hc *http.Client, u string, status int, headErr error) error {
	he := &HeadError{URL: u, Status: status, Err: headErr}
	if req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil); err == nil {
		if resp, err := hc.Do(req); err == nil {
			// A 200 (the HEAD failure was the registry's quirk) is not read:
			// closing drops the body, a blob could be large.
			he.Detail = transport.CheckError(resp, http.StatusOK)
			resp.Body.Close()
		}
	}
	return cleanErr(he)
}

// headDetail turns err, when it is go-containerregistry's error for a
// failed HEAD (any status but 404, which callers treat as "absent"), into
// a *HeadError carrying the registry's reason, asked through the client
// hc returns; anything else is returned as is.
func headDetail(ctx context.Context, hc func() (*http.Client, error), err error) error {
	var terr *transport.Error
	if !errors.As(err, &terr) || terr.Request == nil || terr.Request.Method != http.MethodHead ||
		terr.StatusCode == http.StatusNotFound || len(terr.Errors) > 0 {
		return err
	}
	client, cerr := hc()
	if cerr != nil {
		return err
	}
	return headFailure(ctx, client, terr.Request.URL.String(), terr.StatusCode, err)
}

// explainHead is headDetail for the operations that go through
// go-containerregistry: the GET is authenticated for scope (pull, push) on
// repo, only when there is a failed HEAD to explain.
func (c *Client) explainHead(ctx context.Context, repo name.Repository, scope string, err error) error {
	return headDetail(ctx, func() (*http.Client, error) {
		return c.authClient(ctx, repo.Registry, []string{repo.Scope(scope)})
	}, err)
}
