package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// Du measures paths inside a running container (`du -sb`, falling back to
// `du -sk` × 1024; duCmd instead when the image has no shell) and returns
// the sum.
func (e *Engine) Du(ctx context.Context, id string, duCmd []string, paths ...string) (int64, error) {
	if len(paths) == 0 {
		return 0, nil
	}
	script := `du -sb "$@" 2>/dev/null || { du -sk "$@" | while read k p; do echo $((k*1024)) "$p"; done; }`
	argv := append([]string{"sh", "-c", script, "du"}, paths...)
	if duCmd != nil {
		argv = append(slices.Clip(duCmd), paths...)
	}
	out, code, err := e.Exec(ctx, id, argv)
	if err != nil {
		return 0, err
	}
	if code != 0 {
		return 0, fmt.Errorf("du exited %d: %s", code, LastLines(out, 2))
	}
	var total int64
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("du printed %q", line)
		}
		total += n
	}
	return total, nil
}

// maxExecOutput bounds what Exec keeps of a command's output: far above
// what garbage-collect prints for a large registry, but a container that
// streams without end fails the exec instead of filling memory.
const maxExecOutput = 256 << 20

// ErrOutputTooLarge is an exec whose output went over its bound.
var ErrOutputTooLarge = errors.New("the command's output is over the size esbtui reads")

// cappedBuffer is a bytes.Buffer that refuses writes past max bytes.
type cappedBuffer struct {
	bytes.Buffer
	max int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.max {
		return 0, fmt.Errorf("%w (%d bytes)", ErrOutputTooLarge, b.max)
	}
	return b.Buffer.Write(p)
}

// Exec runs cmd in a running container (like `docker exec`) and returns its
// combined output (at most maxExecOutput bytes, else ErrOutputTooLarge)
// and exit code.
func (e *Engine) Exec(ctx context.Context, id string, cmd []string) (string, int, error) {
	cr, err := e.api.ExecCreate(ctx, id, client.ExecCreateOptions{Cmd: cmd, AttachStdout: true, AttachStderr: true})
	if err != nil {
		return "", -1, fmt.Errorf("stack: exec %s in %s: %w", cmd[0], shortID(id), err)
	}
	att, err := e.api.ExecAttach(ctx, cr.ID, client.ExecAttachOptions{})
	if err != nil {
		return "", -1, fmt.Errorf("stack: exec %s in %s: attach: %w", cmd[0], shortID(id), err)
	}
	out := &cappedBuffer{max: maxExecOutput}
	copied := make(chan error, 1)
	go func() {
		_, err := stdcopy.StdCopy(out, out, att.Reader)
		copied <- err
	}()
	select {
	case err = <-copied:
		att.Close()
	case <-ctx.Done():
		att.Close()
		<-copied
		return out.String(), -1, fmt.Errorf("stack: exec %s in %s: %w", cmd[0], shortID(id), ctx.Err())
	}
	if err != nil {
		return out.String(), -1, fmt.Errorf("stack: exec %s in %s: read output: %w", cmd[0], shortID(id), err)
	}
	// The stream ends before the exit code is recorded: poll briefly.
	for range 50 {
		ins, err := e.api.ExecInspect(ctx, cr.ID, client.ExecInspectOptions{})
		if err != nil {
			return out.String(), -1, fmt.Errorf("stack: exec %s in %s: inspect: %w", cmd[0], shortID(id), err)
		}
		if !ins.Running {
			return out.String(), ins.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			return out.String(), -1, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return out.String(), -1, fmt.Errorf("stack: exec %s in %s: still running after its output ended", cmd[0], shortID(id))
}

// RunBeside runs cmd (entrypoint-style argv) in a one-off container of
// image that mounts every volume of container from, with its environment
// and no network, waits for it and removes it.
func (e *Engine) RunBeside(ctx context.Context, from, image string, env, cmd []string) (string, int, error) {
	cr, err := e.api.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{
			Image: image, Entrypoint: cmd[:1], Cmd: cmd[1:], Env: env,
			Labels: map[string]string{"dev.esbtui.gc-of": from},
		},
		HostConfig: &container.HostConfig{NetworkMode: "none", VolumesFrom: []string{from}},
	})
	if err != nil {
		return "", -1, fmt.Errorf("create the gc container: %w", err)
	}
	defer e.removeOneOff(ctx, cr.ID, "gc", client.ContainerRemoveOptions{Force: true})
	wait := e.api.ContainerWait(ctx, cr.ID, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	if _, err := e.api.ContainerStart(ctx, cr.ID, client.ContainerStartOptions{}); err != nil {
		return "", -1, fmt.Errorf("start the gc container: %w", err)
	}
	code := -1
	select {
	case w := <-wait.Result:
		code = int(w.StatusCode)
	case err := <-wait.Error:
		return "", -1, fmt.Errorf("wait for the gc container: %w", err)
	case <-ctx.Done():
		return "", -1, ctx.Err()
	}
	logs, err := e.api.ContainerLogs(ctx, cr.ID, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		return "", code, fmt.Errorf("read the gc output: %w", err)
	}
	defer logs.Close()
	var out bytes.Buffer
	if err := demux(&out, &out, logs); err != nil {
		return out.String(), code, fmt.Errorf("read the gc output: %w", err)
	}
	return out.String(), code, nil
}

// StartHealthy starts a container and waits until its healthcheck passes
// (or it runs, when it has none).
func (e *Engine) StartHealthy(ctx context.Context, id string) error {
	if _, err := e.api.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		return fmt.Errorf("start %s: %w", shortID(id), err)
	}
	for {
		in, err := e.api.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
		if err != nil {
			return fmt.Errorf("inspect %s: %w", shortID(id), err)
		}
		st := in.Container.State
		switch {
		case st == nil:
		case !st.Running && st.Status != container.StateCreated && st.Status != container.StateRestarting:
			return fmt.Errorf("%s is %s (exit code %d): %s", shortID(id), st.Status, st.ExitCode, e.LastLogLines(ctx, id, 5))
		case st.Running && (st.Health == nil || st.Health.Status == container.Healthy || st.Health.Status == container.NoHealthcheck):
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s to be healthy: %w", shortID(id), ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// LastLines is the last n lines of a command's output on one line, joined
// by " | " (for error messages).
func LastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
