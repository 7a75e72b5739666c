package flows

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/esbtui/esbtui/internal/config"
	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/internal/safefile"
	"github.com/esbtui/esbtui/registryclient"
	"github.com/esbtui/esbtui/registryserver"
	"github.com/esbtui/esbtui/stack"
	"github.com/esbtui/esbtui/stack/engine"
	"github.com/esbtui/esbtui/stack/selfimage"
	"github.com/esbtui/esbtui/trust"
)

// The registry side of esb.yaml's mirrors: `up` runs one pull-through
// cache per upstream, a service of the stack (stack.MirrorsCompose) running
// esbtui's own registry image in proxy mode, with its files in
// $ESB_HOME/mirrors/<name> (registryserver's mirror.json, ca.pem,
// credentials.json).

// mirrorServices are the compose services of esb.yaml's mirrors.
func (e *Env) mirrorServices() []stack.MirrorService {
	out := make([]stack.MirrorService, 0, len(e.Cfg.Mirrors))
	for _, m := range e.Cfg.Mirrors {
		out = append(out, stack.MirrorService{Name: m.Name(), Port: m.Port, FilesDir: e.mirrorDir(m), Generation: e.mirrorGeneration(m)})
	}
	return out
}

func (e *Env) mirrorDir(m config.Mirror) string {
	return filepath.Join(e.Cfg.MirrorsDir(), m.Name())
}

// mirrorGenerationFile names the files' generation in a mirror's directory.
const mirrorGenerationFile = "generation"

// mirrorGeneration is the current generation of a mirror's files ("" when
// never written, or when what is there is not esbtui's hex).
func (e *Env) mirrorGeneration(m config.Mirror) string {
	data, err := safefile.ReadFile(filepath.Join(e.mirrorDir(m), mirrorGenerationFile), "a mirror's generation", 128)
	if err != nil {
		return ""
	}
	g := strings.TrimSpace(string(data))
	if len(g) != 32 || strings.Trim(g, "0123456789abcdef") != "" {
		return ""
	}
	return g
}

// writeIfChanged writes data to path atomically unless it already holds
// it; it reports whether it wrote.
func writeIfChanged(path string, data []byte) (bool, error) {
	if cur, err := safefile.ReadFile(path, "a mirror file", maxMirrorCAFile*4); err == nil && bytes.Equal(cur, data) {
		return false, nil
	}
	return true, writeFileAtomic(path, data)
}

// mirrorsComposeFile writes the mirrors' compose file into the stack
// directory; "" when there are no mirrors.
func (e *Env) mirrorsComposeFile() (string, error) {
	if len(e.Cfg.Mirrors) == 0 {
		return "", nil
	}
	data, err := stack.MirrorsCompose(e.mirrorServices(), selfimage.RegistryHealthcheck())
	if err != nil {
		return "", err
	}
	return stack.WriteMirrorsCompose(e.Cfg.StackDir(), data)
}

// maxMirrorCAFile bounds a mirror's `ca:` file.
const maxMirrorCAFile = 1 << 20

// mirrorCABundle is the PEM the mirror trusts its upstream with: the public
// web roots (Mozilla's, what a public registry's certificate chains to)
// plus the CA certificates of the mirror's `ca:` file. Nothing else: not
// esbtui's CA, not the host's store.
func mirrorCABundle(m config.Mirror) ([]byte, int, error) {
	roots, err := trust.PublicRoots()
	if err != nil {
		return nil, 0, err
	}
	var extra []*x509.Certificate
	if m.CA != "" {
		data, err := safefile.ReadFile(m.CA, "a mirror's CA file", maxMirrorCAFile)
		if err != nil {
			return nil, 0, fmt.Errorf("mirror %s: ca %s: %w", m.Upstream, m.CA, err)
		}
		for rest := data; ; {
			var b *pem.Block
			b, rest = pem.Decode(rest)
			if b == nil {
				break
			}
			if b.Type != "CERTIFICATE" {
				return nil, 0, fmt.Errorf("mirror %s: ca %s holds a %q block: give CA certificates only (never a key)", m.Upstream, m.CA, b.Type)
			}
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				return nil, 0, fmt.Errorf("mirror %s: ca %s: %w", m.Upstream, m.CA, err)
			}
			if !c.IsCA || !c.BasicConstraintsValid {
				return nil, 0, fmt.Errorf("mirror %s: ca %s: %q is not a CA certificate", m.Upstream, m.CA, c.Subject.String())
			}
			extra = append(extra, c)
		}
		if len(extra) == 0 {
			return nil, 0, fmt.Errorf("mirror %s: ca %s holds no PEM certificate", m.Upstream, m.CA)
		}
	}
	var buf bytes.Buffer
	for _, c := range append(roots, extra...) {
		_ = pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return buf.Bytes(), len(extra), nil
}

