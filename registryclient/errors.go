package registryclient

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Stage is the link of the connection that failed.
type Stage string

// Stages of reaching a registry, in order.
const (
	StageDNS  Stage = "dns"
	StageTCP  Stage = "tcp"
	StageTLS  Stage = "tls"
	StageHTTP Stage = "http"
)

// UnreachableError says which registry address could not be reached, at
// which stage (DNS, TCP, TLS, HTTP), why, and the likely fix.
type UnreachableError struct {
	Registry string // host:port
	Stage    Stage
	Status   int // HTTP status when Stage is StageHTTP
	// Silent: the registry accepted the connection (or the request) and
	// then said nothing before the deadline: paused, overloaded or hung,
	// rather than misconfigured. Reason says so in words.
	Silent bool
	Reason string
	Fix    string
	Err    error
}

func (e *UnreachableError) Error() string {
	msg := fmt.Sprintf("registry %s unreachable: %s failed: %s", e.Registry, stageName(e.Stage), e.Reason)
	if e.Silent {
		msg = fmt.Sprintf("registry %s unreachable: %s", e.Registry, e.Reason)
	}
	if e.Fix != "" {
		msg += "; " + e.Fix
	}
	return msg
}

func (e *UnreachableError) Unwrap() error { return e.Err }

func stageName(s Stage) string {
	switch s {
	case StageDNS:
		return "name lookup"
	case StageTCP:
		return "TCP connect"
	case StageTLS:
		return "TLS handshake"
	}
	return "HTTP /v2/ check"
}

// PlainHTTPError is a request esbtui refused to send without TLS (a
// fallback to http:// after HTTPS failed, or an http:// token realm):
// nothing would check who answers, and credentials would travel in the
// clear.
type PlainHTTPError struct {
	URL string
}

func (e *PlainHTTPError) Error() string {
	return fmt.Sprintf("registryclient: refusing plain HTTP to %s: esbtui talks to registries over HTTPS only, so credentials never leave unencrypted or unverified; serve the registry with TLS (`esbtui up` or `esbtui serve` do)", e.URL)
}

// BadReferenceError is a malformed image, repository or registry name.
type BadReferenceError struct {
	Ref string
	Err error
	// Registry: Ref is a registry address (host[:port]), not an image name.
	Registry bool
}

func (e *BadReferenceError) Error() string {
	if e.Registry {
		return fmt.Sprintf("registryclient: bad registry %q: %v", e.Ref, e.Err)
	}
	return fmt.Sprintf("registryclient: bad reference %q: %v (expected [registry/]repo[:tag|@sha256:digest], lowercase)", e.Ref, e.Err)
}

func (e *BadReferenceError) Unwrap() error { return e.Err }

// NotFoundError is a repository, tag or manifest the registry does not have.
type NotFoundError struct {
	What string // "repository", "manifest"
	Ref  string
	Err  error
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("registryclient: %s %s not found in the registry (list them with `esbtui catalog` / `esbtui tags REPO`)", e.What, e.Ref)
}

func (e *NotFoundError) Unwrap() error { return e.Err }

// classifyTLS turns a handshake error into a reason and a fix.
func classifyTLS(addr, caFile string, err error) (reason, fix string) {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	var rec tls.RecordHeaderError
	var verr *tls.CertificateVerificationError
	if errors.As(err, &verr) && len(verr.UnverifiedCertificates) > 0 {
		err = fmt.Errorf("%w (server certificate %q issued by %q)", err, verr.UnverifiedCertificates[0].Subject.CommonName, verr.UnverifiedCertificates[0].Issuer.CommonName)
	}
	where := "the esbtui CA"
	if caFile != "" {
		where = "the esbtui CA (" + caFile + ")"
	}
	switch {
	case errors.As(err, &unknown):
		return "certificate signed by an unknown authority: " + err.Error(),
			"its certificate is not issued by " + where + " nor by a CA in the system pool: run `esbtui init` and restart the registry with `esbtui up` so it serves a certificate from this CA, or add the registry's CA to the system trust store"
	case errors.As(err, &host):
		return err.Error(), "the server certificate does not cover " + addr + ": run `esbtui init --name HOST` to reissue it, then `esbtui up`"
	case errors.As(err, &invalid):
		return err.Error(), "the server certificate is expired or not valid for serving: run `esbtui init` to reissue it, then `esbtui up`"
	case errors.As(err, &rec):
		return "the server does not speak TLS (plain HTTP?): " + err.Error(), "point esbtui at the HTTPS registry (`esbtui up` starts one on localhost:5000) or set ESB_REGISTRY"
	}
	return err.Error(), "check that " + addr + " is the esbtui registry (`esbtui status`), or run `esbtui up`"
}

// notFound maps a registry 404 (NAME_UNKNOWN, MANIFEST_UNKNOWN) to NotFoundError.
func notFound(what, ref string, err error) error {
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		return &NotFoundError{What: what, Ref: ref, Err: err}
	}
	return err
}
