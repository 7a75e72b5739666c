package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/esbtui/esbtui/internal/config"
	"github.com/esbtui/esbtui/registryclient"
	"github.com/esbtui/esbtui/registryclient/registrytest"
)

// addHostileTags wraps a real registry: tag listings gain names carrying
// escape sequences (the registry itself refuses to store such tags; a
// hostile one sends them anyway).
func addHostileTags(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, "/tags/list") {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var body map[string]any
		if json.Unmarshal(rec.Body.Bytes(), &body) != nil {
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return
		}
		tags, _ := body["tags"].([]any)
		body["tags"] = append(tags, "x\x1b]0;pwned\x07", "y\x1b[2J")
		json.NewEncoder(w).Encode(body)
	})
}

// `esbtui tags` and `esbtui inspect` against a real registry that hands
// out escape sequences in tag names and image labels print none of them.
func TestCLIPrintsRegistryTextClean(t *testing.T) {
	certs := filepath.Join(t.TempDir(), "certs")
	reg := registrytest.Start(t, registrytest.Options{CertDir: certs, Wrap: addHostileTags})
	l, err := registrytest.Layer(64, false, 1)
	if err != nil {
		t.Fatal(err)
	}
	img, err := registrytest.Image(time.Unix(1e9, 0), []string{"/app"}, map[string]string{"note": "hi\x1b]0;pwned\x07\x1b[2J"}, l)
	if err != nil {
		t.Fatal(err)
	}
	c, err := registryclient.New(registryclient.Options{CACertFile: reg.CAFile, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ref, _ := name.ParseReference(reg.Addr + "/app:v1")
	if err := remote.Write(ref, img, remote.WithTransport(c.Transport()), remote.WithContext(context.Background())); err != nil {
		t.Fatal(err)
	}

	home := t.TempDir()
	t.Setenv(config.EnvHome, home)
	t.Setenv(config.EnvCertDir, certs)
	t.Setenv(config.EnvRegistry, reg.Addr)
	t.Setenv(config.EnvProjectFile, "")
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	for _, args := range [][]string{{"tags", "app", "--no-tui"}, {"inspect", "app:v1", "--no-tui"}} {
		var out, errb bytes.Buffer
		code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
		if code != 0 {
			t.Fatalf("esbtui %v: exit %d: %s", args, code, errb.String())
		}
		text := out.String() + errb.String()
		if strings.ContainsRune(text, 0x1b) || strings.Contains(text, "pwned") {
			t.Errorf("esbtui %v printed an escape sequence:\n%q", args, text)
		}
		if args[0] == "tags" && strings.TrimSpace(out.String()) != "v1  image" {
			t.Errorf("esbtui tags printed %q, want only v1 (an image)", out.String())
		}
		if args[0] == "inspect" && !strings.Contains(out.String(), "note=hi") {
			t.Errorf("esbtui inspect lacks the cleaned label:\n%s", out.String())
		}
	}
}
