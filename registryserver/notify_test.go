package registryserver

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The listener takes text from any client on the host: a notification
// whose names carry escape sequences (retitle the terminal window: OSC 0;
// clear the screen: CSI 2J) reaches the reader without them.
func TestEventsAreCleaned(t *testing.T) {
	const osc, csi = "\x1b]0;pwned\x07", "\x1b[2J"
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l, err := ListenEvents(ctx, "127.0.0.1:0", "tok")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]any{"events": []map[string]any{{
		"id": "1", "action": "push",
		"target":  map[string]any{"mediaType": "application/vnd.oci.image.manifest.v1+json", "repository": "app" + osc, "tag": "v1" + csi},
		"request": map[string]any{"addr": "10.0.0.1", "useragent": "curl" + osc + csi},
		"actor":   map[string]any{"name": "bob" + csi},
	}}}
	body, _ := json.Marshal(env)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+l.Addr()+EventsPath, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok")
	go func() {
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	select {
	case ev := <-l.Events():
		if ev.Repository != "app" || ev.Tag != "v1" || ev.UserAgent != "curl" || ev.User != "bob" {
			t.Errorf("event = %+v, want repository app, tag v1, user agent curl, user bob", ev)
		}
		if line := ev.Ref() + ev.Who(); strings.ContainsFunc(line, isControl) {
			t.Errorf("event line %q holds a control character", line)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no event arrived")
	}
}

func isControl(r rune) bool { return r < 0x20 || (r >= 0x7f && r <= 0x9f) }

// A listener whose server dies (here: its socket is closed under it) says
// so: Events closes and Err names the address and the cause. A listener
// stopped by its context closes Events with no error.
func TestEventListenerDeathIsReported(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l, err := ListenEvents(ctx, "127.0.0.1:0", "tok")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr()
	l.ln.Close()
	select {
	case _, ok := <-l.Events():
		if ok {
			t.Fatal("an event arrived from a listener with no socket")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the listener's server died and Events stayed open: nobody would know")
	}
	if err := l.Err(); err == nil || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "stopped") {
		t.Errorf("Err() = %v, want the listener on %s stopped", err, addr)
	}

	ctx2, cancel2 := context.WithCancel(context.Background())
	l2, err := ListenEvents(ctx2, "127.0.0.1:0", "tok")
	if err != nil {
		t.Fatal(err)
	}
	cancel2()
	for range l2.Events() {
	}
	if err := l2.Err(); err != nil {
		t.Errorf("Err() after ctx ended = %v, want nil", err)
	}
}
