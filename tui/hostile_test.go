package tui

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/registryserver"
)

// A registry notification whose fields carry escape sequences (a client's
// user agent, a repository and tag) goes through esbtui's real listener
// into the dashboard: the Log pane and the frame hold the text without the
// sequences.
func TestHostileRegistryEventReachesTheDashboardClean(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l, err := registryserver.ListenEvents(ctx, "127.0.0.1:0", "tok")
	if err != nil {
		t.Fatal(err)
	}
	f := &fake{state: healthyState(), events: make(chan flows.RegistryEvent)}
	go func() {
		for ev := range l.Events() {
			f.events <- ev
		}
	}()
	h := newHarness(t, f, 120, 30)
	body, _ := json.Marshal(map[string]any{"events": []map[string]any{{
		"id": "1", "timestamp": t0, "action": "push",
		"target":  map[string]any{"mediaType": "application/vnd.oci.image.manifest.v1+json", "repository": "hello\x1b]0;pwned\x07", "tag": "v1\x1b[2J", "size": 10},
		"request": map[string]any{"useragent": "evil\x1b]0;pwned\x07/1.0\x1b[2J"},
	}}})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+l.Addr()+registryserver.EventsPath, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h.until("the push logged", func(m *Model) bool { return strings.Contains(logText(m), "registry push hello") })
	m := h.final()
	log, frame := logText(m), m.View().Content
	if !strings.Contains(log, "registry push hello:v1") {
		t.Errorf("the Log pane lacks the cleaned event: %q", log)
	}
	if strings.ContainsRune(log, 0x1b) || strings.Contains(log, "pwned") {
		t.Errorf("the Log pane holds an escape sequence: %q", log)
	}
	if strings.Contains(frame, "\x1b]0;") || strings.Contains(frame, "\x1b[2J") || strings.Contains(frame, "pwned") {
		t.Errorf("the frame holds the hostile sequences: %q", frame)
	}
}
