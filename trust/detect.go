package trust

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
)

// Family is a Linux distribution family with its own system trust layout.
type Family string

// Supported families.
const (
	FamilyDebian Family = "debian" // Debian, Ubuntu and derivatives
	FamilyRHEL   Family = "rhel"   // RHEL, Fedora, CentOS, Rocky, Alma, Amazon
	FamilyArch   Family = "arch"   // Arch, Manjaro (p11-kit `trust anchor`)
	FamilySUSE   Family = "suse"   // openSUSE, SLES
)

// Detection is how the Linux family was decided: from /etc/os-release, or
// (said so) from the tools present when os-release does not name a family.
type Detection struct {
	Family Family `json:"family,omitempty"`
	ID     string `json:"id,omitempty"`
	IDLike string `json:"id_like,omitempty"`
	Source string `json:"source"`
	// Problem says why no family was chosen.
	Problem string `json:"problem,omitempty"`
}

func (d Detection) describe() []string {
	if d.Family == "" {
		return nil
	}
	return []string{fmt.Sprintf("family %s (%s)", d.Family, d.Source)}
}

var familyIDs = map[string]Family{
	"debian": FamilyDebian, "ubuntu": FamilyDebian, "linuxmint": FamilyDebian, "pop": FamilyDebian, "raspbian": FamilyDebian,
	"rhel": FamilyRHEL, "fedora": FamilyRHEL, "centos": FamilyRHEL, "rocky": FamilyRHEL, "almalinux": FamilyRHEL, "amzn": FamilyRHEL, "ol": FamilyRHEL,
	"arch": FamilyArch, "manjaro": FamilyArch, "endeavouros": FamilyArch,
	"suse": FamilySUSE, "opensuse": FamilySUSE, "opensuse-leap": FamilySUSE, "opensuse-tumbleweed": FamilySUSE, "sles": FamilySUSE, "sled": FamilySUSE,
}

// parseOSRelease reads KEY=value lines (values may be quoted).
func parseOSRelease(data []byte) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		out[strings.TrimSpace(k)] = v
	}
	return out
}

// DetectLinux decides the family from os-release (ID, then each ID_LIKE);
// without a known family there, it uses the tools and directories present,
// but only when exactly one family matches, and says so.
func DetectLinux(cfg *Config) Detection {
	var d Detection
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		data, err := os.ReadFile(cfg.path(p))
		if err != nil {
			continue
		}
		kv := parseOSRelease(data)
		d.ID, d.IDLike = kv["ID"], kv["ID_LIKE"]
		for _, id := range append([]string{d.ID}, strings.Fields(d.IDLike)...) {
			if f, ok := familyIDs[strings.ToLower(id)]; ok {
				d.Family = f
				d.Source = fmt.Sprintf("ID=%s", d.ID)
				if d.IDLike != "" {
					d.Source += fmt.Sprintf(" ID_LIKE=%q", d.IDLike)
				}
				d.Source += " in " + cfg.path(p)
				return d
			}
		}
		d.Source = cfg.path(p)
		break
	}
	// No known family in os-release: infer from tools, never silently.
	var hits []Family
	if cfg.tool("update-ca-trust") != "" {
		hits = append(hits, FamilyRHEL)
	}
	if exists(cfg.path("/etc/pki/trust/anchors")) && cfg.tool("update-ca-certificates") != "" {
		hits = append(hits, FamilySUSE)
	}
	if exists(cfg.path("/usr/local/share/ca-certificates")) && cfg.tool("update-ca-certificates") != "" {
		hits = append(hits, FamilyDebian)
	}
	if exists(cfg.path("/etc/ca-certificates/trust-source")) && cfg.tool("trust") != "" {
		hits = append(hits, FamilyArch)
	}
	what := "no " + cfg.path("/etc/os-release")
	if d.Source != "" {
		what = fmt.Sprintf("ID=%q ID_LIKE=%q in %s is not a known family", d.ID, d.IDLike, d.Source)
	}
	if len(hits) == 1 {
		d.Family = hits[0]
		d.Source = what + "; inferred from the trust tools present"
		return d
	}
	tools := "no family's trust tool found"
	if len(hits) > 1 {
		tools = fmt.Sprintf("tools of several families found: %v", hits)
	}
	d.Problem = fmt.Sprintf("cannot tell the Linux family (%s; %s): supported are Debian/Ubuntu, RHEL/Fedora, Arch, SUSE; trust the CA by hand", what, tools)
	return d
}

// familySpec is the layout of a file-based system store.
type familySpec struct {
	family        Family
	tool          string
	install       string // how to get the tool
	anchorDir     string
	ext           string
	bundle        string
	refresh       []string
	refreshRemove []string
	sandboxable   bool // the tool can be told to work under Config.Root
}

var familySpecs = map[Family]familySpec{
	FamilyDebian: {
		family: FamilyDebian, tool: "update-ca-certificates", install: "apt-get install ca-certificates",
		anchorDir: "/usr/local/share/ca-certificates", ext: ".crt",
		bundle:  "/etc/ssl/certs/ca-certificates.crt",
		refresh: nil, refreshRemove: []string{"--fresh"}, sandboxable: true,
	},
	FamilyRHEL: {
		family: FamilyRHEL, tool: "update-ca-trust", install: "dnf install ca-certificates",
		anchorDir: "/etc/pki/ca-trust/source/anchors", ext: ".pem",
		bundle:  "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
		refresh: []string{"extract"}, refreshRemove: []string{"extract"},
	},
	FamilySUSE: {
		family: FamilySUSE, tool: "update-ca-certificates", install: "zypper install ca-certificates",
		anchorDir: "/etc/pki/trust/anchors", ext: ".pem",
		bundle: "/var/lib/ca-certificates/ca-bundle.pem",
	},
}
