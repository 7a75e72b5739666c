package pki

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/esbtui/esbtui/internal/progress"
)

// Options for Ensure and Rotate.
type Options struct {
	// Names are extra SANs (DNS names or IPs) beyond DefaultSANs. A new CA
	// also permits them in its name constraints.
	Names []string
	// Origins says where each of Names was given ("/proj/esb.yaml:4",
	// "--name"), for errors; names without one are reported bare.
	Origins map[string]string
	// KeyType of the server key; empty means ECDSA P-256.
	KeyType KeyType
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// Result says what Ensure or Rotate did.
type Result struct {
	Dir         string `json:"dir"`
	CACreated   bool   `json:"ca_created"`
	CARecovered bool   `json:"ca_recovered,omitempty"`
	LeafIssued  bool   `json:"server_issued"`
	// LeafReason says why the server certificate was issued ("missing",
	// "expires in 12 days", "rotation requested", ...), empty if kept.
	LeafReason string `json:"server_reason,omitempty"`
	// SigningIssued and SigningReason are the same for the code-signing
	// certificate.
	SigningIssued bool   `json:"signing_issued"`
	SigningReason string `json:"signing_reason,omitempty"`
	// Warnings: what a new CA's extra public names let a leaked key sign,
	// a server certificate cut short by the CA's expiry.
	Warnings []string `json:"warnings,omitempty"`
}

// checkNames validates each requested name on its own, so an error names
// the one name and where it was given.
func (o Options) checkNames() error {
	for _, raw := range o.Names {
		if _, err := ParseNames([]string{raw}); err != nil {
			var ne *NameError
			if errors.As(err, &ne) {
				ne.Origin = o.Origins[raw]
			}
			return err
		}
	}
	return nil
}

// NotPermittedError is a requested name the existing CA may not sign for.
type NotPermittedError struct {
	Names  []string
	CAFile string
}

func (e *NotPermittedError) Error() string {
	return fmt.Sprintf("pki: the CA in %s may not sign for %s (its name constraints permit localhost, *.localhost, *.test, *.internal, *.local, the esb-* names and private IP ranges, plus the names it was created with); use a name under .test, .internal or .local, or start a new CA by moving the certs directory away and running `esbtui init --name ...`",
		e.CAFile, strings.Join(e.Names, ", "))
}

// Ensure makes the store complete: it creates the CA if there is none (never
// touching an existing one) and issues the server certificate if it is
// missing, expiring, not covering the names, not matching its key or not
// signed by the CA.
func (s *Store) Ensure(ctx context.Context, o Options, sink progress.Sink) (*Result, error) {
	return s.ensure(ctx, o, sink, "")
}

// Rotate reissues the server certificate (new key) whatever its state.
func (s *Store) Rotate(ctx context.Context, o Options, sink progress.Sink) (*Result, error) {
	return s.ensure(ctx, o, sink, "rotation requested")
}

func (s *Store) ensure(ctx context.Context, o Options, sink progress.Sink, force string) (*Result, error) {
	rep := progress.Reporter{Op: "certs", Sink: sink}
	if o.KeyType == "" {
		o.KeyType = KeyECDSAP256
	}
	if err := o.checkNames(); err != nil {
		return nil, err
	}
	names, err := ServerNames(o.Names)
	if err != nil {
		return nil, err
	}
	extra, err := ParseNames(o.Names)
	if err != nil {
		return nil, err
	}
	if err := s.ensureDir(); err != nil {
		return nil, err
	}
	if err := s.checkOwner(); err != nil {
		return nil, err
	}
	if err := s.checkDirPerm(); err != nil {
		var pe *PermError
		if errors.As(err, &pe) && runtime.GOOS != "windows" {
			if cerr := os.Chmod(s.Dir, 0o700); cerr != nil {
				return nil, fmt.Errorf("pki: tighten %s to 0700: %w", s.Dir, cerr)
			}
			rep.Step("dir", progress.Warning, fmt.Sprintf("%s was mode %#o; set it to 0700", s.Dir, uint32(pe.Mode)))
		}
	}
	unlock, err := s.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("pki: ensure certificates: %w", err)
	}
	s.removeStaleTemps()
	res := &Result{Dir: s.Dir}

	hadCert, _ := s.exists(CACertFile)
	if err := s.recoverCA(); err != nil {
		return nil, err
	}
	if nowCert, _ := s.exists(CACertFile); nowCert && !hadCert {
		res.CARecovered = true
		rep.Step("ca", progress.Warning, "finished installing "+s.Path(CACertFile)+" after an interrupted init")
	}

	ca, err := s.LoadUsableCA(o.now())
	if errors.Is(err, ErrNoCA) {
		for _, w := range wideningWarnings(extra) {
			res.Warnings = append(res.Warnings, w)
			rep.Step("ca", progress.Warning, w)
		}
		rep.Step("ca", progress.Start, "generating root CA (RSA 4096)")
		certPEM, keyPEM, err := newCA(extra, o.now())
		if err != nil {
			return nil, err
		}
		// Key first: once rootCA.key is in place its certificate is already
		// written as rootCA.crt.pending, so an interrupted run is completed
		// by recoverCA with the same certificate; the CA never changes.
		if err := s.writeSet([]pendingFile{
			{CAKeyFile, keyPEM, 0o600},
			{CACertFile, certPEM, 0o644},
		}); err != nil {
			return nil, err
		}
		res.CACreated = true
		if ca, err = s.LoadUsableCA(o.now()); err != nil {
			return nil, err
		}
		rep.Step("ca", progress.Done, "created "+s.Path(CACertFile))
	} else if err != nil {
		return nil, err
	} else {
		rep.Step("ca", progress.Skipped, "using existing CA "+s.Path(CACertFile))
	}

	if bad := notCovered(ca.Cert, names); len(bad) > 0 {
		return res, &NotPermittedError{Names: bad, CAFile: s.Path(CACertFile)}
	}

	now := o.now()
	st, loadErr := s.loadLeaf()
	var pe *PermError
	if errors.As(loadErr, &pe) {
		return res, loadErr
	}
	reason := force
	if reason == "" {
		reason = reissueReason(st, loadErr, ca, names, o.KeyType, now)
	}
	if reason == "" {
		rep.Step("server", progress.Skipped, "server certificate is valid and covers every name")
		return s.ensureSigningIn(res, ca, now, rep)
	}
	// Keep names a previous run added (e.g. with --name), as long as this CA
	// still permits them.
	if st.cert != nil && st.cert.CheckSignatureFrom(ca.Cert) == nil {
		prev := append(append([]string(nil), st.cert.DNSNames...), ipStrings(st.cert)...)
		if merged, err := ParseNames(append(names.Strings(), prev...)); err == nil && len(notCovered(ca.Cert, merged)) == 0 {
			names = merged
		}
	}
	rep.Step("server", progress.Start, "issuing server certificate: "+reason)
	certPEM, keyPEM, err := issueLeaf(ca, names, o.KeyType, now)
	if err != nil {
		return res, err
	}
	if leafClamped(ca, now) {
		w := fmt.Sprintf("the CA expires on %s, so the server certificate ends then too (not %d days from now): plan a new CA: %s", ca.Cert.NotAfter.UTC().Format("2006-01-02"), int(LeafValidity.Hours()/24), NewCAFix(s.Dir, Fingerprint(ca.Cert)))
		res.Warnings = append(res.Warnings, w)
		rep.Step("server", progress.Warning, w)
	}
	chain := append(append([]byte(nil), certPEM...), ca.CertPEM...)
	if err := s.writeSet([]pendingFile{
		{ServerKeyFile, keyPEM, 0o600},
		{ServerCertFile, certPEM, 0o644},
		{ServerChainFile, chain, 0o644},
	}); err != nil {
		return res, err
	}
	res.LeafIssued, res.LeafReason = true, reason
	rep.Step("server", progress.Done, fmt.Sprintf("issued %s for %s", s.Path(ServerCertFile), strings.Join(names.Strings(), ", ")))
	return s.ensureSigningIn(res, ca, now, rep)
}

// ensureSigningIn completes Ensure with the code-signing certificate. A
// signing pair esbtui cannot read is reported, not replaced: the server
// certificate is still usable, so it is a warning here and an error only
// when signing.
func (s *Store) ensureSigningIn(res *Result, ca *CA, now time.Time, rep progress.Reporter) (*Result, error) {
	sr, err := s.ensureSigning(ca, now, rep, "")
	if err != nil {
		w := "code-signing certificate: " + err.Error()
		res.Warnings = append(res.Warnings, w)
		rep.Step("signing", progress.Warning, w)
		return res, nil
	}
	res.SigningIssued, res.SigningReason = sr.Issued, sr.Reason
	return res, nil
}

func ipStrings(c *x509.Certificate) []string {
	out := make([]string, 0, len(c.IPAddresses))
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	return out
}