// mirrorLogin finds the upstream login in the developer's Docker config:
// under the upstream's name, else the host of the URL it fetches from.
func mirrorLogin(m config.Mirror) (*registryclient.UpstreamLogin, error) {
	l, err := registryclient.DockerCredentials(m.UpstreamHost())
	if err != nil || l != nil || m.URL == "" {
		return l, err
	}
	return registryclient.DockerCredentials(strings.TrimPrefix(strings.TrimSuffix(m.RemoteURL(), "/"), "https://"))
}

// writeMirrorFiles writes each mirror's files (0600, directory 0700): the
// settings, the CA bundle and, when the developer's Docker config has a
// login for the upstream, credentials.json (removed when there is none any
// more). It returns the files to copy for an engine that does not share
// this machine's filesystem.
func (e *Env) writeMirrorFiles(rep progress.Reporter) ([]engine.VolumeFile, error) {
	var files []engine.VolumeFile
	for _, m := range e.Cfg.Mirrors {
		dir := e.mirrorDir(m)
		vol := "/mirror-" + m.Name()
		settings, _ := json.MarshalIndent(registryserver.MirrorSettings{
			Upstream: m.Upstream, RemoteURL: m.RemoteURL(),
			TTLSeconds: int64(m.EffectiveTTL().Seconds()), MaxSize: m.MaxSize,
		}, "", "  ")
		bundle, extra, err := mirrorCABundle(m)
		if err != nil {
			return nil, err
		}
		login, err := mirrorLogin(m)
		if err != nil {
			return nil, fmt.Errorf("mirror %s: %w", m.Upstream, err)
		}
		changed := false
		for _, f := range []struct {
			name, what string
			data       []byte
		}{{registryserver.MirrorSettingsFile, "settings", settings}, {registryserver.MirrorCAFile, "CA bundle", bundle}} {
			wrote, err := writeIfChanged(filepath.Join(dir, f.name), f.data)
			if err != nil {
				return nil, fmt.Errorf("mirror %s: write its %s: %w", m.Upstream, f.what, err)
			}
			changed = changed || wrote
		}
		files = append(files,
			engine.VolumeFile{Path: vol + "/" + registryserver.MirrorSettingsFile, Mode: 0o644, Data: settings},
			engine.VolumeFile{Path: vol + "/" + registryserver.MirrorCAFile, Mode: 0o644, Data: bundle})
		credPath := filepath.Join(dir, registryserver.MirrorCredentialFile)
		how := "anonymous (no login for it in the Docker config)"
		if login != nil {
			data, _ := json.Marshal(registryserver.MirrorCredentials{Username: login.Username, Password: login.Password})
			wrote, err := writeIfChanged(credPath, data)
			if err != nil {
				return nil, fmt.Errorf("mirror %s: write its upstream login: %w", m.Upstream, err)
			}
			changed = changed || wrote
			files = append(files, engine.VolumeFile{Path: vol + "/" + registryserver.MirrorCredentialFile, Mode: 0o600, Data: data})
			how = "with the login from " + login.From
		} else if err := os.Remove(credPath); err == nil {
			changed = true
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("mirror %s: remove its old upstream login: %w", m.Upstream, err)
		}
		if changed || e.mirrorGeneration(m) == "" {
			// A new generation: the cache is recreated and reads the files.
			g := make([]byte, 16)
			if _, err := rand.Read(g); err != nil {
				return nil, fmt.Errorf("mirror %s: %w", m.Upstream, err)
			}
			if err := writeFileAtomic(filepath.Join(dir, mirrorGenerationFile), []byte(hex.EncodeToString(g)+"\n")); err != nil {
				return nil, fmt.Errorf("mirror %s: write its generation: %w", m.Upstream, err)
			}
		}
		msg := fmt.Sprintf("%s → %s on %s, %s", m.Upstream, m.RemoteURL(), m.Address(), how)
		if extra > 0 {
			msg += fmt.Sprintf(", trusting %d CA(s) from %s besides the public roots", extra, m.CA)
		}
		rep.Step("mirrors", progress.Done, msg)
		e.record("mirror.files", map[string]any{"upstream": m.Upstream, "remote": m.RemoteURL(), "port": m.Port, "login": login != nil, "dir": dir})
	}
	return files, nil
}

