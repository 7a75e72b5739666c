package trust

import (
	"context"
	"crypto/x509"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The families and systems this machine does not run: their plans (files
// and argv) are asserted exactly. No plan ever holds a shell string.

func TestRHELPlans(t *testing.T) {
	old, cur := testCAs(t)
	s := &fileSystemStore{cfg: &Config{}, ca: cur.ca, spec: familySpecs[FamilyRHEL], tool: "/usr/bin/update-ca-trust"}
	anchor := "/etc/pki/ca-trust/source/anchors/" + baseName(cur.ca.Cert) + ".pem"
	oldAnchor := "/etc/pki/ca-trust/source/anchors/" + baseName(old.ca.Cert) + ".pem"
	n := itoa(len(cur.ca.PEM))
	p := s.plan(OpInstall, sysState{})
	equalLines(t, "rhel install", stepsOf(p), []string{"write " + anchor + " (0644, " + n + " bytes)", "run /usr/bin/update-ca-trust extract"})
	if p.NeedsRoot != !isRoot() {
		t.Fatalf("NeedsRoot %v as root=%v", p.NeedsRoot, isRoot())
	}
	p = s.plan(OpInstall, sysState{others: []anchorFile{{Path: oldAnchor, Kin: stale}}})
	equalLines(t, "rhel replace", stepsOf(p), []string{"remove " + oldAnchor, "write " + anchor + " (0644, " + n + " bytes)", "run /usr/bin/update-ca-trust extract"})
	p = s.plan(OpInstall, sysState{fileOK: true, filePres: true})
	equalLines(t, "rhel half installed", stepsOf(p), []string{"run /usr/bin/update-ca-trust extract"})
	if p = s.plan(OpInstall, sysState{fileOK: true, filePres: true, bundle: bundleState{Has: true}}); !p.Empty() {
		t.Fatalf("rhel trusted: %v", stepsOf(p))
	}
	p = s.plan(OpUninstall, sysState{fileOK: true, filePres: true, bundle: bundleState{Has: true}})
	equalLines(t, "rhel uninstall", stepsOf(p), []string{"remove " + anchor, "run /usr/bin/update-ca-trust extract"})
	if p.Files()[0] != anchor || strings.Join(p.Commands()[0], " ") != "/usr/bin/update-ca-trust extract" {
		t.Fatalf("views: %v %v", p.Files(), p.Commands())
	}
	// Not sandboxable: under a root it does not apply rather than touch /etc.
	s.cfg = &Config{Root: t.TempDir()}
	if ok, why := s.Applies(); ok || !strings.Contains(why, "cannot be confined") {
		t.Fatalf("rhel under a root: %v %q", ok, why)
	}
}

func TestSUSEPlans(t *testing.T) {
	_, cur := testCAs(t)
	s := &fileSystemStore{cfg: &Config{}, ca: cur.ca, spec: familySpecs[FamilySUSE], tool: "/usr/sbin/update-ca-certificates"}
	anchor := "/etc/pki/trust/anchors/" + baseName(cur.ca.Cert) + ".pem"
	equalLines(t, "suse install", stepsOf(s.plan(OpInstall, sysState{})), []string{
		"write " + anchor + " (0644, " + itoa(len(cur.ca.PEM)) + " bytes)", "run /usr/sbin/update-ca-certificates"})
	equalLines(t, "suse uninstall", stepsOf(s.plan(OpUninstall, sysState{filePres: true, fileOK: true, bundle: bundleState{Has: true}})), []string{
		"remove " + anchor, "run /usr/sbin/update-ca-certificates"})
	if s.bundlePath() != "/var/lib/ca-certificates/ca-bundle.pem" {
		t.Fatal(s.bundlePath())
	}
}

func TestArchPlans(t *testing.T) {
	_, cur := testCAs(t)
	s := &archStore{cfg: &Config{}, ca: cur.ca, tool: "/usr/bin/trust"}
	equalLines(t, "arch install", stepsOf(s.plan(OpInstall, false)), []string{"run /usr/bin/trust anchor --store " + cur.ca.File})
	if p := s.plan(OpInstall, true); !p.Empty() {
		t.Fatal(stepsOf(p))
	}
	equalLines(t, "arch uninstall", stepsOf(s.plan(OpUninstall, true)), []string{"run /usr/bin/trust anchor --remove " + cur.ca.File})
	if p := s.plan(OpUninstall, false); !p.Empty() {
		t.Fatal(stepsOf(p))
	}
}

func TestMacOSPlans(t *testing.T) {
	old, cur := testCAs(t)
	s := &keychainStore{cfg: &Config{GOOS: "darwin"}, ca: cur.ca, tool: "/usr/bin/security"}
	p := s.plan(OpInstall, keychainState{stale: []string{sha1Hex(old.ca.Cert)}})
	equalLines(t, "macos install", stepsOf(p), []string{
		"run /usr/bin/security delete-certificate -Z " + sha1Hex(old.ca.Cert) + " /Library/Keychains/System.keychain",
		"run /usr/bin/security add-trusted-cert -d -r trustRoot -p ssl -k /Library/Keychains/System.keychain " + cur.ca.File,
	})
	if !p.NeedsRoot || len(p.Notes) != 2 || !strings.Contains(p.Notes[1], "Docker Desktop") {
		t.Fatalf("macos plan: root=%v notes=%v", p.NeedsRoot, p.Notes)
	}
	if p := s.plan(OpInstall, keychainState{present: true, trusted: true}); !p.Empty() {
		t.Fatal(stepsOf(p))
	}
	equalLines(t, "macos uninstall", stepsOf(s.plan(OpUninstall, keychainState{present: true, trusted: true})), []string{
		"run /usr/bin/security remove-trusted-cert -d " + cur.ca.File,
		"run /usr/bin/security delete-certificate -Z " + sha1Hex(cur.ca.Cert) + " /Library/Keychains/System.keychain",
	})
	if ok, _ := (&keychainStore{cfg: &Config{GOOS: "linux"}, ca: cur.ca, tool: "/usr/bin/security"}).Applies(); ok {
		t.Fatal("keychain applies on linux")
	}
}

// fakeCrypt32 stands in for the Windows API in plan tests only; the real
// calls are vetted with GOOS=windows and cannot run here.
type fakeCrypt32 struct{ certs []winCert }

func (f *fakeCrypt32) List() ([]winCert, error) { return f.certs, nil }
func (f *fakeCrypt32) Add(der, usage []byte) error {
	c, err := x509.ParseCertificate(der)
	f.certs = append(f.certs, winCert{Cert: c, Usage: usage})
	return err
}
func (f *fakeCrypt32) Delete(h string) error {
	var keep []winCert
	for _, c := range f.certs {
		if sha1Hex(c.Cert) != h {
			keep = append(keep, c)
		}
	}
	f.certs = keep
	return nil
}

func TestWindowsPlans(t *testing.T) {
	old, cur := testCAs(t)
	cfg := &Config{GOOS: "windows"}
	recordInstalled(cfg, old.ca)
	s := &winRootStore{cfg: cfg, ca: cur.ca, api: &fakeCrypt32{certs: []winCert{{Cert: old.ca.Cert}}}}
	p, err := s.Plan(context.Background(), OpInstall)
	if err != nil {
		t.Fatal(err)
	}
	equalLines(t, "windows install", stepsOf(p), []string{
		`call crypt32 CertDeleteCertificateFromStore LocalMachine\ROOT sha1=` + sha1Hex(old.ca.Cert),
		`call crypt32 CertAddCertificateContextToStore LocalMachine\ROOT sha1=` + sha1Hex(cur.ca.Cert) + `, then CertSetCertificateContextProperty CERT_ENHKEY_USAGE_PROP_ID serverAuth,clientAuth (trusted for TLS only)`,
	})
	if !p.NeedsRoot || len(p.Commands()) != 0 {
		t.Fatalf("windows plan: root=%v commands=%v", p.NeedsRoot, p.Commands())
	}
	equalLines(t, "windows uninstall", stepsOf(s.plan(OpUninstall, winState{present: true})), []string{
		`call crypt32 CertDeleteCertificateFromStore LocalMachine\ROOT sha1=` + sha1Hex(cur.ca.Cert)})
	if s.Check(context.Background()).State != Stale {
		t.Fatal("older CA in ROOT not reported stale")
	}
	// Executing needs an elevated process: off Windows that is refused
	// before any call is made.
	err = s.cfg.execute(context.Background(), p)
	if isRoot() && err != nil || !isRoot() && !errors.Is(err, ErrNeedsRoot) {
		t.Fatalf("execute: %v", err)
	}
}

func TestNoShellStrings(t *testing.T) {
	old, cur := testCAs(t)
	plans := []Plan{
		(&fileSystemStore{cfg: &Config{}, ca: cur.ca, spec: familySpecs[FamilyDebian], tool: "/usr/sbin/update-ca-certificates", keytl: "/usr/bin/keytool", cacert: debianJavaCacerts}).plan(OpUninstall, sysState{filePres: true, aliases: []string{"debian:x.pem"}}),
		(&archStore{cfg: &Config{}, ca: cur.ca, tool: "/usr/bin/trust"}).plan(OpInstall, false),
		(&keychainStore{cfg: &Config{GOOS: "darwin"}, ca: cur.ca, tool: "/usr/bin/security"}).plan(OpUninstall, keychainState{present: true, stale: []string{sha1Hex(old.ca.Cert)}}),
	}
	for _, p := range plans {
		for _, argv := range p.Commands() {
			if argv[0] == "sh" || argv[0] == "bash" || !filepath.IsAbs(argv[0]) {
				t.Fatalf("command %q is not an absolute tool path", argv)
			}
			for _, a := range argv {
				if a == "-c" {
					t.Fatalf("shell string in %q", argv)
				}
			}
		}
	}
}

func TestDetectLinux(t *testing.T) {
	cases := []struct {
		osRelease string
		want      Family
	}{
		{"ID=debian\nVERSION_ID=\"12\"\n", FamilyDebian},
		{"ID=ubuntu\nID_LIKE=debian\n", FamilyDebian},
		{"ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n", FamilyRHEL},
		{"ID=fedora\n", FamilyRHEL},
		{"ID=\"opensuse-tumbleweed\"\nID_LIKE=\"opensuse suse\"\n", FamilySUSE},
		{"ID=arch\n", FamilyArch},
		{"ID=manjaro\nID_LIKE=arch\n", FamilyArch},
	}
	noTools := map[string]string{"update-ca-trust": "", "update-ca-certificates": "", "trust": ""}
	for _, c := range cases {
		r := t.TempDir()
		copyData(t, filepath.Join(r, "etc/os-release"), c.osRelease)
		d := DetectLinux(&Config{Root: r, Tools: noTools})
		if d.Family != c.want || !strings.Contains(d.Source, "os-release") {
			t.Errorf("%q: got %+v, want %s", c.osRelease, d, c.want)
		}
	}
	// Unknown ID and no tools: no guess, a reason.
	r := t.TempDir()
	copyData(t, filepath.Join(r, "etc/os-release"), "ID=gentoo\n")
	d := DetectLinux(&Config{Root: r, Tools: noTools})
	if d.Family != "" || !strings.Contains(d.Problem, `ID="gentoo"`) {
		t.Fatalf("unknown: %+v", d)
	}
	st := newLinuxSystemStore(&Config{Root: r}, CA{}, d).Check(context.Background())
	if st.State != NotApplicable || !strings.Contains(st.Reason, "cannot tell the Linux family") {
		t.Fatalf("unknown family status: %+v", st)
	}
	// Unknown ID, one family's tools: inferred, and said so.
	mkdirs(t, filepath.Join(r, "usr/local/share/ca-certificates"))
	d = DetectLinux(&Config{Root: r, Tools: map[string]string{"update-ca-trust": "", "trust": "", "update-ca-certificates": "/usr/sbin/update-ca-certificates"}})
	if d.Family != FamilyDebian || !strings.Contains(d.Source, "inferred") {
		t.Fatalf("inferred: %+v", d)
	}
	// Debian without its tool: not applicable with the package to install.
	copyData(t, filepath.Join(r, "etc/os-release"), "ID=debian\n")
	st = newSystemStore(&Config{Root: r, GOOS: "linux", Tools: noTools}, CA{}).Check(context.Background())
	if st.State != NotApplicable || !strings.Contains(st.Reason, "apt-get install ca-certificates") {
		t.Fatalf("debian without tool: %+v", st)
	}
}

func copyData(t *testing.T, path, data string) {
	t.Helper()
	mkdirs(t, filepath.Dir(path))
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestWindowsTLSOnly: the CA is added to ROOT with its extended key usage
// property limited to server and client authentication, and a CA already
// there without that limit is planned again. The property value is checked
// with OpenSSL's ASN.1 parser as a second decoder.
func TestWindowsTLSOnly(t *testing.T) {
	_, cur := testCAs(t)
	api := &fakeCrypt32{certs: []winCert{{Cert: cur.ca.Cert}}}
	s := &winRootStore{cfg: &Config{GOOS: "windows"}, ca: cur.ca, api: api}
	if st := s.Check(context.Background()); st.State != Missing || !strings.Contains(st.Reason, "server and client authentication") {
		t.Fatalf("a CA in ROOT without the EKU limit: %+v", st)
	}
	p, err := s.Plan(context.Background(), OpInstall)
	if err != nil || len(p.Steps) != 1 || !strings.Contains(p.Steps[0].Desc, "CERT_ENHKEY_USAGE_PROP_ID serverAuth,clientAuth") {
		t.Fatalf("plan for an unscoped CA: %v %v", stepsOf(p), err)
	}
	api.certs = nil
	if err := p.Steps[0].call(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := s.Check(context.Background()); st.State != Trusted {
		t.Fatalf("after adding with the EKU limit: %+v", st)
	}
	der := filepath.Join(t.TempDir(), "eku.der")
	if err := os.WriteFile(der, api.certs[0].Usage, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("openssl", "asn1parse", "-inform", "DER", "-in", der).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl asn1parse: %v\n%s", err, out)
	}
	if strings.Count(string(out), "OBJECT") != 2 || !strings.Contains(string(out), "TLS Web Server Authentication") || !strings.Contains(string(out), "TLS Web Client Authentication") {
		t.Fatalf("EKU property is not SEQUENCE { serverAuth, clientAuth }:\n%s", out)
	}
}
