package flows

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/esbtui/esbtui/internal/config"
	"github.com/esbtui/esbtui/internal/safefile"
	"github.com/esbtui/esbtui/pki"
	"github.com/esbtui/esbtui/registryserver"
	"github.com/esbtui/esbtui/stack"
	"github.com/esbtui/esbtui/stack/engine"
)

// How the registry's files reach the engine. An engine that shares this
// machine's filesystem (a local socket and its data root here, see
// engine.SeesOurFiles) bind-mounts them from the certificate and auth
// directories; any other engine (DOCKER_HOST tcp:// or ssh://, a context
// pointing elsewhere, a socket mounted into the container esbtui runs in)
// gets them through the API, in two named volumes filled by
// engine.FillVolumes and mounted read-only at the same in-container paths.
// ESB_ENGINE_FILES=bind|copy overrides the guess. The CA key never goes: only the server
// certificate and key, the CA certificate and the htpasswd.

// In-container directories the default project mounts the files at.
const (
	registryCertsTarget = "/certs"
	registryAuthTarget  = "/auth"
)

// maxDeliveredFile bounds each file read for delivery.
const maxDeliveredFile = 1 << 20

// engineFilesCopied reports whether the registry's files go through the
// API to eng, and why.
func (e *Env) engineFilesCopied(ctx context.Context, eng *engine.Engine) (bool, string) {
	switch e.Cfg.EngineFiles {
	case config.EngineFilesCopy:
		return true, config.EnvEngineFiles + "=copy"
	case config.EngineFilesBind:
		return false, config.EnvEngineFiles + "=bind"
	}
	local, why := eng.SeesOurFiles(ctx)
	return !local, why
}

// registryFileVolumes are the project's volumes that hold the files:
// in-container target → volume name.
func (e *Env) registryFileVolumes() map[string]string {
	return map[string]string{
		registryCertsTarget: e.Cfg.Project + "_registry-certs",
		registryAuthTarget:  e.Cfg.Project + "_registry-auth",
	}
}

// deliverRegistryFiles fills the file volumes through eng with a helper
// container of image: the certificates always, the htpasswd when auth is
// on (when only is "auth", just the htpasswd).
func (e *Env) deliverRegistryFiles(ctx context.Context, eng *engine.Engine, image string, authOnly bool) error {
	type src struct {
		host, target string
		mode         int64
	}
	var srcs []src
	if !authOnly {
		srcs = append(srcs,
			src{e.Certs.Path(pki.ServerCertFile), registryCertsTarget + "/server.crt", 0o644},
			src{e.Certs.Path(pki.ServerKeyFile), registryCertsTarget + "/server.key", 0o600},
			src{e.Certs.Path(pki.CACertFile), registryCertsTarget + "/rootCA.crt", 0o644},
		)
	}
	if e.AuthEnabled() {
		srcs = append(srcs, src{filepath.Join(e.htpasswdDir(), registryserver.HTPasswdFile), registryAuthTarget + "/" + registryserver.HTPasswdFile, 0o644})
	}
	files := make([]engine.VolumeFile, 0, len(srcs))
	for _, s := range srcs {
		data, err := safefile.ReadFile(s.host, "a file for the registry", maxDeliveredFile)
		if err != nil {
			return fmt.Errorf("deliver the registry's files to the engine: %w", err)
		}
		files = append(files, engine.VolumeFile{Path: s.target, Mode: s.mode, Data: data})
	}
	labels := map[string]string{"com.docker.compose.project": e.Cfg.Project, "dev.esbtui.registry-files": "true"}
	byVolume := map[string]string{}
	for target, vol := range e.registryFileVolumes() {
		byVolume[vol] = target
	}
	if err := eng.FillVolumes(ctx, image, byVolume, labels, files); err != nil {
		return fmt.Errorf("deliver the registry's files to the engine: %w", err)
	}
	return nil
}

// useRegistryFileVolumes makes the registry service mount the file volumes
// instead of esbtui's directories.
func (e *Env) useRegistryFileVolumes(p *stack.Project) {
	p.UseFileVolumes(stack.RegistryService, e.registryFileVolumes())
}

// refreshRegistryAuthFile copies a new htpasswd into the running
// registry's auth volume when its files go through the API (auth enable
// and rotate: the registry re-reads the file, no restart). With a local
// engine, or no registry running, there is nothing to do (up copies it).
func (e *Env) refreshRegistryAuthFile(ctx context.Context) error {
	if e.Cfg.EngineFiles == config.EngineFilesBind {
		return nil
	}
	eng, err := e.Engine(ctx)
	if err != nil {
		if e.Cfg.EngineFiles == config.EngineFilesCopy {
			return err
		}
		return nil
	}
	defer eng.Close()
	if copied, _ := e.engineFilesCopied(ctx, eng); !copied {
		return nil
	}
	services, err := eng.Ps(ctx, e.Cfg.Project)
	if err != nil {
		return err
	}
	for _, s := range services {
		if s.Name == stack.RegistryService && s.Image != "" {
			return e.deliverRegistryFiles(ctx, eng, s.Image, true)
		}
	}
	return nil
}

// removeRegistryFileVolumes removes the file volumes, the mirrors' too
// (down --volumes).
func (e *Env) removeRegistryFileVolumes(ctx context.Context, eng *engine.Engine) error {
	for _, v := range e.registryFileVolumes() {
		if err := eng.RemoveVolume(ctx, v); err != nil {
			return err
		}
	}
	for _, m := range e.Cfg.Mirrors {
		if err := eng.RemoveVolume(ctx, e.mirrorFileVolume(m)); err != nil {
			return err
		}
	}
	return nil
}
