package flows

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/pki"
)

// CheckStatus is the verdict of one doctor check.
type CheckStatus string

// Verdicts.
const (
	CheckOK      CheckStatus = "ok"
	CheckWarn    CheckStatus = "warn"
	CheckFail    CheckStatus = "fail"
	CheckSkipped CheckStatus = "skipped"
)

// Check is one link of the chain: what was checked, the verdict, one line
// why and one line fix (a command).
type Check struct {
	Name   string      `json:"name"`
	Status CheckStatus `json:"status"`
	Why    string      `json:"why"`
	Fix    string      `json:"fix,omitempty"`
}

// DoctorReport is the ordered list of checks.
type DoctorReport struct {
	Checks []Check `json:"checks"`
}

// Failed reports whether any check failed.
func (r DoctorReport) Failed() bool {
	for _, c := range r.Checks {
		if c.Status == CheckFail {
			return true
		}
	}
	return false
}

// FirstFailure returns the first failed check, if any.
func (r DoctorReport) FirstFailure() (Check, bool) {
	for _, c := range r.Checks {
		if c.Status == CheckFail {
			return c, true
		}
	}
	return Check{}, false
}

// doctorCheck runs one link. It sees the checks so far so it can skip when a
// link it depends on is broken.
type doctorCheck struct {
	name  string
	needs []string // names of checks that must not have failed
	run   func(ctx context.Context, e *Env, d *doctorRun) Check
	// many is used instead of run by links that report several checks
	// (one per trust store).
	many func(ctx context.Context, e *Env, d *doctorRun) []Check
}

type doctorRun struct {
	report DoctorReport
	certs  pki.Report
	// RegistryAddr is host:port of the registry the doctor probes.
	registryAddr string
	// trust is the trust section, read once for the trust and certs.d links.
	trust *TrustStatus
}

func (d *doctorRun) failed(name string) bool {
	for _, c := range d.report.Checks {
		if (c.Name == name || strings.HasPrefix(c.Name, name+": ")) && (c.Status == CheckFail || c.Status == CheckSkipped) {
			return true
		}
	}
	return false
}

// Doctor checks every link of the chain in order and says which one is
// broken and how to fix it. It changes nothing except for the probe image
// it pushes and deletes.
//
// It reports each link to sink as it goes (Op "doctor", Step the link's
// name): a Start when the link begins, then one terminal event when it ends
// (Done, Warning, Failed or Skipped) carrying its one-line result in Message
// (Err too when it failed). A link that reports several checks (trust, one
// per store) ends with one event summing them up. The report returned is the
// whole list, as before.
func (e *Env) Doctor(ctx context.Context, sink progress.Sink) DoctorReport {
	rep := progress.Reporter{Op: "doctor", Sink: sink}
	d := &doctorRun{certs: e.Certs.Inspect(e.Now()), registryAddr: e.Cfg.Registry}
	for _, c := range doctorChain() {
		rep.Emit(progress.Event{Step: c.name, Status: progress.Start, Message: "checking"})
		var blocked string
		for _, n := range c.needs {
			if d.failed(n) {
				blocked = n
				break
			}
		}
		if blocked != "" {
			res := Check{Name: c.name, Status: CheckSkipped, Why: "skipped: " + blocked + " is broken"}
			d.report.Checks = append(d.report.Checks, res)
			rep.Emit(checkEvent(c.name, []Check{res}))
			continue
		}
		var results []Check
		if c.many != nil {
			results = c.many(ctx, e, d)
		} else {
			results = []Check{c.run(ctx, e, d)}
		}
		for i := range results {
			if results[i].Name == "" {
				results[i].Name = c.name
			}
		}
		d.report.Checks = append(d.report.Checks, results...)
		rep.Emit(checkEvent(c.name, results))
	}
	return d.report
}

