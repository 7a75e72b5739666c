package enginemirror

import (
	"bytes"
	"path/filepath"
	"slices"

	"github.com/esbtui/esbtui/trust"
)

// InstalledFor lists the engine files esbtui wrote that route pulls to m:
// the daemon.json entry (from the record), containerd's hosts.toml and the
// podman drop-in naming its address. Removing m from esb.yaml while these
// exist would leave them behind (uninstall plans from esb.yaml).
func InstalledFor(c *Config, m Mirror) []string {
	var out []string
	if rec, err := c.Record.Read(); err == nil && rec != nil && slices.Contains(rec.Added, m.URL()) {
		out = append(out, rec.Path)
	}
	if ns, err := m.Namespace(); err == nil {
		p := filepath.Join(c.path(trust.ContainerdCertsD), ns, "hosts.toml")
		if data, _, ok, err := readFile(p); err == nil && ok && bytes.HasPrefix(data, []byte(mirrorMarker)) {
			out = append(out, p)
		}
	}
	p := filepath.Join(c.path(RegistriesConfD), PodmanConfFile)
	if data, _, ok, err := readFile(p); err == nil && ok && bytes.Contains(data, []byte("\""+m.Address()+"\"")) {
		out = append(out, p)
	}
	return out
}
