package flows

import (
	"context"
	"debug/elf"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/stack"
	"github.com/esbtui/esbtui/stack/engine"
	"github.com/esbtui/esbtui/stack/selfimage"
)

// FallbackRegistryImage is the image used when esbtui's own binary cannot
// run in the engine.
const FallbackRegistryImage = "registry:3"

// Why a registry image was chosen (RegistryImage.Source).
const (
	ImageSourceSelf     = "esbtui"   // assembled from this binary
	ImageSourceUser     = "user"     // ESB_REGISTRY_IMAGE or esb.yaml image
	ImageSourceFallback = "fallback" // this binary cannot run there
)

// RegistryImage is the registry image `up` chose and why.
type RegistryImage struct {
	Ref    string `json:"ref"`
	Source string `json:"source"`
	// Reason is one sentence for status, doctor and the dashboard.
	Reason string `json:"reason"`
}

// buildVersion names this build in the image tag.
func buildVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// ensureRegistryImage is up's "image" step: ESB_REGISTRY_IMAGE if set;
// otherwise esbtui's own image, assembled from this binary and loaded
// into the engine unless it is already there (pruneSelfImages removes the
// older ones after compose up); registry:3 when the binary cannot run in
// the engine, saying why.
func (e *Env) ensureRegistryImage(ctx context.Context, eng *engine.Engine, rep progress.Reporter) (RegistryImage, error) {
	if ref := e.Cfg.RegistryImage; ref != "" {
		ri := RegistryImage{Ref: ref, Source: ImageSourceUser, Reason: "chosen by " + e.Cfg.RegistryImageFrom}
		rep.Step("image", progress.Done, "using "+ref+" ("+e.Cfg.RegistryImageFrom+")")
		return ri, nil
	}
	img, err := e.selfImage(ctx, eng)
	if err != nil {
		ri := RegistryImage{Ref: FallbackRegistryImage, Source: ImageSourceFallback, Reason: "esbtui's own image cannot be used: " + strings.TrimPrefix(err.Error(), "selfimage: ")}
		rep.Step("image", progress.Warning, ri.Reason+"; using "+FallbackRegistryImage+" (pulled from Docker Hub unless the engine has it)")
		e.Log.Warn("registry image fallback", "reason", err.Error())
		return ri, nil
	}
	ri := RegistryImage{Ref: img.Ref, Source: ImageSourceSelf, Reason: "assembled from this esbtui binary (" + linkage(img) + ")"}
	present, err := img.Present(ctx, eng.Client())
	if err != nil {
		return ri, err
	}
	if present {
		rep.Step("image", progress.Done, img.Ref+" already loaded (this binary, unchanged)")
	} else {
		rep.Step("image", progress.Start, "assembling "+img.Ref+" from this binary")
		start := time.Now()
		if err := img.Load(ctx, eng.Client(), rep, "image"); err != nil {
			return ri, err
		}
		rep.Step("image", progress.Done, fmt.Sprintf("loaded in %.1f s (%s, %s)", time.Since(start).Seconds(), progress.Bytes(img.Size), linkage(img)))
	}
	return ri, nil
}

// selfImageVanished reports whether up's registry image is esbtui's own
// and the engine no longer has it.
func (e *Env) selfImageVanished(ctx context.Context, eng *engine.Engine, ri *RegistryImage) bool {
	if ri == nil || ri.Source != ImageSourceSelf {
		return false
	}
	have, err := eng.HasImage(ctx, ri.Ref)
	return err == nil && !have
}

// pruneSelfImages runs after compose up replaced the registry container:
// older esbtui registry images that no container uses any more go.
func (e *Env) pruneSelfImages(ctx context.Context, eng *engine.Engine, ri *RegistryImage, rep progress.Reporter) {
	if ri == nil || ri.Source != ImageSourceSelf {
		return
	}
	if removed, err := selfimage.PruneOlder(ctx, eng.Client(), selfimage.Repository, ri.Ref); err != nil {
		rep.Step("image", progress.Warning, "could not remove older esbtui images: "+err.Error())
	} else if len(removed) > 0 {
		rep.Step("image", progress.Done, fmt.Sprintf("removed %d older esbtui image(s) no container uses: %s", len(removed), strings.Join(removed, ", ")))
	}
}

