package tui

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/esbtui/esbtui/internal/flows"
)

// The Certificates pane lists the code-signing certificate with its days
// left once there is one, and its problems; a store without one shows no
// line for it.
func TestCertPaneListsSigningCertificate(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC)
	rep := flows.CertReport{Dir: "/home/dev/.esb/certs",
		CA:     flows.CertInfo{Role: "ca", Present: true, KeyMatch: true, ChainValid: true, DaysLeft: 3600, NotAfter: t0.AddDate(10, 0, 0)},
		Server: flows.CertInfo{Role: "server", Present: true, KeyMatch: true, ChainValid: true, DaysLeft: 190, NotAfter: t0.AddDate(0, 6, 0)},
	}
	p := &certPane{}
	p.set(rep)
	frame := paneFrame{st: newStyles(true), w: 100, h: 20, now: t0}
	if body := ansi.Strip(strings.Join(p.body(frame), "\n")); strings.Contains(body, "signing") {
		t.Fatalf("no signing certificate, yet the pane shows one:\n%s", body)
	}
	rep.Signing = flows.CertInfo{Role: "signing", Present: true, KeyMatch: true, ChainValid: true, DaysLeft: 12, NotAfter: t0.AddDate(0, 0, 12),
		Problems: []string{"signing.key does not match signing.crt: run `esbtui cert rotate --signing`"}}
	p.set(rep)
	body := ansi.Strip(strings.Join(p.body(frame), "\n"))
	for _, want := range []string{"signing", "12 days left", "cert rotate --signing"} {
		if !strings.Contains(body, want) {
			t.Fatalf("pane lacks %q:\n%s", want, body)
		}
	}
}

// Certificates in the certificate directory are outside input: their names,
// the CA's constraints and the problems quoting them reach the pane without
// escape sequences.
func TestCertPaneCleansTheCertificatesText(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC)
	rep := flows.CertReport{Dir: "/home/dev/.esb/certs",
		CA: flows.CertInfo{Role: "ca", Present: true, KeyMatch: true, ChainValid: true, DaysLeft: 3600, NotAfter: t0.AddDate(10, 0, 0),
			Constraints: []string{"localhost\x1b]0;pwned\x07"}},
		Server: flows.CertInfo{Role: "server", Present: true, KeyMatch: true, ChainValid: true, DaysLeft: 190, NotAfter: t0.AddDate(0, 6, 0),
			SANs: []string{"evil\x1b[2J"}, Problems: []string{"bad name \x1b]0;pwned\x07"}, Warnings: []string{"warn \x1b[2J"}},
	}
	p := &certPane{}
	p.set(rep)
	body := strings.Join(p.body(paneFrame{st: newStyles(true), w: 100, h: 20, now: t0}), "\n")
	if !strings.Contains(ansi.Strip(body), "evil") {
		t.Fatalf("the pane lacks the server's names:\n%s", ansi.Strip(body))
	}
	if strings.Contains(body, "\x1b]0;") || strings.Contains(body, "\x1b[2J") || strings.ContainsRune(body, 0x07) {
		t.Errorf("a control sequence from a certificate reached the pane:\n%q", body)
	}
}
