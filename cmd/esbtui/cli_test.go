package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, home string, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("ESB_HOME", home)
	t.Setenv("ESB_CERT_DIR", "")
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// initCerts runs the certificate part of init only (trust stores are tested
// in trust/ against sandboxes, never the machine's own).
func initCerts(t *testing.T, home string) (int, string, string) {
	t.Helper()
	return runCLI(t, home, "init", "--no-tui", "--skip-trust")
}

func TestInitTwiceThenStatus(t *testing.T) {
	home := t.TempDir()
	code, out, errOut := initCerts(t, home)
	if code != 0 || !strings.Contains(out, "created") || !strings.Contains(out, "issued") {
		t.Fatalf("first init: code %d\n%s\n%s", code, out, errOut)
	}
	ca1, _ := os.ReadFile(filepath.Join(home, "certs", "rootCA.crt"))
	_, out, _ = initCerts(t, home)
	if !strings.Contains(out, "nothing to do") {
		t.Fatalf("second init did not say nothing to do:\n%s", out)
	}
	ca2, _ := os.ReadFile(filepath.Join(home, "certs", "rootCA.crt"))
	if !bytes.Equal(ca1, ca2) {
		t.Fatal("CA changed on second init")
	}
	_, out, _ = runCLI(t, home, "status", "--json")
	var snap struct {
		Certs struct {
			CA struct {
				Present  bool `json:"present"`
				DaysLeft int  `json:"days_left"`
			} `json:"ca"`
			Server struct {
				SANs       []string `json:"sans"`
				KeyMatch   bool     `json:"key_match"`
				ChainValid bool     `json:"chain_valid"`
			} `json:"server"`
		} `json:"certs"`
	}
	if err := json.Unmarshal([]byte(out), &snap); err != nil {
		t.Fatalf("status --json is not JSON: %v\n%s", err, out)
	}
	if !snap.Certs.CA.Present || snap.Certs.CA.DaysLeft < 3600 || !snap.Certs.Server.KeyMatch || !snap.Certs.Server.ChainValid || len(snap.Certs.Server.SANs) != 6 {
		t.Fatalf("status: %+v", snap)
	}
	audit, _ := os.ReadFile(filepath.Join(home, "audit.jsonl"))
	if !strings.Contains(string(audit), `"ca.created"`) || strings.Count(string(audit), "ca.created") != 1 {
		t.Fatalf("audit log: %s", audit)
	}
}

func TestStatusOnFreshHomeFails(t *testing.T) {
	code, out, _ := runCLI(t, t.TempDir(), "status", "--no-tui")
	if code != exitFailed || !strings.Contains(out, "esbtui init") {
		t.Fatalf("code %d\n%s", code, out)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	home := t.TempDir()
	for _, args := range [][]string{
		{"init", "--key-type", "dsa"},
		{"init", "--name", "https://x.test"},
		{"status", "extra"},
		{"--bogus"},
		{"nosuchcommand"},
	} {
		code, _, errOut := runCLI(t, home, args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut)
		}
	}
}

func TestVersionJSON(t *testing.T) {
	code, out, _ := runCLI(t, t.TempDir(), "version", "--json")
	var v map[string]string
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil || v["version"] == "" || v["commit"] == "" || v["date"] == "" {
		t.Fatalf("code %d: %s", code, out)
	}
}

func TestCertExportNeverPrintsPassword(t *testing.T) {
	home := t.TempDir()
	initCerts(t, home)
	code, out, errOut := runCLI(t, home, "cert", "export", "--pkcs12")
	if code != 0 {
		t.Fatalf("export: %d %s %s", code, out, errOut)
	}
	pass, _ := os.ReadFile(filepath.Join(home, "certs", "server.p12.pass"))
	if len(bytes.TrimSpace(pass)) < 16 || strings.Contains(out+errOut, strings.TrimSpace(string(pass))) {
		t.Fatal("password missing or printed")
	}
}

func TestAuditSince(t *testing.T) {
	home := t.TempDir()
	initCerts(t, home)
	code, out, _ := runCLI(t, home, "audit", "--since", "1h")
	if code != 0 || !strings.Contains(out, "ca.created") || !strings.Contains(out, "server_cert.issued") {
		t.Fatalf("audit: %d\n%s", code, out)
	}
	_, out, _ = runCLI(t, home, "audit", "--since", "2999-01-01")
	if !strings.Contains(out, "no changes") {
		t.Fatalf("future since: %s", out)
	}
	if code, _, _ := runCLI(t, home, "audit", "--since", "yesterday-ish"); code != exitUsage {
		t.Fatalf("bad --since exit %d", code)
	}
}