// checkEvent is the terminal event of one link: the worst verdict of its
// results and their one-line why (for a link with several results, each
// result's name and verdict).
func checkEvent(step string, results []Check) progress.Event {
	ev := progress.Event{Step: step, Status: progress.Done}
	worst := CheckOK
	rank := map[CheckStatus]int{CheckOK: 0, CheckSkipped: 1, CheckWarn: 2, CheckFail: 3}
	for _, r := range results {
		if rank[r.Status] > rank[worst] {
			worst = r.Status
		}
	}
	switch {
	case len(results) == 0:
		ev.Message = "nothing to check"
	case len(results) == 1 && results[0].Name == step:
		ev.Message = results[0].Why
	default:
		parts := make([]string, 0, len(results))
		for _, r := range results {
			parts = append(parts, strings.TrimPrefix(r.Name, step+": ")+" "+string(r.Status))
		}
		ev.Message = strings.Join(parts, ", ")
	}
	switch worst {
	case CheckWarn:
		ev.Status = progress.Warning
	case CheckSkipped:
		ev.Status = progress.Skipped
	case CheckFail:
		ev.Status = progress.Failed
		for _, r := range results {
			if r.Status == CheckFail {
				ev.Err = r.Why
				if r.Fix != "" {
					ev.Err += " (fix: " + r.Fix + ")"
				}
				break
			}
		}
		if len(results) == 1 {
			ev.Message = "broken"
		}
	}
	return ev
}

func checkCA(_ context.Context, _ *Env, d *doctorRun) Check {
	ca := d.certs.CA
	switch {
	case !ca.Present:
		return Check{Status: CheckFail, Why: "no root CA in " + d.certs.Dir, Fix: "esbtui init"}
	case len(ca.Problems) > 0:
		return Check{Status: CheckFail, Why: strings.Join(ca.Problems, "; "), Fix: "esbtui cert show (each problem above says what to do; esbtui never regenerates or deletes a CA)"}
	case len(ca.Warnings) > 0:
		return Check{Status: CheckWarn, Why: ca.Warnings[0], Fix: "esbtui cert show"}
	}
	return Check{Status: CheckOK, Why: fmt.Sprintf("%s, %d days left, name-constrained to %d local names/ranges", ca.KeyType, ca.DaysLeft, len(ca.Constraints))}
}

func checkServerCert(_ context.Context, _ *Env, d *doctorRun) Check {
	s := d.certs.Server
	switch {
	case !s.Present:
		return Check{Status: CheckFail, Why: "no server certificate", Fix: "esbtui init"}
	case len(s.Problems) > 0:
		fix := "esbtui cert rotate"
		if strings.Contains(s.Problems[0], "esbtui init") {
			fix = "esbtui init"
		}
		return Check{Status: CheckFail, Why: s.Problems[0], Fix: fix}
	case len(s.Warnings) > 0:
		return Check{Status: CheckWarn, Why: s.Warnings[0], Fix: "esbtui cert rotate"}
	}
	return Check{Status: CheckOK, Why: fmt.Sprintf("signed by the CA, key matches, covers %s, %d days left", strings.Join(s.SANs, ", "), s.DaysLeft)}
}

