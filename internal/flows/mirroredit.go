package flows

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	dockerconfig "github.com/docker/cli/cli/config"

	"github.com/esbtui/esbtui/enginemirror"
	"github.com/esbtui/esbtui/internal/config"
	"github.com/esbtui/esbtui/internal/safefile"
	"github.com/esbtui/esbtui/internal/termtext"
	"github.com/esbtui/esbtui/trust"
)

// MirrorEdit is what `mirror add` or `mirror rm` changed in esb.yaml.
type MirrorEdit struct {
	File    string `json:"file"`
	Created bool   `json:"created,omitempty"`
	// Mirror is the entry added or removed, its port resolved.
	Mirror config.Mirror `json:"-"`
	// Upstream, Address: the entry, for JSON.
	Upstream string `json:"upstream"`
	Address  string `json:"address"`
	// Credentials says where the cache's credentials for the upstream come
	// from (never the credentials themselves).
	Credentials string `json:"credentials,omitempty"`
	// Next is what to run for the change to take effect.
	Next []string `json:"next"`
}

// projectFileForEdit is esb.yaml: the one that was loaded, else
// ./esb.yaml (created).
func (e *Env) projectFileForEdit() (string, []byte, os.FileMode, error) {
	path := e.Cfg.ProjectFile
	if path == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", nil, 0, fmt.Errorf("mirror: find esb.yaml: %w", err)
		}
		path = filepath.Join(wd, config.ProjectFileName)
	}
	data, err := safefile.ReadFile(path, "the project file", config.MaxProjectFileSize)
	if errors.Is(err, fs.ErrNotExist) {
		return path, nil, 0o644, nil
	}
	if err != nil {
		return "", nil, 0, fmt.Errorf("mirror: read %s: %w", path, err)
	}
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	return path, data, mode, nil
}

// writeMirrors replaces esb.yaml's mirrors with ms (other keys and their
// comments kept), checks the result parses, and writes it atomically.
func (e *Env) writeMirrors(path string, data []byte, mode os.FileMode, ms []config.Mirror) error {
	out, err := config.SetProjectMirrors(data, ms)
	if err != nil {
		return fmt.Errorf("mirror: %s: %w", path, err)
	}
	if _, err := config.ParseProjectFile(path, out); err != nil {
		return fmt.Errorf("mirror: the edited %s would not load (nothing written): %w", path, err)
	}
	if err := writeFileAtomicMode(path, out, mode); err != nil {
		return fmt.Errorf("mirror: write %s: %w", path, err)
	}
	return nil
}

// AddMirror adds m to esb.yaml's mirrors (an upstream already there is an
// error naming it).
func (e *Env) AddMirror(m config.Mirror) (*MirrorEdit, error) {
	if err := m.Check(); err != nil {
		return nil, fmt.Errorf("mirror add: %w", err)
	}
	path, data, mode, err := e.projectFileForEdit()
	if err != nil {
		return nil, err
	}
	var ms []config.Mirror
	if data != nil {
		pf, err := config.ParseProjectFile(path, data)
		if err != nil {
			return nil, fmt.Errorf("mirror add: %w", err)
		}
		ms = pf.Mirrors
	}
	if old, ok := config.FindMirror(ms, m.Upstream); ok {
		return nil, fmt.Errorf("mirror add: %s already has a mirror of %s: `esbtui mirror rm %s` first to change it", path, old.Upstream, old.Upstream)
	}
	ms = append(ms, m)
	if err := e.writeMirrors(path, data, mode, ms); err != nil {
		return nil, err
	}
	resolved, err := config.ResolveMirrorPorts(ms, e.Cfg.RegistryPort, e.Cfg.RegistryPort+1)
	if err == nil {
		m = resolved[len(resolved)-1]
	}
	e.record("mirror.added", map[string]any{"file": path, "upstream": m.Upstream, "port": m.Port})
	return &MirrorEdit{File: path, Created: data == nil, Mirror: m, Upstream: m.Upstream, Address: m.Address(),
		Credentials: MirrorCredentialSource(e.Cfg.DockerConfigDir, m),
		Next:        []string{"esbtui up (starts the cache)", "esbtui mirror install (engines pull through it)"}}, nil
}

