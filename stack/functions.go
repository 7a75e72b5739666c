package stack

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/esbtui/esbtui/stack/engine"
)

// FunctionsDir is the directory whose subdirectories with a Dockerfile are
// functions (the plan's layout: functions/<name>/Dockerfile).
const FunctionsDir = "functions"

// DiscoverFunctions lists the functions in dir (each subdirectory with a
// Dockerfile; usually ./functions) and the project's services that have a
// build: section (p may be nil). A name found in both places is an error:
// the image name would be ambiguous.
func DiscoverFunctions(dir string, p *Project) ([]engine.Function, error) {
	byName := map[string]engine.Function{}
	ents, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("stack: list %s: %w", dir, err)
	}
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		ctxDir := filepath.Join(dir, e.Name())
		if _, err := os.Stat(filepath.Join(ctxDir, "Dockerfile")); err != nil {
			continue
		}
		name := strings.ToLower(e.Name())
		byName[name] = engine.Function{Name: name, Context: ctxDir, Dockerfile: "Dockerfile", Source: filepath.Base(dir) + "/" + e.Name()}
	}
	if p != nil {
		for _, svc := range p.p.Services {
			if svc.Build == nil {
				continue
			}
			f := engine.Function{Name: svc.Name, Context: svc.Build.Context, Dockerfile: svc.Build.Dockerfile, Source: "compose service " + svc.Name, Target: svc.Build.Target}
			if f.Dockerfile == "" {
				f.Dockerfile = "Dockerfile"
			}
			if len(svc.Build.Args) > 0 {
				f.Args = map[string]*string{}
				for k, v := range svc.Build.Args {
					f.Args[k] = v
				}
			}
			if prev, ok := byName[f.Name]; ok {
				return nil, fmt.Errorf("stack: %q is both %s and %s: rename one, the image name must be unique", f.Name, prev.Source, f.Source)
			}
			byName[f.Name] = f
		}
	}
	out := make([]engine.Function, 0, len(byName))
	for _, f := range byName {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
