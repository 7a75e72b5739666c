package engine

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// RunResult is the outcome of RunOnce.
type RunResult struct {
	ExitCode int64  `json:"exit_code"`
	Stdout   string `json:"stdout"`
	Stderr   string `json:"stderr"`
}

// RunOnce runs image with its default command in a new container without a
// network, waits for it to exit, collects its output and removes it (like
// `docker run --rm --network none IMAGE`).
func (e *Engine) RunOnce(ctx context.Context, image string) (*RunResult, error) {
	cr, err := e.api.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config:     &container.Config{Image: image, Labels: map[string]string{"dev.esbtui.run-once": "true"}},
		HostConfig: &container.HostConfig{NetworkMode: "none"},
	})
	if err != nil {
		return nil, fmt.Errorf("stack: run %s: create container: %w", image, err)
	}
	// Clean up even when ctx is done: the container must not linger (a
	// failure is logged with its ID).
	defer e.removeOneOff(ctx, cr.ID, "run-once", client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	wait := e.api.ContainerWait(ctx, cr.ID, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	if _, err := e.api.ContainerStart(ctx, cr.ID, client.ContainerStartOptions{}); err != nil {
		return nil, fmt.Errorf("stack: run %s: start container: %w", image, err)
	}
	res := &RunResult{}
	select {
	case w := <-wait.Result:
		res.ExitCode = w.StatusCode
		if w.Error != nil && w.Error.Message != "" {
			return nil, fmt.Errorf("stack: run %s: %s", image, w.Error.Message)
		}
	case err := <-wait.Error:
		return nil, fmt.Errorf("stack: run %s: wait for exit: %w", image, err)
	case <-ctx.Done():
		return nil, fmt.Errorf("stack: run %s: %w", image, ctx.Err())
	}
	logs, err := e.api.ContainerLogs(ctx, cr.ID, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return nil, fmt.Errorf("stack: run %s: read output: %w", image, err)
	}
	defer logs.Close()
	var out, errb bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &errb, logs); err != nil {
		return nil, fmt.Errorf("stack: run %s: read output: %w", image, err)
	}
	res.Stdout, res.Stderr = strings.TrimSpace(out.String()), strings.TrimSpace(errb.String())
	return res, nil
}

// RemoveImage removes ref from the engine (`docker rmi -f`).
func (e *Engine) RemoveImage(ctx context.Context, ref string) error {
	if _, err := e.api.ImageRemove(ctx, ref, client.ImageRemoveOptions{Force: true, PruneChildren: true}); err != nil {
		return fmt.Errorf("stack: remove image %s from the engine: %w", ref, err)
	}
	return nil
}

// Arch is the engine's hardware architecture ("amd64", "arm64").
func (e *Engine) Arch(ctx context.Context) (string, error) {
	v, err := e.api.ServerVersion(ctx, client.ServerVersionOptions{})
	if err != nil {
		return "", fmt.Errorf("stack: engine version at %s: %w", e.Host, err)
	}
	return v.Arch, nil
}
