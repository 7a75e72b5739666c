package flows

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/registryclient"
	"github.com/esbtui/esbtui/stack"
	"github.com/esbtui/esbtui/stack/engine"
)

// BuildOptions select what `esbtui build` builds.
type BuildOptions struct {
	// Names of functions to build; empty means all.
	Names []string
	// NoPush stops after the build and tag.
	NoPush bool
	// Sign signs each pushed image (also on with esb.yaml `sign: true`).
	Sign bool
	// Root is the project directory holding functions/ (default: esb.yaml's
	// functions, else ./functions).
	Root string
	// Stack selects the compose files whose build: services count too.
	Stack StackOptions
}

// BuildResult is one function built (and pushed).
type BuildResult struct {
	Function string                     `json:"function"`
	Source   string                     `json:"source"`
	Image    string                     `json:"image"`
	ImageID  string                     `json:"image_id"`
	Push     *registryclient.PushResult `json:"push,omitempty"`
	// Signature is set when the pushed image was signed.
	Signature *Signed `json:"signature,omitempty"`
}

// Functions lists what `esbtui build` can build: functions/<name> with a
// Dockerfile under Root, and compose services with a build: section.
func (e *Env) Functions(ctx context.Context, o BuildOptions) ([]engine.Function, error) {
	dir := e.Cfg.FunctionsDir
	if o.Root != "" || dir == "" {
		root := o.Root
		if root == "" {
			wd, err := os.Getwd()
			if err != nil {
				return nil, fmt.Errorf("build: find the project directory: %w", err)
			}
			root = wd
		}
		dir = filepath.Join(root, stack.FunctionsDir)
	}
	var proj *stack.Project
	if len(o.Stack.Files) > 0 || len(e.Cfg.ComposeFiles) > 0 {
		p, err := e.LoadStack(ctx, o.Stack)
		if err != nil {
			return nil, err
		}
		proj = p
	}
	return stack.DiscoverFunctions(dir, proj)
}

// Build builds each selected function through the engine, tags it
// <registry>/<name>:latest (the plan's rule: the bare name when no registry
// is configured) and, unless NoPush, pushes it with live progress.
func (e *Env) Build(ctx context.Context, o BuildOptions, sink progress.Sink) ([]BuildResult, error) {
	fns, err := e.Functions(ctx, o)
	if err != nil {
		return nil, err
	}
	fns, err = selectFunctions(fns, o.Names)
	if err != nil {
		return nil, err
	}
	sign := o.Sign || e.Cfg.SignBuilds
	if sign && o.NoPush {
		return nil, fmt.Errorf("build: signing needs the pushed image (signatures live in the registry): drop --no-push, or --sign (esb.yaml sign: true)")
	}
	eng, err := e.Engine(ctx)
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	e.buildMirrorNote(ctx, eng, progress.Reporter{Op: "build", Sink: sink})
	var out []BuildResult
	for _, fn := range fns {
		if e.Cfg.VerifyRequired {
			if err := e.verifyBaseImages(ctx, fn, sink); err != nil {
				return out, err
			}
		}
		image := e.ImageRef(fn.Name)
		id, err := eng.Build(ctx, fn, []string{image}, sink)
		if err != nil {
			e.record("image.build.failed", map[string]any{"function": fn.Name, "error": err.Error()})
			return out, err
		}
		e.record("image.built", map[string]any{"function": fn.Name, "image": image, "id": id})
		res := BuildResult{Function: fn.Name, Source: fn.Source, Image: image, ImageID: id}
		if !o.NoPush {
			pr, err := e.Push(ctx, image, image, sink)
			if err != nil {
				return out, err
			}
			res.Push = pr
			if sign {
				sr, err := e.SignPushed(ctx, pr, sink)
				if err != nil {
					return out, err
				}
				res.Signature = sr
			}
		}
		out = append(out, res)
	}
	return out, nil
}

func selectFunctions(all []engine.Function, names []string) ([]engine.Function, error) {
	if len(all) == 0 {
		return nil, fmt.Errorf("build: nothing to build: add functions/<name>/Dockerfile, or a compose service with a build: section (-f FILE)")
	}
	if len(names) == 0 {
		return all, nil
	}
	byName := map[string]engine.Function{}
	var known []string
	for _, f := range all {
		byName[f.Name] = f
		known = append(known, f.Name)
	}
	sort.Strings(known)
	var out []engine.Function
	for _, n := range names {
		f, ok := byName[strings.ToLower(n)]
		if !ok {
			return nil, fmt.Errorf("build: no function %q (known: %s)", n, strings.Join(known, ", "))
		}
		out = append(out, f)
	}
	return out, nil
}
