package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRetentionOnUp: esb.yaml's retention {keep: 1, on_up: true} prunes
// every repository to one tag and garbage-collects after `esbtui up`.
func TestRetentionOnUp(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	dir := t.TempDir()
	pf := filepath.Join(dir, "esb.yaml")
	os.WriteFile(pf, []byte("retention: {keep: 1, on_up: true}\n"), 0o644)
	env := s.With("ESB_PROJECT_FILE=" + pf)
	mustCLI(t, env, "up", "--no-tui")
	tr := caTransport(t, s.CACert())
	for i := 0; i < 3; i++ {
		pushRandom(t, tr, fmt.Sprintf("%s/app:v%d", s.Addr(), i))
	}
	res := mustCLI(t, env, "up", "--no-tui")
	if !strings.Contains(res.Stdout, "deleted 2 tags") {
		t.Fatalf("up did not apply retention:\n%s", res)
	}
	tags := mustCLI(t, env, "tags", "app", "--json")
	var doc struct {
		Tags []string `json:"tags"`
	}
	if err := json.Unmarshal([]byte(tags.Stdout), &doc); err != nil || len(doc.Tags) != 1 {
		t.Fatalf("tags after retention: %v %s", err, tags.Stdout)
	}
	audit, _ := os.ReadFile(filepath.Join(s.Home, "audit.jsonl"))
	if !strings.Contains(string(audit), `"registry.gc"`) {
		t.Fatalf("no gc recorded: %s", audit)
	}
	// A bad esb.yaml stops every command with file and line.
	os.WriteFile(pf, []byte("retention: {keep: 1, on_up: true}\nregistyr: x\n"), 0o644)
	bad := runCLI(t, env, "status", "--no-tui")
	if bad.Code == 0 || !strings.Contains(bad.Stderr, pf) || !strings.Contains(bad.Stderr, "line 2") {
		t.Fatalf("bad esb.yaml: %s", bad)
	}
}
