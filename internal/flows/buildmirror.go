package flows

import (
	"context"
	"strings"

	"github.com/esbtui/esbtui/enginemirror"
	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/stack/engine"
	"github.com/esbtui/esbtui/trust"
)

// buildMirrorNote says whether `esbtui build` pulls its Docker Hub base
// images through the cache. Both builders esbtui uses (the engine's classic
// builder and its BuildKit, through the engine API) pull base images with
// the engine's registry configuration, so registry-mirrors covers them; FROM
// lines are never rewritten (that would change what the Dockerfile says and
// what the image records). Other upstreams have no engine-wide mirror in
// Docker: those base images come from their registry directly.
func (e *Env) buildMirrorNote(ctx context.Context, eng *engine.Engine, rep progress.Reporter) {
	var want []string
	for _, m := range e.Cfg.Mirrors {
		em := enginemirror.Mirror{Upstream: m.Upstream, Port: m.Port}
		if ns, err := em.Namespace(); err == nil && ns == enginemirror.DockerHub {
			want = append(want, em.URL())
		}
	}
	if len(want) == 0 {
		return
	}
	have, err := eng.RegistryMirrors(ctx)
	switch {
	case err != nil:
		return
	case mirrorsApplied(trust.OpInstall, have, want):
		rep.Emit(progress.Event{Step: "mirror", Status: progress.Done, Message: "Docker Hub base images are pulled through the cache at " + strings.Join(want, ", ")})
	default:
		rep.Emit(progress.Event{Step: "mirror", Status: progress.Warning, Message: "the engine does not use the Docker Hub cache (" + strings.Join(want, ", ") + "): base images come from Docker Hub and spend its pull quota; run `esbtui mirror install`"})
	}
}
