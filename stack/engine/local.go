package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/moby/moby/client"
)

// SeesOurFiles reports whether the engine shares this machine's filesystem,
// so a bind mount of one of esbtui's files reaches the container, and why.
// It does when it listens on a local socket (unix:// or a Windows named
// pipe) and its data root (Info's DockerRootDir) exists here; an engine
// behind tcp:// or ssh://, in a VM (Docker Desktop) or outside the
// container esbtui runs in does not. An engine whose data root cannot be
// asked for is taken as not sharing (copying works everywhere).
func (e *Engine) SeesOurFiles(ctx context.Context) (bool, string) {
	if !strings.HasPrefix(e.Host, "unix://") && !strings.HasPrefix(e.Host, "npipe://") {
		return false, "the engine at " + e.Host + " is not on this machine"
	}
	res, err := e.api.Info(ctx, client.InfoOptions{})
	if err != nil {
		return false, fmt.Sprintf("the engine at %s did not say where its data is (%v)", e.Host, err)
	}
	root := res.Info.DockerRootDir
	if root == "" {
		return false, "the engine at " + e.Host + " did not say where its data is"
	}
	if _, err := os.Stat(root); errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Sprintf("the engine's data root %s is not on this machine (the engine runs in a VM or outside this container)", root)
	}
	return true, fmt.Sprintf("the engine at %s keeps its data in %s on this machine", e.Host, root)
}
