package flows

import (
	"fmt"
	"strings"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/stack"
	"github.com/esbtui/esbtui/trust"
)

// TrustBundle keeps the CA bundle for containers and runtimes current in
// $ESB_HOME/trust (public web roots + esbtui's CA, PEM and PKCS#12): the
// CA comes only through pki's checks (LoadUsableCA), and the files are
// rewritten only when the CA changed.
func (e *Env) TrustBundle() (*trust.Bundle, error) {
	ca, err := e.Certs.LoadUsableCA(e.Now())
	if err != nil {
		return nil, fmt.Errorf("CA bundle: load the CA: %w", err)
	}
	b, err := trust.WriteBundle(e.Cfg.TrustDir(), ca.Cert)
	if err != nil {
		return nil, err
	}
	if b.Written {
		e.record("trust.bundle", map[string]any{"pem": b.PEM, "truststore": b.TrustStore, "sha256": b.SHA256, "public_roots": b.PublicRoots})
	}
	return b, nil
}

// TrustedServices are the services of p that opt in to esbtui's CA
// (esb.yaml trust.containers, or the label esb.trust: "true").
func (e *Env) TrustedServices(p *stack.Project) ([]string, error) {
	tc := e.Cfg.TrustContainers
	origin := tc.Origin
	if origin == "" {
		origin = e.Cfg.ProjectFile
	}
	return p.TrustedServices(tc.All, tc.Services, origin)
}

// applyContainerTrust adds the CA bundle's mounts and variables to the
// services that opt in, writing the bundle first; warnings (what the user
// set and esbtui left alone) are reported and logged.
func (e *Env) applyContainerTrust(p *stack.Project, rep progress.Reporter) error {
	svcs, err := e.TrustedServices(p)
	if err != nil || len(svcs) == 0 {
		return err
	}
	rep.Step("trust", progress.Start, "mounting esbtui's CA bundle into "+strings.Join(svcs, ", "))
	b, err := e.TrustBundle()
	if err != nil {
		return err
	}
	warnings, err := p.AddContainerTrust(svcs, stack.ContainerTrust{
		BundlePEM: b.PEM, TrustStore: b.TrustStore, BundleSHA256: b.SHA256,
		TrustStorePassword: trust.TrustStorePassword,
	})
	if err != nil {
		return err
	}
	for _, w := range warnings {
		e.Log.Warn("container trust", "warning", w)
		rep.Emit(progress.Event{Step: "trust", Status: progress.Warning, Message: w})
	}
	rep.Step("trust", progress.Done, fmt.Sprintf("%s trust esbtui's CA (bundle %s, %d public roots)", strings.Join(svcs, ", "), b.PEM, b.PublicRoots))
	return nil
}

// HostRuntimeEnv are the variables that make the host's runtimes with
// their own trust stores (Node, Python requests, curl, OpenSSL and Go,
// Java) trust esbtui's CA through the bundle in $ESB_HOME/trust, written
// first when needed. javaOptions is the JAVA_TOOL_OPTIONS already set (its
// options are kept, before the truststore's).
func (e *Env) HostRuntimeEnv(javaOptions string) (map[string]string, *trust.Bundle, error) {
	b, err := e.TrustBundle()
	if err != nil {
		return nil, nil, err
	}
	java := stack.JavaTrustOptions(b.TrustStore, trust.TrustStorePassword)
	if javaOptions = strings.TrimSpace(javaOptions); javaOptions != "" && !strings.Contains(javaOptions, java) {
		java = javaOptions + " " + java
	} else if javaOptions != "" {
		java = javaOptions
	}
	return map[string]string{
		"NODE_EXTRA_CA_CERTS": b.PEM,
		"REQUESTS_CA_BUNDLE":  b.PEM,
		"SSL_CERT_FILE":       b.PEM,
		"CURL_CA_BUNDLE":      b.PEM,
		"JAVA_TOOL_OPTIONS":   java,
	}, b, nil
}
