package engine

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/moby/moby/client"
)

// fakeEngineRemoveFails answers the Docker API calls RunOnce makes, like an
// engine, except that removing the container fails. A fake only for the
// failure no real engine produces on demand; RunOnce itself runs against
// the real engine in the doctor's probe (test/e2e).
func fakeEngineRemoveFails(t *testing.T, removes *atomic.Int32) *Engine {
	t.Helper()
	const id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path[strings.Index(r.URL.Path[1:], "/")+1:] // drop /v1.xx
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodPost && path == "/containers/create":
			w.WriteHeader(http.StatusCreated)
			w.Write([]byte(`{"Id":"` + id + `","Warnings":[]}`))
		case r.Method == http.MethodPost && path == "/containers/"+id+"/wait":
			w.Write([]byte(`{"StatusCode":0}`))
		case r.Method == http.MethodPost && path == "/containers/"+id+"/start":
			w.WriteHeader(http.StatusNoContent)
		case r.Method == http.MethodGet && path == "/containers/"+id+"/logs":
			w.Header().Set("Content-Type", "application/vnd.docker.multiplexed-stream")
			msg := "hello\n"
			w.Write(append([]byte{1, 0, 0, 0, 0, 0, 0, byte(len(msg))}, msg...))
		case r.Method == http.MethodDelete && path == "/containers/"+id:
			removes.Add(1)
			w.WriteHeader(http.StatusConflict)
			w.Write([]byte(`{"message":"removal of container ` + id + ` is already in progress"}`))
		default:
			t.Errorf("unexpected engine call %s %s", r.Method, r.URL.Path)
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	api, err := client.New(client.WithHost("tcp://"+strings.TrimPrefix(srv.URL, "http://")), client.WithAPIVersion("1.47"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { api.Close() })
	return &Engine{Host: srv.URL, APIVersion: "1.47", api: api}
}

// A one-off container that cannot be removed does not fail the run, but
// it is not silent either: the log names the container.
func TestRunOnceLogsAFailedRemoval(t *testing.T) {
	var removes atomic.Int32
	e := fakeEngineRemoveFails(t, &removes)
	var logged bytes.Buffer
	e.log = slog.New(slog.NewTextHandler(&logged, nil))

	res, err := e.RunOnce(context.Background(), "probe:latest")
	if err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
	if res.ExitCode != 0 || res.Stdout != "hello" {
		t.Errorf("result %+v, want exit 0 and output hello", res)
	}
	if removes.Load() != 1 {
		t.Fatalf("%d removals, want 1", removes.Load())
	}
	out := logged.String()
	for _, want := range []string{"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "already in progress", "docker rm -f", "level=WARN"} {
		if !strings.Contains(out, want) {
			t.Errorf("log %q does not hold %q", out, want)
		}
	}
}

// gc's sweep container goes through the same removal.
func TestRunBesideLogsAFailedRemoval(t *testing.T) {
	var removes atomic.Int32
	e := fakeEngineRemoveFails(t, &removes)
	var logged bytes.Buffer
	e.log = slog.New(slog.NewTextHandler(&logged, nil))

	out, code, err := e.RunBeside(context.Background(), "esb-registry", "registry:3", nil, []string{"/bin/registry", "garbage-collect"})
	if err != nil || code != 0 || out != "hello\n" {
		t.Fatalf("runBeside = %q, %d, %v; want hello, 0, nil", out, code, err)
	}
	if removes.Load() != 1 || !strings.Contains(logged.String(), "0123456789abcdef") || !strings.Contains(logged.String(), "purpose=gc") {
		t.Errorf("%d removals, log %q: want one, logged with the container ID", removes.Load(), logged.String())
	}
}