// checkTLSSystemRoots connects to the registry and verifies its certificate
// with the system roots only (not our pool): this is what curl, browsers and
// other tools see.
func checkTLSSystemRoots(ctx context.Context, e *Env, d *doctorRun) Check {
	// host is what the certificate must cover: the name or IP that was
	// dialled (IPv6 without brackets), never what the server says.
	hostport := d.registryAddr
	host, _, err := net.SplitHostPort(hostport)
	if err != nil { // no port (ESB_REGISTRY=registry.test, [::1]): HTTPS's
		host = strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
		hostport = net.JoinHostPort(host, "443")
	}
	dialer := &net.Dialer{Timeout: 3 * time.Second}
	raw, err := dialer.DialContext(ctx, "tcp", hostport)
	if err != nil {
		return Check{Status: CheckFail, Why: fmt.Sprintf("nothing answers on %s: %v", d.registryAddr, err), Fix: "esbtui up (or esbtui serve without Docker)"}
	}
	defer raw.Close()
	// Handshake without verification to see the chain, then verify it
	// against the system roots ourselves: the error then says exactly why.
	conn := tls.Client(raw, &tls.Config{ServerName: host, InsecureSkipVerify: true})
	hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := conn.HandshakeContext(hctx); err != nil {
		return Check{Status: CheckFail, Why: fmt.Sprintf("TLS handshake with %s failed: %v", d.registryAddr, err), Fix: "esbtui up (the registry must serve HTTPS with the server certificate)"}
	}
	peer := conn.ConnectionState().PeerCertificates
	if len(peer) == 0 {
		return Check{Status: CheckFail, Why: "the registry sent no certificate", Fix: "esbtui up"}
	}
	inter := x509.NewCertPool()
	for _, c := range peer[1:] {
		inter.AddCert(c)
	}
	// No readable bundle (an empty sandbox) trusts nothing: the checks
	// below still say whose certificate it is, and the why names the
	// missing bundle.
	roots, verr := e.systemRoots()
	if verr != nil {
		roots = x509.NewCertPool()
	}
	if _, err := peer[0].Verify(x509.VerifyOptions{DNSName: host, Roots: roots, Intermediates: inter}); verr == nil {
		verr = err
	}
	if verr == nil {
		return Check{Status: CheckOK, Why: fmt.Sprintf("%s presents a certificate the system trusts for %s", d.registryAddr, host)}
	}
	// Not trusted by the system: is it at least ours?
	ourPool := x509.NewCertPool()
	if ca, err := e.Certs.LoadCA(); err == nil {
		ourPool.AddCert(ca.Cert)
	}
	if _, err := peer[0].Verify(x509.VerifyOptions{DNSName: host, Roots: ourPool, Intermediates: inter}); err != nil {
		var hn x509.HostnameError
		if errors.As(err, &hn) {
			return Check{Status: CheckFail, Why: fmt.Sprintf("the certificate on %s does not cover %s", d.registryAddr, host), Fix: "esbtui init --name " + host + " && esbtui up"}
		}
		return Check{Status: CheckFail, Why: fmt.Sprintf("%s serves a certificate not issued by our CA (issuer %q)", d.registryAddr, peer[0].Issuer.String()), Fix: "esbtui down && esbtui up (another server holds the port, or it uses old certificates)"}
	}
	return Check{Status: CheckFail, Why: fmt.Sprintf("%s uses our certificate, but the system trust store does not trust our CA: %v", d.registryAddr, verr), Fix: "esbtui trust install"}
}

func checkV2(ctx context.Context, e *Env, d *doctorRun) Check {
	pool, err := e.systemRoots()
	if err != nil {
		pool = x509.NewCertPool() // our CA alone still answers whether /v2/ works
	}
	if ca, err := e.Certs.LoadCA(); err == nil {
		pool = pool.Clone()
		pool.AddCert(ca.Cert)
	}
	cl := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+d.registryAddr+"/v2/", nil)
	resp, err := cl.Do(req)
	if err != nil {
		return Check{Status: CheckFail, Why: "GET /v2/: " + err.Error(), Fix: "esbtui up"}
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return Check{Status: CheckOK, Why: "GET https://" + d.registryAddr + "/v2/ answered 200 (" + resp.Header.Get("Docker-Distribution-Api-Version") + ")"}
	case http.StatusUnauthorized:
		return Check{Status: CheckOK, Why: "GET /v2/ answered 401: the registry requires authentication (credentials are checked by the probe)"}
	}
	return Check{Status: CheckFail, Why: fmt.Sprintf("GET /v2/ answered %s: not a registry", resp.Status), Fix: "esbtui down && esbtui up"}
}

// systemRoots loads the system pool fresh: x509.SystemCertPool is cached for
// the process (golang/go#24540) and would miss a trust install made since.
// Under ESB_TRUST_ROOT it reads the sandbox's bundle, never the machine's.
func (e *Env) systemRoots() (*x509.CertPool, error) {
	return freshSystemPool(e.Cfg.TrustRoot, e.Cfg.RuntimeCAEnv["SSL_CERT_FILE"], e.Cfg.Host.SSLCertDir)
}