// mirrorFileVolume is the volume holding a mirror's files on an engine
// that does not share this machine's filesystem.
func (e *Env) mirrorFileVolume(m config.Mirror) string {
	return e.Cfg.Project + "_mirror-" + m.Name() + "-files"
}

// prepareMirrors is up's "mirrors" step: the mirrors run esbtui's own
// registry image (whatever image the registry runs), so it is loaded here
// when the registry uses another; each mirror's files are written (and
// copied into volumes for a remote engine); the mirror ports are checked.
// It returns the image for ESB_MIRROR_IMAGE.
func (e *Env) prepareMirrors(ctx context.Context, eng *engine.Engine, ri RegistryImage, rep progress.Reporter) (string, error) {
	rep.Step("mirrors", progress.Start, fmt.Sprintf("preparing %d pull-through cache(s)", len(e.Cfg.Mirrors)))
	ref := ri.Ref
	if ri.Source != ImageSourceSelf {
		img, err := e.selfImage(ctx, eng)
		if err != nil {
			return "", fmt.Errorf("mirrors need esbtui's own registry image, which cannot run in this engine: %w (remove mirrors from %s to run without them)", err, e.Cfg.ProjectFile)
		}
		present, err := img.Present(ctx, eng.Client())
		if err != nil {
			return "", err
		}
		if !present {
			if err := img.Load(ctx, eng.Client(), rep, "mirrors"); err != nil {
				return "", err
			}
		}
		ref = img.Ref
	}
	files, err := e.writeMirrorFiles(rep)
	if err != nil {
		return "", err
	}
	for _, m := range e.Cfg.Mirrors {
		if err := engine.CheckPort(ctx, eng, m.Port, e.Cfg.Project, stack.MirrorServicePrefix+m.Name()); err != nil {
			return "", fmt.Errorf("mirror %s: %w (choose another with `port:` in %s)", m.Upstream, err, e.Cfg.ProjectFile)
		}
	}
	if copied, _ := e.engineFilesCopied(ctx, eng); copied {
		byVolume := map[string]string{}
		for _, m := range e.Cfg.Mirrors {
			byVolume[e.mirrorFileVolume(m)] = "/mirror-" + m.Name()
		}
		labels := map[string]string{"com.docker.compose.project": e.Cfg.Project, "dev.esbtui.mirror-files": "true"}
		if err := eng.FillVolumes(ctx, ref, byVolume, labels, files); err != nil {
			return "", fmt.Errorf("mirrors: copy their files to the engine: %w", err)
		}
	}
	return ref, nil
}

// useMirrorFileVolumes makes the mirrors mount volumes instead of
// esbtui's directories (an engine that does not share its filesystem).
func (e *Env) useMirrorFileVolumes(p *stack.Project) {
	certs := e.registryFileVolumes()[registryCertsTarget]
	for _, m := range e.Cfg.Mirrors {
		p.UseFileVolumes(stack.MirrorServicePrefix+m.Name(), map[string]string{
			registryCertsTarget:     certs,
			stack.MirrorFilesTarget: e.mirrorFileVolume(m),
		})
	}
}

// checkMirrorsAnswer is up's last step with mirrors: each answers its
// stats over TLS verified against esbtui's CA (it runs in mirror mode).
func (e *Env) checkMirrorsAnswer(ctx context.Context, rep progress.Reporter) error {
	rc, err := e.Registry()
	if err != nil {
		return err
	}
	for _, m := range e.Cfg.Mirrors {
		if _, err := rc.ReadMirrorStats(ctx, m.Address(), false); err != nil {
			return fmt.Errorf("mirror %s: %w", m.Upstream, err)
		}
		rep.Step("mirrors", progress.Done, fmt.Sprintf("https://%s caches %s, verified against esbtui's CA", m.Address(), m.Upstream))
	}
	return nil
}
