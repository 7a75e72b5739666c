package engine

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/esbtui/esbtui/internal/redact"
	"github.com/esbtui/esbtui/internal/termtext"
)

// LogOptions tune Logs.
type LogOptions struct {
	Follow bool
	// Tail is how many lines from the end to show first ("all" or a number);
	// empty means all.
	Tail       string
	Timestamps bool
}

// Logs copies the logs of a service's container to w (stdout and stderr
// interleaved as the engine stored them); with Follow it keeps streaming
// until ctx is done, which is not an error.
func (e *Engine) Logs(ctx context.Context, project, service string, o LogOptions, w io.Writer) error {
	services, err := e.Ps(ctx, project)
	if err != nil {
		return err
	}
	var names []string
	for _, s := range services {
		names = append(names, s.Name)
		if s.Name != service {
			continue
		}
		return e.streamLogs(ctx, s, o, w)
	}
	if len(names) == 0 {
		return fmt.Errorf("stack: no containers in project %s: run `esbtui up` first", project)
	}
	return fmt.Errorf("stack: project %s has no service %q (services: %s)", project, service, strings.Join(names, ", "))
}

// demux splits the engine's multiplexed log stream (containers without a
// TTY) into stdout and stderr.
func demux(stdout, stderr io.Writer, r io.Reader) error {
	_, err := stdcopy.StdCopy(stdout, stderr, r)
	return err
}

// LastLogLines returns the last n lines a container wrote, joined by " | ".
func (e *Engine) LastLogLines(ctx context.Context, id string, n int) string {
	rc, err := e.api.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Tail: fmt.Sprint(n)})
	if err != nil {
		return ""
	}
	defer rc.Close()
	var b strings.Builder
	if err := demux(&b, &b, rc); err != nil && b.Len() == 0 {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	return strings.Join(lines, " | ")
}

// streamLogs copies one container's logs. With Follow it survives the
// engine ending the stream on its own (engine 20.10 does after a while, and
// on a container restart): it resumes from the last timestamp it saw, without
// repeating lines, until ctx is done or the container is gone.
func (e *Engine) streamLogs(ctx context.Context, s Service, o LogOptions, w io.Writer) error {
	tail := o.Tail
	if tail == "" {
		tail = "all"
	}
	lw := &logLines{w: w, keepTS: o.Timestamps}
	since := ""
	for {
		opts := client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: o.Follow, Tail: tail, Timestamps: true, Since: since}
		rc, err := e.api.ContainerLogs(ctx, s.ID, opts)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("stack: logs of %s (container %s): %w", s.Name, s.Container, err)
		}
		err = demux(lw, lw, rc)
		rc.Close()
		lw.flush()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("stack: logs of %s (container %s): %w", s.Name, s.Container, err)
		}
		if !o.Follow {
			return nil
		}
		// The stream ended but nobody asked to stop: resume if the
		// container still exists.
		if _, err := e.api.ContainerInspect(ctx, s.ID, client.ContainerInspectOptions{}); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("stack: logs of %s: container %s is gone: %w", s.Name, s.Container, err)
		}
		if !lw.last.IsZero() {
			since = lw.last.Format(time.RFC3339Nano)
		}
		tail = "all"
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// logLines receives timestamped log lines ("2026-11-24T19:42:09.1234Z msg"),
// drops lines not newer than the last one written (after a resume), strips
// the timestamp unless asked to keep it, and writes whole lines cleaned of
// control sequences (termtext.CleanLines).
type logLines struct {
	w      io.Writer
	keepTS bool
	buf    []byte
	last   time.Time
}

func (l *logLines) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		if err := l.line(l.buf[:i+1]); err != nil {
			return len(p), err
		}
		l.buf = l.buf[i+1:]
	}
}

func (l *logLines) flush() {
	if len(l.buf) > 0 {
		l.line(append(l.buf, '\n'))
		l.buf = nil
	}
}

func (l *logLines) line(b []byte) error {
	ts, rest, ok := bytes.Cut(b, []byte(" "))
	if t, err := time.Parse(time.RFC3339Nano, string(ts)); ok && err == nil {
		if !l.last.IsZero() && !t.After(l.last) {
			return nil
		}
		l.last = t
		if !l.keepTS {
			b = rest
		}
	}
	// A container's output is anyone's text: escape sequences and controls
	// go before it reaches the terminal (`esbtui logs` or the dashboard),
	// and so do credentials a component logged (registry:3 logs its
	// notification endpoint's Authorization header when it starts).
	_, err := io.WriteString(l.w, termtext.CleanLines(redact.Credentials(string(b))))
	return err
}
