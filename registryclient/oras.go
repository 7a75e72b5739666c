package registryclient

import (
	"context"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	orasremote "oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
)

// OrasRepository is repo as an oras-go repository that goes through this
// client's transport (TLS trusting esbtui's CA, bounded handshakes and
// response headers, HTTPS only) with the client's keychain credentials.
// Signing uses it: oras pushes referrers through the referrers API where
// the registry has it and keeps the OCI 1.1 tag-schema index where not.
func (c *Client) OrasRepository(repo name.Repository) (*orasremote.Repository, error) {
	r, err := orasremote.NewRepository(repo.Name())
	if err != nil {
		return nil, &BadReferenceError{Ref: repo.Name(), Err: err}
	}
	kc := c.opts.Keychain
	r.Client = &auth.Client{
		Client: &http.Client{Transport: c.rt},
		Header: http.Header{"User-Agent": {c.opts.UserAgent}},
		Cache:  auth.NewCache(),
		Credential: func(_ context.Context, hostport string) (auth.Credential, error) {
			return keychainCredential(kc, hostport)
		},
	}
	return r, nil
}

// keychainCredential resolves hostport's credentials in kc as oras wants
// them; none found is the empty credential (anonymous), not an error.
func keychainCredential(kc authn.Keychain, hostport string) (auth.Credential, error) {
	reg, err := name.NewRegistry(hostport)
	if err != nil {
		return auth.EmptyCredential, fmt.Errorf("registryclient: credentials for %s: %w", hostport, err)
	}
	a, err := kc.Resolve(reg)
	if err != nil {
		return auth.EmptyCredential, fmt.Errorf("registryclient: credentials for %s: %w", hostport, err)
	}
	if a == authn.Anonymous {
		return auth.EmptyCredential, nil
	}
	cfg, err := a.Authorization()
	if err != nil {
		return auth.EmptyCredential, fmt.Errorf("registryclient: credentials for %s: %w", hostport, err)
	}
	return auth.Credential{Username: cfg.Username, Password: cfg.Password, RefreshToken: cfg.IdentityToken, AccessToken: cfg.RegistryToken}, nil
}
