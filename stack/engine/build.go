package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	archive "github.com/moby/go-archive"
	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/internal/termtext"
)

// Function is something esbtui can build into an image: a directory under
// functions/ with a Dockerfile, or a compose service with a build: section.
type Function struct {
	Name       string             `json:"name"`
	Context    string             `json:"context"`    // build context directory
	Dockerfile string             `json:"dockerfile"` // relative to Context
	Source     string             `json:"source"`     // "functions/<name>" or "compose service <name>"
	Target     string             `json:"target,omitempty"`
	Args       map[string]*string `json:"-"`
}

// BuildError is a build the engine reported as failed; Output holds the
// last lines of the build log for context.
type BuildError struct {
	Function string
	Message  string
	Output   []string
}

func (e *BuildError) Error() string {
	msg := fmt.Sprintf("stack: build %s: %s", e.Function, strings.TrimSpace(e.Message))
	if len(e.Output) > 0 {
		msg += "\n  last build output:\n    " + strings.Join(e.Output, "\n    ")
	}
	return msg
}

// Build builds fn into an image tagged with tags, streaming the builder's
// output as Info events (step "build", item fn.Name). It uses BuildKit when
// the engine has it and the classic builder otherwise; errors that arrive
// inside the stream are returned as *BuildError. It returns the image ID.
func (e *Engine) Build(ctx context.Context, fn Function, tags []string, sink progress.Sink) (string, error) {
	rep := progress.Reporter{Op: "build", Sink: sink}
	buildCtx, err := contextTar(fn)
	if err != nil {
		return "", err
	}
	defer buildCtx.Close()
	version := build.BuilderV1
	builder := "classic builder"
	if e.BuildKit {
		version, builder = build.BuilderBuildKit, "BuildKit"
	}
	rep.Emit(progress.Event{Step: "build", Item: fn.Name, Status: progress.Start, Message: fmt.Sprintf("building %s from %s with the %s", strings.Join(tags, ", "), fn.Source, builder)})
	res, err := e.api.ImageBuild(ctx, buildCtx, client.ImageBuildOptions{
		Tags:        tags,
		Dockerfile:  fn.Dockerfile,
		BuildArgs:   fn.Args,
		Target:      fn.Target,
		Remove:      true,
		ForceRemove: true,
		Version:     version,
		Labels:      map[string]string{"dev.esbtui.function": fn.Name},
	})
	if err != nil {
		return "", fmt.Errorf("stack: build %s: send the context to the engine at %s: %w", fn.Name, e.Host, err)
	}
	defer res.Body.Close()
	id, err := readBuildStream(res.Body, fn.Name, rep)
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("stack: build %s: %w", fn.Name, ctx.Err())
		}
		return "", err
	}
	if id == "" && len(tags) > 0 {
		ins, err := e.api.ImageInspect(ctx, tags[0])
		if err != nil {
			return "", fmt.Errorf("stack: build %s: inspect the built image %s: %w", fn.Name, tags[0], err)
		}
		id = ins.ID
	}
	rep.Emit(progress.Event{Step: "build", Item: fn.Name, Status: progress.Done, Message: "built " + shortID(id)})
	return id, nil
}

// readBuildStream drains the build's JSON stream. The classic builder sends
// its log as "stream" text and the image ID as aux {"ID": ...}; BuildKit
// sends aux "moby.image.id" and trace records. Errors come as errorDetail
// inside a 200 response (notes/docker-and-compose.md).
func readBuildStream(r io.Reader, name string, rep progress.Reporter) (string, error) {
	dec := json.NewDecoder(r)
	var id string
	var tail []string
	var partial bytes.Buffer
	emitLines := func(text string) {
		partial.WriteString(text)
		for {
			line, err := partial.ReadString('\n')
			if err != nil {
				partial.Reset()
				partial.WriteString(line)
				return
			}
			// RUN steps print what they like: no escape sequences past here.
			line = termtext.Clean(strings.TrimRight(line, "\r\n"))
			if strings.TrimSpace(line) == "" {
				continue
			}
			tail = append(tail, line)
			if len(tail) > 10 {
				tail = tail[1:]
			}
			rep.Emit(progress.Event{Step: "build", Item: name, Status: progress.Info, Message: line})
		}
	}
	for {
		var m jsonstream.Message
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return "", fmt.Errorf("stack: build %s: read the engine's build output: %w", name, err)
		}
		if m.Error != nil {
			emitLines("\n")
			return "", &BuildError{Function: name, Message: termtext.Clean(m.Error.Message), Output: tail}
		}
		if m.Stream != "" {
			emitLines(m.Stream)
		}
		if m.Aux != nil {
			var aux struct {
				ID string `json:"ID"`
			}
			if json.Unmarshal(*m.Aux, &aux) == nil && strings.HasPrefix(aux.ID, "sha256:") {
				id = aux.ID
			}
			if m.ID == "moby.image.id" {
				var bk struct {
					ID string `json:"ID"`
				}
				if json.Unmarshal(*m.Aux, &bk) == nil {
					id = bk.ID
				}
			}
		}
	}
	emitLines("\n")
	return id, nil
}

// contextTar archives the build context, honouring .dockerignore the way the
// docker CLI does (the Dockerfile and .dockerignore are always sent).
func contextTar(fn Function) (io.ReadCloser, error) {
	st, err := os.Stat(fn.Context)
	if err != nil || !st.IsDir() {
		return nil, fmt.Errorf("stack: build %s: context %s is not a directory (%v)", fn.Name, fn.Context, err)
	}
	if _, err := os.Stat(filepath.Join(fn.Context, fn.Dockerfile)); err != nil {
		return nil, fmt.Errorf("stack: build %s: no %s in %s: %w", fn.Name, fn.Dockerfile, fn.Context, err)
	}
	var excludes []string
	if f, err := os.Open(filepath.Join(fn.Context, ".dockerignore")); err == nil {
		excludes, err = ignorefile.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("stack: build %s: read %s: %w", fn.Name, filepath.Join(fn.Context, ".dockerignore"), err)
		}
		excludes = append(excludes, "!"+filepath.ToSlash(fn.Dockerfile), "!.dockerignore")
	}
	rc, err := archive.TarWithOptions(fn.Context, &archive.TarOptions{ExcludePatterns: excludes})
	if err != nil {
		return nil, fmt.Errorf("stack: build %s: archive the context %s: %w", fn.Name, fn.Context, err)
	}
	return rc, nil
}

func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
