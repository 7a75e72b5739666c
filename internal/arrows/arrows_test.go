package arrows

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/esbtui/esbtui/"

// layers: what each kind of package may import from this module.
var (
	bottom = []string{"internal/config", "internal/progress", "internal/termtext", "internal/safefile", "internal/redact", "internal/wire"}
	faces  = []string{"cmd/esbtui", "tui"}
	domain = []string{"pki", "trust", "stack", "stack/engine", "stack/selfimage", "registryclient", "registryserver", "notary", "enginemirror", "hubquota"}
	// domainEdges are the only imports between domain packages.
	domainEdges = map[string][]string{
		"stack":        {"stack/engine", "stack/selfimage"},
		"enginemirror": {"trust"}, // its plans are trust plans, run by trust.Execute
	}
)

// TestImportsPointOneWay: the faces import only flows and the bottom
// layer; flows imports anything below it; a domain package imports the
// bottom layer, pki (TLS material) and its listed neighbours; the bottom
// layer imports only the bottom layer. Nothing imports a face or flows
// from below.
func TestImportsPointOneWay(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}:{{join .Imports " "}}`, module+"...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ":")
		pkg = strings.TrimPrefix(pkg, module)
		if strings.HasPrefix(pkg, "test/") || strings.HasPrefix(pkg, "internal/testutil") || strings.HasSuffix(pkg, "/registrytest") || pkg == "internal/arrows" {
			continue
		}
		seen++
		for _, imp := range strings.Fields(imports) {
			dep, ok := strings.CutPrefix(imp, module)
			if !ok {
				continue
			}
			if !allowed(pkg, dep) {
				t.Errorf("%s imports %s: against the arrows in README's Code layout", pkg, dep)
			}
		}
	}
	if seen < 15 {
		t.Fatalf("only %d packages listed: the check would prove nothing", seen)
	}
}

func allowed(pkg, dep string) bool {
	switch {
	case pkg == "cmd/esbtui" && dep == "tui":
		return true
	case slices.Contains(faces, dep) || dep == "internal/flows" && !slices.Contains(faces, pkg):
		return false
	case slices.Contains(bottom, dep):
		return true
	case slices.Contains(bottom, pkg):
		return false
	case slices.Contains(faces, pkg):
		return dep == "internal/flows"
	case pkg == "internal/flows":
		return true
	case slices.Contains(domain, pkg):
		return dep == "pki" || slices.Contains(domainEdges[pkg], dep)
	}
	return false // a package this test does not know: place it in a layer
}
