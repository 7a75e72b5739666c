package flows

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/esbtui/esbtui/internal/termtext"
	"github.com/esbtui/esbtui/pki"
	"github.com/esbtui/esbtui/stack"
	"github.com/esbtui/esbtui/stack/engine"
)

// ContainerRegistryURL is what a container on the stack's network reaches
// the registry at: the name esb-registry is in the server certificate.
const ContainerRegistryURL = "https://esb-registry:5000/v2/"

// How a container's trust was found.
const (
	TrustByCurl   = "curl"    // curl in the container verified the registry
	TrustByPython = "python3" // Python's urllib in the container did
	TrustByBundle = "bundle"  // the system bundle read from the container
)

// ContainerTrustStatus is whether one running service trusts esbtui's CA,
// found from inside its container.
type ContainerTrustStatus struct {
	Service   string `json:"service"`
	Container string `json:"container"`
	// OptedIn: esb.yaml or the esb.trust label asks for esbtui's CA.
	OptedIn bool `json:"opted_in"`
	Trusted bool `json:"trusted"`
	// Method is how Trusted was found (curl, python3, bundle), empty when
	// it could not be.
	Method string `json:"method,omitempty"`
	Detail string `json:"detail"`
}

// ContainerTrustReport is `esbtui trust containers`.
type ContainerTrustReport struct {
	Project string `json:"project"`
	// CA is the SHA-256 fingerprint of esbtui's CA.
	CA       string                 `json:"ca"`
	Services []ContainerTrustStatus `json:"services"`
	// Error says why opt-ins could not be read (the compose project).
	Error string `json:"error,omitempty"`
}

// OK reports whether every opted-in service trusts the CA.
func (r *ContainerTrustReport) OK() bool {
	for _, s := range r.Services {
		if s.OptedIn && !s.Trusted {
			return false
		}
	}
	return r.Error == ""
}

// maxBundleRead bounds a system bundle read from a container.
const maxBundleRead = 8 << 20

// ContainerTrust checks, for each running service of the project (only
// those that opt in when optedOnly), whether it trusts esbtui's CA: a TLS
// handshake to the registry from inside the container with its own curl
// or python3, else the system bundle read from the container (which must
// hold the CA).
func (e *Env) ContainerTrust(ctx context.Context, optedOnly bool) (*ContainerTrustReport, error) {
	ca, err := e.Certs.LoadUsableCA(e.Now())
	if err != nil {
		return nil, fmt.Errorf("trust containers: load the CA: %w", err)
	}
	rep := &ContainerTrustReport{Project: e.Cfg.Project, CA: pki.Fingerprint(ca.Cert)}
	opted := map[string]bool{}
	if p, err := e.LoadStack(ctx, StackOptions{}); err != nil {
		rep.Error = err.Error()
	} else if svcs, err := e.TrustedServices(p); err != nil {
		rep.Error = err.Error()
	} else {
		for _, s := range svcs {
			opted[s] = true
		}
	}
	eng, err := e.Engine(ctx)
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	services, err := eng.Ps(ctx, e.Cfg.Project)
	if err != nil {
		return nil, err
	}
	sort.Slice(services, func(i, j int) bool { return services[i].Name < services[j].Name })
	for _, s := range services {
		if s.State != "running" || (optedOnly && !opted[s.Name]) {
			continue
		}
		st := e.checkContainerTrust(ctx, eng, s, ca.Cert)
		st.OptedIn = opted[s.Name]
		rep.Services = append(rep.Services, st)
	}
	return rep, nil
}

// probe is one in-container handshake tool: its argv and how to read its
// exit code.
type probe struct {
	method string
	argv   []string
	// refused are the exit codes meaning "certificate not trusted".
	refused []int
}

// pythonProbe exits 0 when the handshake verifies, 3 on a certificate
// verification failure, 4 on anything else (name, connection).
const pythonProbe = `import ssl, sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1], timeout=10)
except urllib.error.HTTPError:
    sys.exit(0)
except ssl.SSLCertVerificationError as e:
    print(e); sys.exit(3)
except urllib.error.URLError as e:
    print(e.reason); sys.exit(3 if isinstance(e.reason, ssl.SSLCertVerificationError) else 4)
except Exception as e:
    print(e); sys.exit(4)
`

var containerProbes = []probe{
	// 60: certificate not verified; 77: CA file unreadable; 35: TLS
	// handshake failed; 51: the name does not match.
	{TrustByCurl, []string{"curl", "-sS", "-o", "/dev/null", "--max-time", "10", ContainerRegistryURL}, []int{35, 51, 60, 77}},
	{TrustByPython, []string{"python3", "-c", pythonProbe, ContainerRegistryURL}, []int{3}},
}

func (e *Env) checkContainerTrust(ctx context.Context, eng *engine.Engine, s engine.Service, ca *x509.Certificate) ContainerTrustStatus {
	st := ContainerTrustStatus{Service: s.Name, Container: s.Container}
	var notes []string
	for _, p := range containerProbes {
		pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		out, code, err := eng.Exec(pctx, s.ID, p.argv)
		cancel()
		out = probeOutput(out)
		switch {
		case err != nil || code == 126 || code == 127 || strings.Contains(out, "executable file not found"):
			continue // no such tool in the image
		case code == 0:
			st.Trusted, st.Method = true, p.method
			st.Detail = p.method + " in the container verified " + ContainerRegistryURL
			return st
		case slices.Contains(p.refused, code):
			st.Method = p.method
			st.Detail = fmt.Sprintf("%s in the container refused %s: %s", p.method, ContainerRegistryURL, out)
			return st
		default:
			notes = append(notes, fmt.Sprintf("%s could not reach %s (exit %d: %s)", p.method, ContainerRegistryURL, code, out))
		}
	}
	// No tool (or no way to the registry): read the system bundle.
	for _, path := range stack.SystemBundlePaths {
		data, err := eng.ReadContainerFile(ctx, s.ID, path, maxBundleRead)
		if errors.Is(err, engine.ErrNotInContainer) {
			continue
		}
		if err != nil {
			notes = append(notes, termtext.Clean(err.Error()))
			break
		}
		st.Method = TrustByBundle
		if bundleHolds(data, ca) {
			st.Trusted = true
			notes = append(notes, path+" holds esbtui's CA")
		} else {
			notes = append(notes, path+" does not hold esbtui's CA")
		}
		st.Detail = strings.Join(notes, "; ")
		return st
	}
	notes = append(notes, "no system CA bundle in the container ("+strings.Join(stack.SystemBundlePaths, ", ")+")")
	st.Detail = strings.Join(notes, "; ")
	return st
}

// bundleHolds reports whether the PEM data holds ca.
func bundleHolds(data []byte, ca *x509.Certificate) bool {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return false
		}
		if b.Type == "CERTIFICATE" && bytes.Equal(b.Bytes, ca.Raw) {
			return true
		}
	}
}

// probeOutput is the first non-empty line of s, cleaned for the terminal
// and bounded.
func probeOutput(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(termtext.Clean(l)); l != "" {
			if len(l) > 200 {
				l = l[:200] + "…"
			}
			return l
		}
	}
	return ""
}