func linkage(img *selfimage.Image) string {
	if img.Static {
		return "static binary"
	}
	return fmt.Sprintf("dynamic binary with %d runtime files", len(img.Libraries))
}

// selfImage plans esbtui's registry image for eng, or says why this
// binary cannot be it (*selfimage.UnsupportedError or a read error).
func (e *Env) selfImage(ctx context.Context, eng *engine.Engine) (*selfimage.Image, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("selfimage: find this executable: %w", err)
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		return nil, fmt.Errorf("selfimage: find this executable: %w", err)
	}
	machine := elf.Machine(0)
	if runtime.GOOS == "linux" {
		f, err := elf.Open(exe)
		if err != nil {
			return nil, fmt.Errorf("selfimage: read %s: %w", exe, err)
		}
		machine = f.Machine
		f.Close()
	}
	osType, arch, simulated := simulatedEnginePlatform()
	if !simulated {
		if osType, arch, err = eng.EnginePlatform(ctx); err != nil {
			return nil, err
		}
	}
	if err := selfimage.CheckPlatform(runtime.GOOS, machine, osType, arch); err != nil {
		return nil, err
	}
	rt, err := selfimage.ResolveRuntime(exe, nil)
	if err != nil {
		return nil, err
	}
	return selfimage.Assemble(selfimage.RegistrySpec(exe, buildVersion(), rt))
}

// applyRegistryImage gives the registry service esbtui's own healthcheck
// when it runs esbtui's image (the image has no wget); a user file that
// chose another image for the service keeps its own.
func applyRegistryImage(p *stack.Project, ri *RegistryImage) {
	if ri == nil || ri.Source != ImageSourceSelf || p.ServiceImage(stack.RegistryService) != ri.Ref {
		return
	}
	// One TLS GET on loopback by a process that exits at once: cheap enough
	// to probe every second, so up sees the registry healthy ~1 s after it
	// starts instead of after the first 3 s interval.
	p.SetHealthcheckTest(stack.RegistryService, selfimage.RegistryHealthcheck(), time.Second)
	// esbtui's image exists only where up loaded it: no registry has it.
	p.SetNeverPull(stack.RegistryService)
}

// registryImageFile records up's choice for status ($ESB_HOME/stack).
func (e *Env) registryImageFile() string {
	return filepath.Join(e.Cfg.StackDir(), "registry-image.json")
}

// recordRegistryImage saves up's choice (atomically; a failure only costs
// status its "why", so it is logged).
func (e *Env) recordRegistryImage(ri RegistryImage) {
	data, err := json.Marshal(ri)
	if err == nil {
		err = writeFileAtomic(e.registryImageFile(), data)
	}
	if err != nil {
		e.Log.Warn("record the registry image", "error", err.Error())
	}
}

func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// runningRegistryImage says which image the registry service runs and
// why: up's recorded reason when it chose that image, else what the name
// tells.
func (e *Env) runningRegistryImage(services []engine.Service) *RegistryImage {
	var ref string
	for _, s := range services {
		if s.Name == stack.RegistryService {
			ref = s.Image
		}
	}
	if ref == "" {
		return nil
	}
	if data, err := os.ReadFile(e.registryImageFile()); err == nil && len(data) < 64<<10 {
		var ri RegistryImage
		if json.Unmarshal(data, &ri) == nil && ri.Ref == ref {
			return &ri
		}
	}
	switch {
	case strings.HasPrefix(ref, selfimage.Repository+":"):
		return &RegistryImage{Ref: ref, Source: ImageSourceSelf, Reason: "esbtui's own image, assembled from an esbtui binary"}
	case ref == e.Cfg.RegistryImage:
		return &RegistryImage{Ref: ref, Source: ImageSourceUser, Reason: "chosen by " + e.Cfg.RegistryImageFrom}
	}
	return &RegistryImage{Ref: ref, Source: "compose", Reason: "set by a compose file or an earlier esbtui (run `esbtui up` to switch to esbtui's own image)"}
}
