package flows

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/registryclient"
	"github.com/esbtui/esbtui/stack/engine"
)

// maxDockerfile bounds how much of a Dockerfile is read for its FROM lines.
const maxDockerfile = 1 << 20

// verifyBaseImages verifies the signature of every base image fn's
// Dockerfile takes FROM the configured registry (esb.yaml `verify:
// required`); images from elsewhere are not esbtui's to vouch for.
func (e *Env) verifyBaseImages(ctx context.Context, fn engine.Function, sink progress.Sink) error {
	path := filepath.Join(fn.Context, fn.Dockerfile)
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("build %s: read %s for its base images (verify: required): %w", fn.Name, path, err)
	}
	defer f.Close()
	refs, err := fromImages(io.LimitReader(f, maxDockerfile))
	if err != nil {
		return fmt.Errorf("build %s: read %s: %w", fn.Name, path, err)
	}
	rep := progress.Reporter{Op: "verify", Sink: sink}
	for _, ref := range refs {
		if strings.Contains(ref, "$") {
			rep.Step("base", progress.Warning, fmt.Sprintf("%s: base image %q uses a build argument; it is not verified", fn.Name, ref))
			continue
		}
		r, err := registryclient.ParseReference(ref, "")
		if err != nil || r.Context().RegistryStr() != e.Cfg.Registry {
			continue
		}
		if _, err := e.Verify(ctx, ref, sink); err != nil {
			return fmt.Errorf("build %s: refused: base image %s (FROM in %s): %w", fn.Name, ref, path, err)
		}
	}
	return nil
}

// fromImages lists the images a Dockerfile's FROM lines name, minus
// scratch and earlier stages.
func fromImages(r io.Reader) ([]string, error) {
	var out []string
	stages := map[string]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxDockerfile)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || !strings.EqualFold(fields[0], "FROM") {
			continue
		}
		args := fields[1:]
		for len(args) > 0 && strings.HasPrefix(args[0], "--") {
			args = args[1:]
		}
		if len(args) == 0 {
			continue
		}
		img := args[0]
		earlier := stages[strings.ToLower(img)]
		if len(args) >= 3 && strings.EqualFold(args[1], "AS") {
			stages[strings.ToLower(args[2])] = true
		}
		if strings.EqualFold(img, "scratch") || earlier {
			continue
		}
		out = append(out, img)
	}
	return out, sc.Err()
}
