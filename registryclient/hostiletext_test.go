package registryclient

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/esbtui/esbtui/registryclient/registrytest"
)

// hostile are the sequences an attacker would use: retitle the terminal
// window (OSC 0) and clear the screen (CSI 2J).
var hostile = []string{"\x1b]0;pwned\x07", "\x1b[2J"}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || (r >= 0x7f && r <= 0x9f) })
}

// injectList wraps a real registry: the catalog and tag listings it answers
// get extra names carrying escape sequences (the registry itself refuses
// to store such names; a hostile one would send them anyway).
func injectList(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := ""
		switch {
		case r.URL.Path == "/v2/_catalog":
			key = "repositories"
		case strings.HasSuffix(r.URL.Path, "/tags/list"):
			key = "tags"
		default:
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var body map[string]any
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &body) != nil {
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			return
		}
		list, _ := body[key].([]any)
		for _, h := range hostile {
			list = append(list, "evil"+h)
		}
		body[key] = list
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(body)
	})
}

func TestListingsDropNamesWithEscapes(t *testing.T) {
	reg := startRegistry(t, registrytest.Options{Wrap: injectList})
	c := newClient(t, Options{})
	ctx := ctxT(t)
	writeImage(t, c, reg.Addr+"/app:v1", testImage(t, 1, 64, time.Unix(1e9, 0), 7))

	cat, err := c.Catalog(ctx, reg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Repositories) != 1 || cat.Repositories[0] != "app" {
		t.Errorf("catalog repositories = %q, want only the valid \"app\"", cat.Repositories)
	}
	tags, err := c.Tags(ctx, reg.Addr+"/app", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(tags.Tags) != 1 || tags.Tags[0] != "v1" {
		t.Errorf("tags = %q, want only the valid \"v1\"", tags.Tags)
	}
	for what, invalid := range map[string][]string{"catalog": cat.Invalid, "tags": tags.Invalid} {
		if len(invalid) != len(hostile) {
			t.Errorf("%s: invalid = %q, want the %d hostile names reported", what, invalid, len(hostile))
		}
		for _, n := range invalid {
			if hasControl(n) {
				t.Errorf("%s: invalid name %q still holds a control character", what, n)
			}
		}
	}
}

func TestInspectCleansImageConfig(t *testing.T) {
	reg := startRegistry(t, registrytest.Options{})
	c := newClient(t, Options{})
	l, err := registrytest.Layer(64, false, 3)
	if err != nil {
		t.Fatal(err)
	}
	img, err := registrytest.Image(time.Unix(1e9, 0), []string{"/bin/app" + hostile[0]},
		map[string]string{"title" + hostile[1]: "x" + hostile[0] + "y"}, l)
	if err != nil {
		t.Fatal(err)
	}
	writeImage(t, c, reg.Addr+"/labels:v1", img)
	in, err := c.Inspect(ctxT(t), reg.Addr+"/labels:v1", "")
	if err != nil {
		t.Fatal(err)
	}
	im := in.Images[0]
	if got := im.Labels["title"]; got != "xy" {
		t.Errorf("labels = %q, want title=xy with the escapes gone", im.Labels)
	}
	if len(im.Entrypoint) != 1 || im.Entrypoint[0] != "/bin/app" {
		t.Errorf("entrypoint = %q, want /bin/app", im.Entrypoint)
	}
}

// denyHostile answers every request for the repository "denied" with a
// registry error whose message carries escape sequences.
func denyHostile(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/v2/denied/") {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{"code": "DENIED", "message": "no" + hostile[0] + "way" + hostile[1]}}})
	})
}

func TestRegistryErrorMessagesAreCleaned(t *testing.T) {
	reg := startRegistry(t, registrytest.Options{Wrap: denyHostile})
	c := newClient(t, Options{})
	ctx := ctxT(t)
	_, terr := c.Tags(ctx, reg.Addr+"/denied", "")
	_, ierr := c.Inspect(ctx, reg.Addr+"/denied:v1", "")
	for what, err := range map[string]error{"tags": terr, "inspect": ierr} {
		if err == nil {
			t.Fatalf("%s: no error from a registry that denies everything", what)
		}
		if hasControl(err.Error()) || strings.Contains(err.Error(), "pwned") {
			t.Errorf("%s: error %q holds the registry's escape sequences", what, err)
		}
		if !strings.Contains(err.Error(), "noway") {
			t.Errorf("%s: error %q lost the registry's message", what, err)
		}
	}
}
