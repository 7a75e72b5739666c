package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/internal/termtext"
)

// sink prints progress events for a headless run: plain lines, or JSON lines
// on stderr when --json keeps stdout for the result document.
func (a *app) sink() progress.Sink {
	if a.jsonOut {
		return &jsonLines{w: a.stderr}
	}
	return progress.Coalesce(&plainLines{w: a.stdout}, time.Second)
}

type plainLines struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *plainLines) Emit(e progress.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	label := e.Op
	if e.Step != "" {
		label += " " + e.Step
	}
	if e.Item != "" {
		label += " " + e.Item
	}
	msg := e.Message
	if e.Status == progress.Update {
		if pct := e.Percent(); pct >= 0 {
			msg = fmt.Sprintf("%s %5.1f%% (%s / %s)", msg, pct, progress.Bytes(e.Current), progress.Bytes(e.Total))
		}
	}
	if e.Err != "" {
		msg += ": " + e.Err
	}
	// Event text may quote outside text (registry, engine, containers).
	fmt.Fprintf(p.w, "%s %s: %s\n", symbol(e.Status), termtext.Clean(label), termtext.Clean(msg))
}

type jsonLines struct {
	mu sync.Mutex
	w  io.Writer
}

func (j *jsonLines) Emit(e progress.Event) {
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.w.Write(append(b, '\n'))
}

// symbol shows state without colour (NO_COLOR, dumb terminals, logs).
func symbol(s progress.Status) string {
	switch s {
	case progress.Done:
		return "✓"
	case progress.Failed:
		return "✗"
	case progress.Warning:
		return "!"
	case progress.Skipped:
		return "="
	case progress.Start:
		return "→"
	}
	return "·"
}
