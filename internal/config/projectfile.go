package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/esbtui/esbtui/internal/safefile"
)

// ProjectFileName is the project file esbtui reads from the working
// directory (ESB_PROJECT_FILE names another).
const ProjectFileName = "esb.yaml"

// EnvProjectFile names the project file explicitly.
const EnvProjectFile = "ESB_PROJECT_FILE"

// ProjectFile is esb.yaml: the settings of one project. Every field is
// optional; environment variables and flags win over it.
//
//	compose: [compose.yaml]        # user compose files, relative to esb.yaml
//	registry: localhost:5000       # the registry every command talks to
//	names: [api.test]              # extra SANs for the server certificate
//	functions: functions           # directory of functions/<name>/Dockerfile
//	retention: {keep: 5, on_up: true}   # prune --keep 5 then gc after `up`
//	image: registry:3              # the registry image (default: esbtui's own)
//	trust: {containers: all}       # or [svc, ...]: mount esbtui's CA bundle
//	mirrors: [{upstream: docker.io}]  # pull-through caches (mirrors.go)
type ProjectFile struct {
	Path      string    `yaml:"-"`
	Compose   []string  `yaml:"compose"`
	Registry  string    `yaml:"registry"`
	Names     []string  `yaml:"names"`
	Functions string    `yaml:"functions"`
	Retention Retention `yaml:"retention"`
	Trust     Trust     `yaml:"trust"`
	// NameOrigins maps each of Names to "FILE:LINE", for errors about it.
	NameOrigins map[string]string `yaml:"-"`
	Image       string            `yaml:"image"`
	// Mirrors are the pull-through caches, as written (ports may be 0).
	Mirrors []Mirror `yaml:"mirrors"`
}

// Retention is the registry's tag retention policy.
type Retention struct {
	// Keep is how many newest tags per repository to keep (0: no policy).
	Keep int `yaml:"keep"`
	// OnUp runs prune --keep Keep and gc after each `esbtui up`.
	OnUp bool `yaml:"on_up"`
}

