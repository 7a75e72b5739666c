package notary

import (
	"context"
	"fmt"
	"time"

	"github.com/notaryproject/notation-core-go/signature"
	"github.com/notaryproject/notation-core-go/signature/jws"
	"github.com/notaryproject/notation-go"
	notationregistry "github.com/notaryproject/notation-go/registry"
	"github.com/notaryproject/notation-go/signer"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"

	"github.com/esbtui/esbtui/pki"
)

// EnvelopeType is the signature envelope esbtui writes (notation's
// default).
const EnvelopeType = jws.MediaTypeEnvelope

// Signed is one signature esbtui made.
type Signed struct {
	// Ref is the image as given; Repository is host:port/repo.
	Ref        string `json:"ref"`
	Repository string `json:"repository"`
	// Digest is the image manifest that was signed.
	Digest string `json:"digest"`
	// Signature is the digest of the signature manifest in the registry.
	Signature string `json:"signature,omitempty"`
	// Envelope is the signature's media type.
	Envelope string `json:"envelope"`
	// Existing: the image already had this signer's valid signature and
	// was not signed again (Signature is then unknown).
	Existing bool `json:"existing,omitempty"`
	Identity
}

// Identity says who signed, when and with which certificate.
type Identity struct {
	Subject     string    `json:"signer"`
	Issuer      string    `json:"issuer"`
	Fingerprint string    `json:"certificate_sha256"`
	SigningTime time.Time `json:"signed_at"`
}

// Sign signs repository:reference (a tag or a digest) in target with s
// and pushes the signature to the registry. repository is host:port/repo.
func Sign(ctx context.Context, target oras.GraphTarget, repository, reference string, s *pki.Signer) (*Signed, error) {
	gs, err := signer.NewGenericSigner(s.Key, s.Chain)
	if err != nil {
		return nil, fmt.Errorf("notary: sign %s: load the signing identity: %w", repository, err)
	}
	repo := &recordingRepo{Repository: notationregistry.NewRepository(target)}
	rs := &recordingSigner{Signer: gs}
	desc, err := notation.Sign(ctx, rs, repo, notation.SignOptions{
		SignerSignOptions: notation.SignerSignOptions{
			SignatureMediaType: EnvelopeType,
			SigningAgent:       "esbtui",
		},
		ArtifactReference: reference,
	})
	if err != nil {
		return nil, fmt.Errorf("notary: sign %s:%s: %w", repository, reference, err)
	}
	leaf := s.Chain[0]
	signedAt := time.Now()
	if rs.info != nil {
		signedAt = rs.info.SignedAttributes.SigningTime
	}
	return &Signed{
		Ref:        refString(repository, reference),
		Repository: repository,
		Digest:     desc.Digest.String(),
		Signature:  repo.pushed.Digest.String(),
		Envelope:   EnvelopeType,
		Identity: Identity{
			Subject:     clean(leaf.Subject.String()),
			Issuer:      clean(leaf.Issuer.String()),
			Fingerprint: pki.Fingerprint(leaf),
			SigningTime: signedAt.UTC(),
		},
	}, nil
}

// recordingRepo remembers the signature manifest notation pushed.
type recordingRepo struct {
	notationregistry.Repository
	pushed ocispec.Descriptor
}

func (r *recordingRepo) PushSignature(ctx context.Context, mediaType string, blob []byte, subject ocispec.Descriptor, annotations map[string]string) (ocispec.Descriptor, ocispec.Descriptor, error) {
	b, m, err := r.Repository.PushSignature(ctx, mediaType, blob, subject, annotations)
	if err == nil {
		r.pushed = m
	}
	return b, m, err
}

// recordingSigner remembers what the signer put in the signature.
type recordingSigner struct {
	notation.Signer
	info *signature.SignerInfo
}

func (r *recordingSigner) Sign(ctx context.Context, desc ocispec.Descriptor, opts notation.SignerSignOptions) ([]byte, *signature.SignerInfo, error) {
	sig, info, err := r.Signer.Sign(ctx, desc, opts)
	r.info = info
	return sig, info, err
}

// refString joins repository and a tag or digest.
func refString(repository, reference string) string {
	if len(reference) > 7 && reference[:7] == "sha256:" {
		return repository + "@" + reference
	}
	return repository + ":" + reference
}
