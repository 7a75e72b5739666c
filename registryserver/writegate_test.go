package registryserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestWriteGate: while a sweep runs, reads are answered and counted, a
// write waits until the sweep ends (then is served), and a write held past
// the bound is answered 503 with Retry-After. The real registry under load
// is TestOnlineGCUnderLoad (test/e2e).
func TestWriteGate(t *testing.T) {
	served := make(chan string, 10)
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served <- r.Method + " " + r.URL.Path
		switch {
		case r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/blobs/uploads/"):
			w.Header().Set("Docker-Content-Digest", "sha256:aa")
			w.WriteHeader(http.StatusCreated)
		case r.Method == http.MethodHead:
			w.Header().Set("Docker-Content-Digest", "sha256:aa")
		}
	})
	g := newWriteGate(time.Minute)
	srv := httptest.NewServer(g.Handler(next))
	defer srv.Close()
	do := func(method, path string) int {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Error(err)
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	// A finished blob upload with no manifest yet is protected.
	if c := do(http.MethodPut, "/v2/a/b/blobs/uploads/x?digest=sha256:aa"); c != http.StatusCreated {
		t.Fatalf("upload: %d", c)
	}
	<-served
	if blobs, links := g.protected(); !blobs["sha256:aa"] || !links["a/b"]["sha256:aa"] {
		t.Fatalf("pending blob not protected: %v %v", blobs, links)
	}

	// A push's HEAD finding a blob there protects it too.
	if c := do(http.MethodHead, "/v2/c/blobs/sha256:aa"); c != http.StatusOK {
		t.Fatalf("HEAD: %d", c)
	}
	<-served
	if _, links := g.protected(); !links["c"]["sha256:aa"] {
		t.Fatalf("a blob a push found is not protected: %v", links)
	}

	end, err := g.beginSweep(time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if c := do(http.MethodGet, "/v2/a/b/manifests/v1"); c != http.StatusOK {
		t.Fatalf("a read during the sweep: %d", c)
	}
	<-served
	wrote := make(chan int, 1)
	go func() { wrote <- do(http.MethodPut, "/v2/a/b/manifests/v1") }()
	select {
	case s := <-served:
		t.Fatalf("a write was served during the sweep: %s", s)
	case <-time.After(300 * time.Millisecond):
	}
	reads, held := end()
	if c := <-wrote; c != http.StatusOK {
		t.Fatalf("the held write after the sweep: %d", c)
	}
	<-served
	if reads != 1 || held != 1 {
		t.Fatalf("reads %d, held %d; want 1 and 1", reads, held)
	}
	// The manifest arrived: its repository's pending blobs are no longer
	// protected.
	if _, links := g.protected(); links["a/b"] != nil {
		t.Fatalf("still protected after the manifest: %v", links)
	}
	// A blob HEAD during a sweep is held (a push asking whether to upload).
	end, err = g.beginSweep(time.Second)
	if err != nil {
		t.Fatal(err)
	}
	headed := make(chan int, 1)
	go func() { headed <- do(http.MethodHead, "/v2/c/blobs/sha256:aa") }()
	select {
	case s := <-served:
		t.Fatalf("a blob HEAD was served during the sweep: %s", s)
	case <-time.After(300 * time.Millisecond):
	}
	if _, held := end(); held != 1 || <-headed != http.StatusOK {
		t.Fatalf("blob HEAD: held %d", held)
	}
	<-served

	g.maxHold = 50 * time.Millisecond
	end, err = g.beginSweep(time.Second)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodDelete, srv.URL+"/v2/a/b/manifests/sha256:aa", nil)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	end()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("a write held past the bound: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}
