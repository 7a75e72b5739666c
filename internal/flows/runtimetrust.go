package flows

import (
	"crypto/x509"
	"fmt"
	"strings"

	pkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/esbtui/esbtui/internal/safefile"
)

// RuntimeTrust is whether one runtime with its own trust store trusts
// esbtui's CA through esbtui's environment (the variable `esbtui env`
// sets for it).
type RuntimeTrust struct {
	Runtime  string `json:"runtime"`
	Variable string `json:"variable"`
	// Trusted: the variable names a file holding esbtui's CA.
	Trusted bool `json:"trusted"`
	// Set: the variable is set at all.
	Set bool   `json:"set"`
	Why string `json:"why"`
}

// runtimeVars are the runtimes `esbtui env` covers, by variable.
var runtimeVars = []struct{ runtime, variable string }{
	{"node", "NODE_EXTRA_CA_CERTS"},
	{"requests", "REQUESTS_CA_BUNDLE"},
	{"openssl/go", "SSL_CERT_FILE"},
	{"curl", "CURL_CA_BUNDLE"},
	{"java", "JAVA_TOOL_OPTIONS"},
}

// maxCAFileRead bounds a CA file a variable names.
const maxCAFileRead = 8 << 20

// runtimesTrust checks each runtime variable of vars against ca.
func runtimesTrust(vars map[string]string, ca *x509.Certificate) []RuntimeTrust {
	out := make([]RuntimeTrust, 0, len(runtimeVars))
	for _, rv := range runtimeVars {
		r := RuntimeTrust{Runtime: rv.runtime, Variable: rv.variable}
		v, set := vars[rv.variable]
		r.Set = set && v != ""
		switch {
		case !r.Set:
			r.Why = rv.variable + " is not set: eval \"$(esbtui env)\""
		case rv.variable == "JAVA_TOOL_OPTIONS":
			r.Trusted, r.Why = javaOptionsTrust(v, ca)
		default:
			r.Trusted, r.Why = pemFileTrust(rv.variable, v, ca)
		}
		out = append(out, r)
	}
	return out
}

func pemFileTrust(variable, path string, ca *x509.Certificate) (bool, string) {
	data, err := safefile.ReadFile(path, variable, maxCAFileRead)
	if err != nil {
		return false, fmt.Sprintf("%s=%s: %v", variable, path, err)
	}
	if !bundleHolds(data, ca) {
		return false, fmt.Sprintf("%s=%s does not hold esbtui's CA: eval \"$(esbtui env)\"", variable, path)
	}
	return true, fmt.Sprintf("%s=%s holds esbtui's CA", variable, path)
}

// javaOptionsTrust reads -Djavax.net.ssl.trustStore(Type|Password) from a
// JAVA_TOOL_OPTIONS value and checks the PKCS#12 truststore holds ca.
func javaOptionsTrust(opts string, ca *x509.Certificate) (bool, string) {
	props := map[string]string{}
	for _, f := range strings.Fields(opts) {
		if k, v, ok := strings.Cut(strings.TrimPrefix(f, "-D"), "="); ok && strings.HasPrefix(f, "-Djavax.net.ssl.") {
			props[k] = v
		}
	}
	path := props["javax.net.ssl.trustStore"]
	if path == "" {
		return false, "JAVA_TOOL_OPTIONS sets no javax.net.ssl.trustStore: eval \"$(esbtui env)\" (or `esbtui trust install --store java` for Java's cacerts)"
	}
	if t := props["javax.net.ssl.trustStoreType"]; t != "" && !strings.EqualFold(t, "PKCS12") {
		return false, fmt.Sprintf("javax.net.ssl.trustStore %s is of type %s: esbtui checks PKCS12 truststores", path, t)
	}
	data, err := safefile.ReadFile(path, "the Java truststore", maxCAFileRead)
	if err != nil {
		return false, fmt.Sprintf("javax.net.ssl.trustStore=%s: %v", path, err)
	}
	certs, err := pkcs12.DecodeTrustStore(data, props["javax.net.ssl.trustStorePassword"])
	if err != nil {
		return false, fmt.Sprintf("javax.net.ssl.trustStore=%s: not a PKCS#12 truststore with that password: %v", path, err)
	}
	for _, c := range certs {
		if c.Equal(ca) {
			return true, fmt.Sprintf("javax.net.ssl.trustStore=%s holds esbtui's CA", path)
		}
	}
	return false, fmt.Sprintf("javax.net.ssl.trustStore=%s does not hold esbtui's CA: eval \"$(esbtui env)\"", path)
}
