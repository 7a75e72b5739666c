package stack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/cli/cli/command"
	"github.com/docker/compose/v5/pkg/api"
	"github.com/docker/compose/v5/pkg/compose"

	"github.com/esbtui/esbtui/internal/safefile"
)

// ProjectOptions say which compose files make the project and what is
// injected for interpolation.
type ProjectOptions struct {
	// Name is the compose project name ("esb").
	Name string
	// DefaultDir is where the embedded default compose file is written
	// ($ESB_HOME/stack). Empty: the default is not used.
	DefaultDir string
	// Files are the user's compose files, merged over the default in order.
	Files []string
	// Generated are compose files esbtui wrote (the mirrors), merged after
	// the default and before Files.
	Generated []string
	// Env is injected for interpolation (ESB_CERT_DIR, ESB_REGISTRY, ...);
	// it wins over the process environment.
	Env map[string]string
}

// Project is a loaded, validated compose project.
type Project struct {
	// Files are the compose files it was loaded from, in merge order.
	Files []string
	p     *types.Project
}

// Name is the compose project name.
func (p *Project) Name() string { return p.p.Name }

// Services are the service names, sorted.
func (p *Project) Services() []string {
	names := p.p.ServiceNames()
	sort.Strings(names)
	return names
}

// HasService reports whether the project defines name.
func (p *Project) HasService(name string) bool {
	_, err := p.p.GetService(name)
	return err == nil
}

// Compose is the underlying compose-go project (read it, do not change it).
func (p *Project) Compose() *types.Project { return p.p }

// LoadProject writes the default compose file (if used) and loads the
// project like `docker compose -p NAME -f default -f user...` would, except
// that an undefined variable is an error, not a blank string. Load errors are
// *ComposeFileError with the file and, when it can be found, the line.
// It needs no engine.
func LoadProject(ctx context.Context, o ProjectOptions) (*Project, error) {
	if o.Name == "" {
		return nil, errors.New("stack: load project: no project name")
	}
	var files []string
	if o.DefaultDir != "" {
		path, err := WriteDefault(o.DefaultDir)
		if err != nil {
			return nil, err
		}
		files = append(files, path)
	}
	files = append(files, o.Generated...)
	for _, f := range o.Files {
		abs, err := filepath.Abs(f)
		if err != nil {
			return nil, fmt.Errorf("stack: compose file %s: %w", f, err)
		}
		if err := checkComposeFile(abs); err != nil {
			return nil, err
		}
		files = append(files, abs)
	}
	if len(files) == 0 {
		return nil, errors.New("stack: load project: no compose file (neither the default nor a user file)")
	}
	// Relative paths (build contexts, bind mounts) resolve against the
	// user's first file, as `docker compose -f` does; the default file has
	// none.
	workDir := filepath.Dir(files[len(files)-1])
	if len(o.Files) > 0 {
		workDir = filepath.Dir(files[len(files)-len(o.Files)])
	}
	env := make([]string, 0, len(o.Env))
	for k, v := range o.Env {
		env = append(env, k+"="+v)
	}
	svc, err := loaderService()
	if err != nil {
		return nil, err
	}
	p, err := svc.LoadProject(ctx, api.ProjectLoadOptions{
		ProjectName: o.Name,
		ConfigPaths: files,
		WorkingDir:  workDir,
		Offline:     true,
		ProjectOptionsFns: []cli.ProjectOptionsFn{
			cli.WithEnv(env),
			cli.WithLoadOptions(func(lo *loader.Options) {
				if lo.Interpolate != nil {
					lo.Interpolate.Substitute = strictSubstitute
				}
			}),
		},
	})
	if err != nil {
		return nil, composeFileError(files, err)
	}
	return &Project{Files: files, p: p}, nil
}

// MaxComposeFileSize bounds a user compose file (compose-go reads it whole).
const MaxComposeFileSize = 4 << 20

