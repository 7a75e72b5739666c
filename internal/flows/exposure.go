package flows

import (
	"fmt"
	"strings"

	"github.com/esbtui/esbtui/pki"
	"github.com/esbtui/esbtui/stack"
)

// checkExposure applies the loopback rule to the merged compose project, so
// a user file cannot do what `--bind` without `--auth` may not: publish the
// registry, or any service that can read the server key, on a non-loopback
// address (every port form, network_mode: host, a shared network) without
// basic auth. A service that can read the CA key is refused beyond loopback
// even with auth: registry auth does not protect a key.
func (e *Env) checkExposure(p *stack.Project) error {
	caKey := e.Certs.Path(pki.CAKeyFile)
	for _, x := range p.Exposures([]string{e.Certs.Path(pki.ServerKeyFile), caKey}) {
		holdsCA := false
		for _, k := range x.Keys {
			holdsCA = holdsCA || k == caKey
		}
		if !holdsCA && x.RegistryAuth && e.AuthEnabled() {
			continue
		}
		return &BindNeedsAuthError{Bind: x.Published[0], Exposure: &x, Files: p.Files}
	}
	return nil
}

func (e *BindNeedsAuthError) exposureError() string {
	x := e.Exposure
	fix := "publish it on 127.0.0.1 only (\"127.0.0.1:PORT:PORT\", or host_ip: 127.0.0.1), or run `esbtui up --auth` for the registry"
	for _, h := range x.Holds {
		if strings.Contains(h, pki.CAKeyFile) {
			fix = "no service may mount the CA key (" + pki.CAKeyFile + ") and be reachable from the network: remove that mount, or publish the service on 127.0.0.1 only"
		}
	}
	return fmt.Sprintf("up: refusing to start: the compose files (%s) make service %s reachable beyond this machine on %s without authentication, and it %s: anyone who can reach this machine could use it; %s",
		strings.Join(e.Files, ", "), x.Service, strings.Join(x.Published, ", "), strings.Join(x.Holds, "; "), fix)
}
