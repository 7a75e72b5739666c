package notary

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/notaryproject/notation-go"
	notationregistry "github.com/notaryproject/notation-go/registry"
	"github.com/notaryproject/notation-go/verifier"
	"github.com/notaryproject/notation-go/verifier/trustpolicy"
	"github.com/notaryproject/notation-go/verifier/truststore"
	"oras.land/oras-go/v2"

	"github.com/esbtui/esbtui/internal/termtext"
	"github.com/esbtui/esbtui/pki"
)

// trustStoreName is the one named trust store of the policy.
const trustStoreName = "esbtui"

// maxSignatures bounds how many signatures of one image are tried.
const maxSignatures = 50

// Verified is an image whose signature verified.
type Verified struct {
	Ref        string `json:"ref"`
	Repository string `json:"repository"`
	// Digest is the image manifest the signature covers (the tag was
	// resolved to it first).
	Digest   string `json:"digest"`
	Envelope string `json:"envelope"`
	// Level is the trust policy's verification level ("strict").
	Level string `json:"level"`
	Identity
}

// UnsignedError is an image without any signature.
type UnsignedError struct {
	Ref    string
	Digest string
}

func (e *UnsignedError) Error() string {
	return fmt.Sprintf("notary: %s (%s) has no signature: sign it with `esbtui sign %s`; if it was signed before, the tag now points at other content (re-pushed or replaced)", e.Ref, e.Digest, e.Ref)
}

// VerifyError is an image whose signatures exist but none verifies.
type VerifyError struct {
	Ref    string
	Digest string
	// Reasons are notation's reasons, one per signature tried.
	Reasons []string
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("notary: %s (%s): no signature verifies against esbtui's CA (trust policy: strict, registry scope %s): %s", e.Ref, e.Digest, scopeOf(e.Ref), strings.Join(e.Reasons, "; "))
}

func scopeOf(ref string) string {
	if i := strings.LastIndex(ref, "@"); i >= 0 {
		return ref[:i]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[:i]
	}
	return ref
}

// Policy is the trust policy verification uses: root as the only trust
// anchor (trust store "ca:esbtui"), scoped to repository, level strict,
// any identity the CA vouches for.
func Policy(repository string) *trustpolicy.Document {
	return &trustpolicy.Document{
		Version: "1.0",
		TrustPolicies: []trustpolicy.TrustPolicy{{
			Name:                  "esbtui",
			RegistryScopes:        []string{repository},
			SignatureVerification: trustpolicy.SignatureVerification{VerificationLevel: trustpolicy.LevelStrict.Name},
			TrustStores:           []string{string(truststore.TypeCA) + ":" + trustStoreName},
			TrustedIdentities:     []string{"*"},
		}},
	}
}

// caStore is the trust store holding esbtui's root CA only.
type caStore struct{ root *x509.Certificate }

func (s caStore) GetCertificates(_ context.Context, t truststore.Type, name string) ([]*x509.Certificate, error) {
	if t != truststore.TypeCA || name != trustStoreName {
		return nil, truststore.TrustStoreError{Msg: fmt.Sprintf("no trust store %s:%s (esbtui's policy has ca:%s only)", t, name, trustStoreName)}
	}
	return []*x509.Certificate{s.root}, nil
}

// Verify resolves repository:reference to its digest and verifies the
// image's signatures against root with Policy(repository). It fails with
// *UnsignedError when there is no signature and *VerifyError when none
// verifies.
func Verify(ctx context.Context, target oras.GraphTarget, repository, reference string, root *x509.Certificate) (*Verified, error) {
	ref := refString(repository, reference)
	desc, err := target.Resolve(ctx, reference)
	if err != nil {
		return nil, fmt.Errorf("notary: verify %s: resolve: %w", ref, err)
	}
	dig := desc.Digest.String()
	v, err := verifier.New(Policy(repository), caStore{root: root}, nil)
	if err != nil {
		return nil, fmt.Errorf("notary: verify %s: trust policy: %w", ref, err)
	}
	_, outcomes, err := notation.Verify(ctx, v, notationregistry.NewRepository(target), notation.VerifyOptions{
		ArtifactReference:    repository + "@" + dig,
		MaxSignatureAttempts: maxSignatures,
	})
	if err != nil {
		var rf notation.SignatureRetrievalFailedError
		if errors.As(err, &rf) && strings.Contains(rf.Msg, "no signature is associated") {
			return nil, &UnsignedError{Ref: ref, Digest: dig}
		}
		var vf notation.VerificationFailedError
		if errors.As(err, &vf) {
			return nil, &VerifyError{Ref: ref, Digest: dig, Reasons: reasons(err)}
		}
		return nil, fmt.Errorf("notary: verify %s: %w", ref, err)
	}
	if len(outcomes) == 0 || outcomes[0].EnvelopeContent == nil {
		return nil, &VerifyError{Ref: ref, Digest: dig, Reasons: []string{"notation returned no verified signature"}}
	}
	o := outcomes[0]
	si := o.EnvelopeContent.SignerInfo
	out := &Verified{Ref: ref, Repository: repository, Digest: dig, Envelope: EnvelopeType, Level: trustpolicy.LevelStrict.Name}
	if o.VerificationLevel != nil {
		out.Level = o.VerificationLevel.Name
	}
	if len(si.CertificateChain) > 0 {
		leaf := si.CertificateChain[0]
		out.Subject, out.Issuer, out.Fingerprint = clean(leaf.Subject.String()), clean(leaf.Issuer.String()), pki.Fingerprint(leaf)
	}
	out.SigningTime = si.SignedAttributes.SigningTime.UTC()
	return out, nil
}

// reasons splits notation's joined error into its distinct lines, minus
// the bare "signature verification failed" header.
func reasons(err error) []string {
	var out []string
	seen := map[string]bool{}
	for _, line := range strings.Split(err.Error(), "\n") {
		line = clipReason(clean(strings.TrimSpace(line)))
		if line == "" || line == "signature verification failed" || seen[line] {
			continue
		}
		seen[line] = true
		out = append(out, line+explain(line))
	}
	if len(out) == 0 {
		out = []string{clipReason(clean(err.Error()))}
	}
	return out
}

// maxReason bounds one reason: notation's text quotes what the signature
// carries (certificate names), which the registry's content chooses.
const maxReason = 500

func clipReason(s string) string {
	if len(s) <= maxReason {
		return s
	}
	return strings.ToValidUTF8(s[:maxReason], "") + "…"
}

// hints say in esbtui's words what notation's terse reasons mean.
var hints = []struct{ notation, hint string }{
	{"content descriptor mismatch", "the signature is for another image digest, not this one"},
	{"does not contain any trusted certificate", "signed with a certificate that does not chain to esbtui's rootCA.crt (another CA)"},
	{"expired", "the signing certificate has expired; sign again (`esbtui sign`) with a current certificate"},
	{"not yet valid", "the signing certificate is not valid yet (check the clock)"},
}

func explain(reason string) string {
	for _, h := range hints {
		if strings.Contains(reason, h.notation) {
			return " (" + h.hint + ")"
		}
	}
	return ""
}

// clean makes text that came from a registry (certificate subjects, error
// text quoting registry content) safe for the terminal.
func clean(s string) string { return termtext.Clean(s) }
