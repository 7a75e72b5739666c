package tui

import (
	"context"
	"fmt"
	"strings"

	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/progress"
)

// functions lists the buildable functions (functions/<name> under the
// working directory, compose services with build:), or why it cannot.
func (b *EnvBackend) functions(ctx context.Context) ([]string, error) {
	fns, err := b.env().Functions(ctx, flows.BuildOptions{Stack: b.Stack})
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(fns))
	for _, f := range fns {
		names = append(names, f.Name)
	}
	return names, nil
}

// Build runs `esbtui build [NAME...]`: build through the engine, tag
// <registry>/NAME:latest, push with per-layer progress.
func (b *EnvBackend) Build(ctx context.Context, names []string, sink progress.Sink) (string, error) {
	res, err := b.env().Build(ctx, flows.BuildOptions{Names: names, Stack: b.Stack}, sink)
	var out []string
	for _, r := range res {
		if r.Push != nil {
			out = append(out, r.Image+"@"+r.Push.Digest)
		} else {
			out = append(out, r.Image)
		}
	}
	return strings.Join(out, ", "), err
}

// Push pushes the named functions' images as the engine holds them
// (<registry>/NAME:latest, from an earlier build); all when names is empty.
func (b *EnvBackend) Push(ctx context.Context, names []string, sink progress.Sink) (string, error) {
	if len(names) == 0 {
		all, err := b.functions(ctx)
		if err != nil {
			return "", fmt.Errorf("push: %w", err)
		}
		if len(all) == 0 {
			return "", fmt.Errorf("push: no functions here: add functions/<name>/Dockerfile, or push an engine image with `esbtui push IMAGE`")
		}
		names = all
	}
	var out []string
	for _, n := range names {
		image := b.env().ImageRef(n)
		res, err := b.env().Push(ctx, image, image, sink)
		if err != nil {
			return strings.Join(out, ", "), fmt.Errorf("push %s: %w (b builds it first)", image, err)
		}
		out = append(out, res.Ref+"@"+res.Digest)
	}
	return strings.Join(out, ", "), nil
}
