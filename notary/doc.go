// Package notary signs images and verifies their signatures the Notary
// Project way, through notation-go: signatures are JWS envelopes stored in
// the registry as OCI artifacts that refer to the image (the referrers API,
// or the OCI 1.1 tag-schema index where a registry lacks it; oras-go picks).
//
// Signing uses esbtui's code-signing identity (pki.Signer); verification
// uses a trust policy built here, never read from disk: the trust store is
// esbtui's root CA (type ca), the registry scope is the image's repository,
// the level is strict (integrity, authenticity, expiry and revocation are
// all enforced).
package notary