// ParseProjectFile decodes esb.yaml strictly: unknown keys and wrong types
// are errors naming the file and line.
func ParseProjectFile(path string, data []byte) (*ProjectFile, error) {
	pf := &ProjectFile{Path: path}
	if int64(len(data)) > MaxProjectFileSize {
		return nil, &safefile.TooLargeError{Path: path, What: "the project file", Limit: MaxProjectFileSize, Line: bytes.Count(data[:MaxProjectFileSize], []byte("\n")) + 1}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(pf); err != nil && !errors.Is(err, io.EOF) {
		var tc *trustContainersError
		if errors.As(err, &tc) {
			return nil, fmt.Errorf("config: %s:%d: %s", path, tc.line, tc.msg)
		}
		var me *mirrorError
		if errors.As(err, &me) {
			return nil, fmt.Errorf("config: %s:%d: %s", path, me.line, me.msg)
		}
		return nil, fmt.Errorf("config: %s: %s (keys: compose, registry, names, functions, retention.keep, retention.on_up, image, trust.containers, mirrors)", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if err := CheckImageRef(pf.Image); pf.Image != "" && err != nil {
		return nil, fmt.Errorf("config: %s: image %q: %w", path, pf.Image, err)
	}
	pf.Trust.Containers.locate(path)
	if err := singleDocument(path, dec); err != nil {
		return nil, err
	}
	if pf.Retention.Keep < 0 {
		return nil, fmt.Errorf("config: %s: retention.keep is %d: give 1 or more, or leave it out", path, pf.Retention.Keep)
	}
	if pf.Retention.OnUp && pf.Retention.Keep == 0 {
		return nil, fmt.Errorf("config: %s: retention.on_up needs retention.keep (how many tags to keep per repository)", path)
	}
	if pf.Registry != "" {
		if err := CheckRegistry(pf.Registry); err != nil {
			return nil, fmt.Errorf("config: %s:%d: registry %q: %w", path, keyLine(data, "registry"), pf.Registry, err)
		}
	}
	if err := CheckMirrors(pf.Mirrors); err != nil {
		return nil, fmt.Errorf("config: %s:%d: %w", path, keyLine(data, "mirrors"), err)
	}
	dir := filepath.Dir(path)
	for i, f := range pf.Compose {
		if f == "" {
			return nil, fmt.Errorf("config: %s: compose entry %d is empty", path, i+1)
		}
		if !filepath.IsAbs(f) {
			pf.Compose[i] = filepath.Join(dir, f)
		}
	}
	for i, m := range pf.Mirrors {
		if m.CA != "" && !filepath.IsAbs(m.CA) {
			pf.Mirrors[i].CA = filepath.Join(dir, m.CA)
		}
	}
	if pf.Functions != "" && !filepath.IsAbs(pf.Functions) {
		pf.Functions = filepath.Join(dir, pf.Functions)
	}
	pf.NameOrigins = seqItemOrigins(path, data, "names")
	return pf, nil
}

// findProjectFile returns ESB_PROJECT_FILE, or esb.yaml in the working
// directory, or "" when there is none.
func findProjectFile() (string, error) {
	if p := os.Getenv(EnvProjectFile); p != "" {
		return p, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", nil
	}
	p := filepath.Join(wd, ProjectFileName)
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("config: %s: %w", p, err)
	}
	return p, nil
}

// MaxProjectFileSize bounds esb.yaml: a few settings, never megabytes.
const MaxProjectFileSize = 1 << 20

// singleDocument fails when the decoder holds a second YAML document after
// the one decoded: esb.yaml is one document, and settings after a "---"
// would otherwise be ignored without a word.
func singleDocument(path string, dec *yaml.Decoder) error {
	for {
		var next yaml.Node
		err := dec.Decode(&next)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("config: %s: after the first document: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
		}
		if emptyDocument(&next) {
			continue // a trailing "---" with nothing after it
		}
		line := next.Line
		if len(next.Content) > 0 {
			line = next.Content[0].Line
		}
		return fmt.Errorf("config: %s:%d: a second YAML document: esb.yaml holds one document; remove the \"---\" and what follows, or merge it into the first", path, line)
	}
}

// emptyDocument: a document holding nothing (null).
func emptyDocument(n *yaml.Node) bool {
	if len(n.Content) == 0 {
		return true
	}
	c := n.Content[0]
	return len(n.Content) == 1 && c.Kind == yaml.ScalarNode && c.Tag == "!!null" && c.Value == ""
}

// loadProjectFile reads the project file if there is one: a regular file
// (a link to one is fine) of at most MaxProjectFileSize bytes.
func loadProjectFile() (*ProjectFile, error) {
	p, err := findProjectFile()
	if err != nil || p == "" {
		return nil, err
	}
	data, err := safefile.ReadFile(p, "the project file", MaxProjectFileSize)
	if errors.As(err, new(*safefile.TooLargeError)) || errors.As(err, new(*safefile.NotRegularError)) {
		return nil, fmt.Errorf("config: %w", err) // names the file (and line)
	}
	if err != nil {
		return nil, fmt.Errorf("config: read %s: %w", p, err)
	}
	abs, _ := filepath.Abs(p)
	return ParseProjectFile(abs, data)
}

// keyLine is the line of the top-level key in the YAML document data (1
// when it cannot be found).
func keyLine(data []byte, key string) int {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return 1
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i].Line
		}
	}
	return 1
}

// seqItemOrigins maps each scalar item of the top-level sequence key to
// "path:LINE" (the first line it appears on).
func seqItemOrigins(path string, data []byte, key string) map[string]string {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	m := doc.Content[0]
	out := map[string]string{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != key {
			continue
		}
		for _, item := range m.Content[i+1].Content {
			if _, seen := out[item.Value]; !seen {
				out[item.Value] = fmt.Sprintf("%s:%d", path, item.Line)
			}
		}
	}
	return out
}
