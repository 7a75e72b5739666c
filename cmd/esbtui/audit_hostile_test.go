package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esbtui/esbtui/internal/config"
)

// The audit log is a file in ESB_HOME: an action or source written into it
// by someone else must not drive the terminal when `esbtui audit` prints it.
func TestAuditPrintsTheLogClean(t *testing.T) {
	home := t.TempDir()
	t.Setenv(config.EnvRegistry, "127.0.0.1:1")
	t.Setenv(config.EnvProjectFile, "")
	line := `{"time":"2026-01-02T03:04:05Z","action":"trust.installed\u001b]0;pwned\u0007\u001b[2J","source":"x\u001b[31m","fields":{"store":"system"}}` + "\n"
	if err := os.WriteFile(filepath.Join(home, "audit.jsonl"), []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, home, "audit", "--no-tui")
	if code != 0 {
		t.Fatalf("audit: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "trust.installed") {
		t.Fatalf("the entry is not printed:\n%q", out)
	}
	if strings.ContainsAny(out+errOut, "\x1b\x07") {
		t.Errorf("control sequence from the audit log reached the terminal:\n%q", out+errOut)
	}
}