// RemoveMirror removes upstream's entry from esb.yaml's mirrors.
func (e *Env) RemoveMirror(upstream string) (*MirrorEdit, error) {
	path, data, mode, err := e.projectFileForEdit()
	if err != nil {
		return nil, err
	}
	if data == nil {
		return nil, fmt.Errorf("mirror rm: there is no %s, so no mirror of %s", path, termtext.Clean(upstream))
	}
	pf, err := config.ParseProjectFile(path, data)
	if err != nil {
		return nil, fmt.Errorf("mirror rm: %w", err)
	}
	m, ok := config.FindMirror(pf.Mirrors, upstream)
	if !ok {
		return nil, fmt.Errorf("mirror rm: %s has no mirror of %s", path, termtext.Clean(upstream))
	}
	resolved, _ := config.ResolveMirrorPorts(pf.Mirrors, e.Cfg.RegistryPort, e.Cfg.RegistryPort+1)
	if r, ok := config.FindMirror(resolved, upstream); ok {
		m = r
	}
	if cfg, err := e.MirrorEngineConfig(trust.OpUninstall); err == nil {
		if files := enginemirror.InstalledFor(cfg, enginemirror.Mirror{Upstream: m.Upstream, Port: m.Port}); len(files) > 0 {
			return nil, fmt.Errorf("mirror rm: engines still pull %s through this cache (%s): run `esbtui mirror uninstall` first, then `esbtui mirror rm %s`, then `esbtui mirror install` for the others; nothing changed",
				termtext.Clean(m.Upstream), strings.Join(files, ", "), termtext.Clean(upstream))
		}
	}
	ms := slices.DeleteFunc(slices.Clone(pf.Mirrors), func(x config.Mirror) bool { return x.Name() == m.Name() })
	if err := e.writeMirrors(path, data, mode, ms); err != nil {
		return nil, err
	}
	e.record("mirror.removed", map[string]any{"file": path, "upstream": m.Upstream})
	return &MirrorEdit{File: path, Mirror: m, Upstream: m.Upstream, Address: m.Address(),
		Next: []string{"esbtui up (stops the cache)"}}, nil
}

// MirrorCredentialSource says which of the developer's Docker credentials
// the cache would use for m's upstream: a credential helper, the
// credential store, the config file's auths, or none (anonymous). It reads
// the Docker config in dir only; no credential is fetched or shown.
func MirrorCredentialSource(dir string, m config.Mirror) string {
	ns, err := enginemirror.Mirror{Upstream: m.Upstream, Port: m.Port}.Namespace()
	if err != nil {
		return ""
	}
	cf, err := dockerconfig.Load(dir)
	if err != nil {
		return "unknown: the Docker config in " + dir + " cannot be read (" + termtext.Clean(err.Error()) + "): the cache pulls anonymously"
	}
	keys := []string{ns}
	if ns == enginemirror.DockerHub {
		keys = []string{"https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io"}
	}
	for _, k := range keys {
		if h := cf.CredentialHelpers[k]; h != "" {
			return fmt.Sprintf("credential helper docker-credential-%s (credHelpers in %s)", termtext.Clean(h), cf.Filename)
		}
	}
	for _, k := range keys {
		if _, ok := cf.AuthConfigs[k]; ok {
			if cf.CredentialsStore != "" {
				return fmt.Sprintf("credential store docker-credential-%s (credsStore in %s)", termtext.Clean(cf.CredentialsStore), cf.Filename)
			}
			return fmt.Sprintf("the auths entry %q in %s", k, cf.Filename)
		}
	}
	return "none found in " + cf.Filename + ": anonymous (run `docker login " + ns + "` to use an account)"
}

// writeFileAtomicMode writes data to path through a temp file in the same
// directory (fsync, rename), with mode.
func writeFileAtomicMode(path string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
