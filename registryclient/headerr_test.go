package registryclient

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esbtui/esbtui/registryclient/registrytest"
)

// refuseHEAD makes a real registry refuse the HEADs (and GETs) of paths
// under prefix with status and a registry error carrying reason, as a
// registry with a quota or a policy would, while *on.
func refuseHEAD(on *atomic.Bool, prefix string, status int, reason string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !on.Load() || !strings.HasPrefix(r.URL.Path, prefix) || (r.Method != http.MethodHead && r.Method != http.MethodGet) {
				next.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{"code": "DENIED", "message": reason}}})
		})
	}
}

// A push whose blob HEAD is refused says why the registry refused it (what
// a GET answers), not only "403 Forbidden".
func TestPushHeadErrorKeepsTheRegistryReason(t *testing.T) {
	var on atomic.Bool
	on.Store(true)
	reg := startRegistry(t, registrytest.Options{Wrap: refuseHEAD(&on, "/v2/quota/blobs/", http.StatusForbidden, "quota exceeded for team blue")})
	c := newClient(t, Options{})
	img := testImage(t, 1, 32<<10, time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC), 21)
	_, err := c.PushTarball(ctxT(t), bytes.NewReader(saveTar(t, "quota:v1", img)), "quota:v1", reg.Addr, collector())
	if err == nil {
		t.Fatal("push succeeded through a registry that refuses every blob HEAD")
	}
	if !strings.Contains(err.Error(), "quota exceeded for team blue") {
		t.Errorf("error %q lost the registry's reason", err)
	}
	var he *HeadError
	if !errors.As(err, &he) || he.Status != http.StatusForbidden {
		t.Errorf("error %q is not a *HeadError with status 403", err)
	}
}

// Deleting a tag resolves it with a HEAD: a refusal keeps the registry's
// reason too, and says what to do about a 401.
func TestDeleteHeadErrorKeepsTheRegistryReason(t *testing.T) {
	var on atomic.Bool
	reg := startRegistry(t, registrytest.Options{Wrap: refuseHEAD(&on, "/v2/locked/manifests/", http.StatusUnauthorized, "tag locked by policy P-7")})
	c := newClient(t, Options{})
	writeImage(t, c, reg.Addr+"/locked:v1", testImage(t, 1, 1<<10, time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC), 22))
	on.Store(true)
	_, err := c.Delete(ctxT(t), reg.Addr+"/locked:v1", "")
	if err == nil {
		t.Fatal("delete succeeded though the registry refuses the tag's HEAD")
	}
	for _, want := range []string{"tag locked by policy P-7", "docker login " + reg.Addr} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}
