package flows

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	orasremote "oras.land/oras-go/v2/registry/remote"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/notary"
	"github.com/esbtui/esbtui/pki"
	"github.com/esbtui/esbtui/registryclient"
)

// Signed and Verified are notary's results, for the faces.
type (
	Signed          = notary.Signed
	Verified        = notary.Verified
	UnsignedError   = notary.UnsignedError
	VerifyError     = notary.VerifyError
	SigningIdentity = notary.Identity
)

// signTarget parses ref (default registry: the configured one), checks the
// registry answers and returns its oras repository.
func (e *Env) signTarget(ctx context.Context, ref string) (name.Reference, *orasremote.Repository, error) {
	r, err := registryclient.ParseReference(ref, e.Cfg.Registry)
	if err != nil {
		return nil, nil, err
	}
	c, err := e.Registry()
	if err != nil {
		return nil, nil, err
	}
	if _, err := c.Probe(ctx, r.Context().RegistryStr()); err != nil {
		return nil, nil, err
	}
	repo, err := c.OrasRepository(r.Context())
	if err != nil {
		return nil, nil, err
	}
	return r, repo, nil
}

// Sign signs ref with esbtui's code-signing identity (issued now if there
// is none yet, renewed when near its end) and stores the signature in the
// registry next to the image.
func (e *Env) Sign(ctx context.Context, ref string, sink progress.Sink) (*Signed, error) {
	rep := progress.Reporter{Op: "sign", Sink: sink}
	sr, err := e.Certs.EnsureSigning(ctx, e.certOptions(pki.Options{}), sink)
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", ref, err)
	}
	if sr.Issued {
		e.record("signing_cert.issued", map[string]any{"file": sr.File, "reason": sr.Reason})
	}
	signer, err := e.Certs.LoadSigner(e.Now())
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", ref, err)
	}
	r, repo, err := e.signTarget(ctx, ref)
	if err != nil {
		return nil, err
	}
	rep.Step("sign", progress.Start, "signing "+r.Name())
	res, err := notary.Sign(ctx, repo, r.Context().Name(), r.Identifier(), signer)
	if err != nil {
		rep.Step("sign", progress.Failed, err.Error())
		e.record("image.sign.failed", map[string]any{"ref": r.Name(), "error": err.Error()})
		return nil, err
	}
	rep.Step("sign", progress.Done, fmt.Sprintf("signed %s (%s) as %q", res.Ref, res.Digest, res.Subject))
	e.record("image.signed", map[string]any{"ref": res.Ref, "digest": res.Digest, "signature": res.Signature,
		"signer": res.Subject, "certificate_sha256": res.Fingerprint})
	return res, nil
}

// Verify checks ref's signature against esbtui's CA with a strict trust
// policy scoped to ref's repository. Unsigned and failing images are
// *UnsignedError and *VerifyError.
func (e *Env) Verify(ctx context.Context, ref string, sink progress.Sink) (*Verified, error) {
	rep := progress.Reporter{Op: "verify", Sink: sink}
	root, err := e.Certs.RootCert()
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", ref, err)
	}
	r, repo, err := e.signTarget(ctx, ref)
	if err != nil {
		return nil, err
	}
	rep.Step("verify", progress.Start, "verifying "+r.Name())
	res, err := notary.Verify(ctx, repo, r.Context().Name(), r.Identifier(), root)
	if err != nil {
		rep.Step("verify", progress.Failed, err.Error())
		e.record("image.verify.failed", map[string]any{"ref": r.Name(), "error": err.Error()})
		return nil, err
	}
	rep.Step("verify", progress.Done, fmt.Sprintf("verified %s (%s): signed by %q at %s", res.Ref, res.Digest, res.Subject, res.SigningTime.Format("2006-01-02 15:04:05Z")))
	e.record("image.verified", map[string]any{"ref": res.Ref, "digest": res.Digest, "signer": res.Subject,
		"signed_at": res.SigningTime, "certificate_sha256": res.Fingerprint})
	return res, nil
}

// SignPushed signs what a push just wrote, by digest (the content pushed,
// whatever the tag points at by now). An unchanged image rebuilt and
// pushed again already carries a valid signature by the current signing
// certificate: it is not signed again, so repeated builds (esb.yaml sign:
// true) do not pile up signatures on one digest.
func (e *Env) SignPushed(ctx context.Context, pr *registryclient.PushResult, sink progress.Sink) (*Signed, error) {
	r, err := registryclient.ParseReference(pr.Ref, e.Cfg.Registry)
	if err != nil {
		return nil, err
	}
	ref := r.Context().Name() + "@" + pr.Digest
	if s := e.existingSignature(ctx, ref); s != nil {
		progress.Reporter{Op: "sign", Sink: sink}.Step("sign", progress.Skipped, fmt.Sprintf("%s is already signed by %q (certificate %s…)", ref, s.Subject, s.Fingerprint[:16]))
		return s, nil
	}
	return e.Sign(ctx, ref, sink)
}

// existingSignature is ref's signature by the current signing certificate,
// verified, or nil (none, not verifiable, or any error: then sign).
func (e *Env) existingSignature(ctx context.Context, ref string) *Signed {
	signer, err := e.Certs.LoadSigner(e.Now())
	if err != nil {
		return nil
	}
	root, err := e.Certs.RootCert()
	if err != nil {
		return nil
	}
	r, repo, err := e.signTarget(ctx, ref)
	if err != nil {
		return nil
	}
	v, err := notary.Verify(ctx, repo, r.Context().Name(), r.Identifier(), root)
	if err != nil || v.Fingerprint != pki.Fingerprint(signer.Chain[0]) {
		return nil
	}
	return &Signed{Ref: v.Ref, Repository: v.Repository, Digest: v.Digest, Envelope: v.Envelope, Identity: v.Identity, Existing: true}
}
