// Package selfimage assembles a FROM-scratch container image from the
// running executable (plus its ELF interpreter and shared libraries when it
// is dynamically linked) and loads it into a Docker engine through the API,
// so the stack needs nothing from a registry.
package selfimage

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Spec says what goes into the image.
type Spec struct {
	// Repository is the image name without tag ("esbtui/registry").
	Repository string
	// Version names the build in the tag ("v1.2.0", "dev").
	Version string
	// Executable is the host file copied to ExecPath (os.Executable()).
	Executable string
	// ExecPath is where it goes in the image ("/esbtui").
	ExecPath string
	// Runtime is the executable's interpreter and libraries (nil or
	// Static for a static one).
	Runtime *Runtime
	// Files are extra files (a configuration, ...).
	Files map[string][]byte
	// Dirs are empty directories to create ("/var/lib/registry", "/tmp").
	Dirs []string
	// Entrypoint, Cmd, Env, ExposedPorts, Volumes and Healthcheck are the
	// image configuration.
	Entrypoint, Cmd, Env []string
	ExposedPorts         []string
	Volumes              []string
	Healthcheck          *Healthcheck
	// Labels are image labels.
	Labels map[string]string
}

// Healthcheck is the image's HEALTHCHECK (exec form).
type Healthcheck struct {
	Test                           []string
	Interval, Timeout, StartPeriod time.Duration
	StartInterval                  time.Duration
	Retries                        int
}

// Image is an assembled image, ready to be written as a docker-archive.
type Image struct {
	// Ref is Repository:Version-<12 hex of the image ID>.
	Ref string
	// ID is "sha256:<hex>" of the configuration, the engine's image ID.
	ID string
	// Size is the layer's size in bytes.
	Size int64
	// Static reports whether the executable needed no libraries.
	Static bool
	// Libraries are the interpreter and libraries carried, by image path.
	Libraries []string
	// Arch is the GOARCH name of the executable's machine.
	Arch string

	layer  *layer
	config []byte
}