// checkComposeFile refuses what compose-go would read without bound: a
// device, pipe or directory (a link to /dev/zero would exhaust memory) or
// a file over MaxComposeFileSize.
func checkComposeFile(abs string) error {
	_, err := safefile.ReadFile(abs, "the compose file", MaxComposeFileSize)
	var tl *safefile.TooLargeError
	var nr *safefile.NotRegularError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &tl):
		return &ComposeFileError{Files: []string{abs}, File: abs, Line: tl.Line, Err: fmt.Errorf("larger than %d MiB: not a compose file esbtui will load", MaxComposeFileSize>>20)}
	case errors.As(err, &nr):
		return &ComposeFileError{Files: []string{abs}, File: abs, Err: fmt.Errorf("not a regular file: give the path of a compose YAML file")}
	}
	return &ComposeFileError{Files: []string{abs}, File: abs, Err: fmt.Errorf("cannot read it: %w", err)}
}

// loaderService is a Compose service for loading only: with Offline set,
// LoadProject never touches the engine, so none is needed.
func loaderService() (api.Compose, error) {
	dcli, err := command.NewDockerCli(command.WithOutputStream(io.Discard), command.WithErrorStream(io.Discard))
	if err != nil {
		return nil, fmt.Errorf("stack: set up the compose loader: %w", err)
	}
	return compose.NewComposeService(dcli, compose.WithStreams(io.Discard, io.Discard, strings.NewReader("")))
}

// strictSubstitute is compose-go's interpolation with one change: a plain
// $VAR or ${VAR} that is not set is an *UndefinedVariableError instead of a
// logged warning and an empty string (an empty ESB_CERT_DIR would mount
// /server.crt). Defaults (${VAR:-x}), ${VAR:?err} and the rest behave as in
// Compose.
func strictSubstitute(tmpl string, mapping template.Mapping) (string, error) {
	return template.SubstituteWithOptions(tmpl, mapping,
		template.WithoutLogging,
		template.WithReplacementFunction(func(sub string, m template.Mapping, cfg *template.Config) (string, error) {
			v, applied, err := template.DefaultReplacementAppliedFunc(sub, m, cfg)
			if err != nil || applied {
				return v, err
			}
			if name := bareVariable(sub); name != "" {
				return "", &UndefinedVariableError{Name: name}
			}
			return v, nil
		}))
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// bareVariable returns NAME for "$NAME" or "${NAME}", else "".
func bareVariable(sub string) string {
	s := strings.TrimPrefix(sub, "$")
	if strings.HasPrefix(s, "{") {
		end := strings.IndexByte(s, '}')
		if end < 0 {
			return ""
		}
		s = s[1:end]
	}
	if identRE.MatchString(s) {
		return s
	}
	return ""
}

// yamlLineRE finds a line in a YAML error: "line 4" (yaml.v3) or "L2.C3-L4.C4"
// (go-yaml v4, whose last position is where the parser stopped).
var yamlLineRE = regexp.MustCompile(`line (\d+)|L(\d+)\.C\d+`)

// composeFileError locates a load error in the files: the file compose-go
// names (or the first one holding an undefined variable) and the line.
func composeFileError(files []string, err error) error {
	ce := &ComposeFileError{Files: files, Err: err}
	var uv *UndefinedVariableError
	if errors.As(err, &uv) {
		for _, f := range files {
			if line := findVariable(f, uv.Name); line > 0 {
				ce.File, ce.Line = f, line
				break
			}
		}
		return ce
	}
	msg := err.Error()
	for _, f := range files {
		if strings.Contains(msg, f) {
			ce.File = f
			break
		}
	}
	if ce.File == "" && len(files) == 1 {
		ce.File = files[0]
	}
	if ms := yamlLineRE.FindAllStringSubmatch(msg, -1); ms != nil && ce.File != "" {
		m := ms[len(ms)-1]
		ce.Line, _ = strconv.Atoi(m[1] + m[2])
	}
	return ce
}

// findVariable returns the first line of file that references $name or
// ${name...}, or 0.
func findVariable(file, name string) int {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	re := regexp.MustCompile(`\$\{?` + regexp.QuoteMeta(name) + `([^A-Za-z0-9_]|$)`)
	for i, line := range strings.Split(string(data), "\n") {
		if re.MatchString(line) {
			return i + 1
		}
	}
	return 0
}