// imageConfig is the image configuration JSON (the docker/OCI image config
// with Docker's Healthcheck).
type imageConfig struct {
	Architecture string          `json:"architecture"`
	OS           string          `json:"os"`
	Created      time.Time       `json:"created"`
	Config       containerConfig `json:"config"`
	RootFS       struct {
		Type    string   `json:"type"`
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
	History []struct {
		Created   time.Time `json:"created"`
		CreatedBy string    `json:"created_by"`
	} `json:"history"`
}

type containerConfig struct {
	Entrypoint   []string            `json:"Entrypoint,omitempty"`
	Cmd          []string            `json:"Cmd,omitempty"`
	Env          []string            `json:"Env,omitempty"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
	Volumes      map[string]struct{} `json:"Volumes,omitempty"`
	WorkingDir   string              `json:"WorkingDir,omitempty"`
	Labels       map[string]string   `json:"Labels,omitempty"`
	Healthcheck  *healthConfig       `json:"Healthcheck,omitempty"`
}

type healthConfig struct {
	Test          []string      `json:"Test"`
	Interval      time.Duration `json:"Interval,omitempty"`
	Timeout       time.Duration `json:"Timeout,omitempty"`
	StartPeriod   time.Duration `json:"StartPeriod,omitempty"`
	StartInterval time.Duration `json:"StartInterval,omitempty"`
	Retries       int           `json:"Retries,omitempty"`
}

var tagUnsafeRE = regexp.MustCompile(`[^A-Za-z0-9_.-]`)

// Assemble plans the image: the layer (read once to digest it) and the
// configuration. Nothing is written; WriteArchive streams it.
func Assemble(s Spec) (*Image, error) {
	if s.Repository == "" || s.Executable == "" || s.ExecPath == "" {
		return nil, fmt.Errorf("selfimage: assemble: repository, executable and its path in the image are required")
	}
	rt := s.Runtime
	if rt == nil {
		var err error
		if rt, err = ResolveRuntime(s.Executable, nil); err != nil {
			return nil, err
		}
	}
	arch, ok := goarch[rt.Machine]
	if !ok {
		return nil, fmt.Errorf("selfimage: %s is for ELF machine %s, which esbtui cannot map to a Docker platform", s.Executable, rt.Machine)
	}
	entries := []entry{{Path: s.ExecPath, Source: s.Executable, Mode: 0o755}}
	img := &Image{Static: rt.Static(), Arch: arch}
	for _, f := range rt.Files {
		entries = append(entries, entry{Path: f.Path, Source: f.Source, Mode: 0o755})
		img.Libraries = append(img.Libraries, f.Path)
	}
	for p, data := range s.Files {
		entries = append(entries, entry{Path: p, Data: data, Mode: 0o644})
	}
	l, err := newLayer(entries, s.Dirs)
	if err != nil {
		return nil, err
	}
	img.layer, img.Size = l, l.Size

	var cfg imageConfig
	cfg.Architecture, cfg.OS, cfg.Created = arch, "linux", epoch
	cfg.Config = containerConfig{Entrypoint: s.Entrypoint, Cmd: s.Cmd, Env: s.Env, Labels: s.Labels, WorkingDir: "/"}
	if dirs := rt.LibDirs(); len(dirs) > 0 {
		// A scratch image has no /etc/ld.so.cache: say where the libraries are.
		cfg.Config.Env = append(cfg.Config.Env, "LD_LIBRARY_PATH="+strings.Join(dirs, ":"))
	}
	if len(s.ExposedPorts) > 0 {
		cfg.Config.ExposedPorts = map[string]struct{}{}
		for _, p := range s.ExposedPorts {
			cfg.Config.ExposedPorts[p] = struct{}{}
		}
	}
	if len(s.Volumes) > 0 {
		cfg.Config.Volumes = map[string]struct{}{}
		for _, v := range s.Volumes {
			cfg.Config.Volumes[v] = struct{}{}
		}
	}
	if h := s.Healthcheck; h != nil {
		cfg.Config.Healthcheck = &healthConfig{Test: h.Test, Interval: h.Interval, Timeout: h.Timeout, StartPeriod: h.StartPeriod, StartInterval: h.StartInterval, Retries: h.Retries}
	}
	cfg.RootFS.Type = "layers"
	cfg.RootFS.DiffIDs = []string{l.DiffID}
	cfg.History = append(cfg.History, struct {
		Created   time.Time `json:"created"`
		CreatedBy string    `json:"created_by"`
	}{epoch, "esbtui: " + filepath.Base(s.Executable) + " assembled by stack/selfimage"})
	img.config, err = json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("selfimage: encode the image configuration: %w", err)
	}
	sum := sha256.Sum256(img.config)
	img.ID = "sha256:" + hex.EncodeToString(sum[:])
	version := tagUnsafeRE.ReplaceAllString(s.Version, "-")
	if version == "" || strings.HasPrefix(version, ".") || strings.HasPrefix(version, "-") {
		version = "v" + version
	}
	if len(version) > 100 {
		version = version[:100]
	}
	img.Ref = s.Repository + ":" + version + "-" + hex.EncodeToString(sum[:])[:12]
	return img, nil
}

// manifestEntry is one image of a docker-archive's manifest.json.
type manifestEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// WriteArchive writes the image as a docker-archive (`docker save`/`docker
// load` format): manifest.json, the configuration and the layer tar, with
// Ref as its tag. The layer is streamed from the host files; if one changed
// since Assemble it fails instead of writing a layer that does not match
// the digest.
func (img *Image) WriteArchive(w io.Writer) error {
	hexID := strings.TrimPrefix(img.ID, "sha256:")
	layerName := strings.TrimPrefix(img.layer.DiffID, "sha256:") + "/layer.tar"
	manifest, err := json.Marshal([]manifestEntry{{Config: hexID + ".json", RepoTags: []string{img.Ref}, Layers: []string{layerName}}})
	if err != nil {
		return fmt.Errorf("selfimage: encode manifest.json: %w", err)
	}
	tw := tar.NewWriter(w)
	put := func(name string, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: epoch}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	if err := put(hexID+".json", img.config); err != nil {
		return fmt.Errorf("selfimage: write the archive: %w", err)
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: layerName, Mode: 0o644, Size: img.layer.Size, ModTime: epoch}); err != nil {
		return fmt.Errorf("selfimage: write the archive: %w", err)
	}
	h := sha256.New()
	n, err := img.layer.writeTo(io.MultiWriter(tw, h))
	if err != nil {
		return err
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != img.layer.DiffID || n != img.layer.Size {
		return fmt.Errorf("selfimage: the layer changed while it was written (%s, %d bytes; planned %s, %d bytes): run again", got, n, img.layer.DiffID, img.layer.Size)
	}
	if err := put("manifest.json", manifest); err != nil {
		return fmt.Errorf("selfimage: write the archive: %w", err)
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("selfimage: write the archive: %w", err)
	}
	return nil
}
