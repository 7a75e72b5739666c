package hubquota

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// hub is a TLS server playing auth.docker.io and registry-1.docker.io: it
// issues a token (checking basic auth when users is set) and answers the
// preview manifest HEAD with the given rate-limit headers; a GET (a real
// pull) is counted so the test can see Read never spends the quota.
type hub struct {
	srv     *httptest.Server
	headers map[string][]string
	gets    atomic.Int64
	heads   atomic.Int64
	sawAuth atomic.Value
	token   string
}

func newHub(t *testing.T, headers map[string][]string) *hub {
	h := &hub{headers: headers, token: "tok-123"}
	h.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/token":
			if r.URL.Query().Get("scope") != "repository:ratelimitpreview/test:pull" || r.URL.Query().Get("service") != "registry.docker.io" {
				http.Error(w, "bad scope", http.StatusBadRequest)
				return
			}
			if u, p, ok := r.BasicAuth(); ok {
				h.sawAuth.Store(u + ":" + p)
				if p != "s3cret" {
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
			}
			w.Write([]byte(`{"token":"` + h.token + `"}`))
		case r.URL.Path == "/v2/ratelimitpreview/test/manifests/latest":
			if r.Header.Get("Authorization") != "Bearer "+h.token {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			if r.Method == http.MethodGet {
				h.gets.Add(1)
			} else {
				h.heads.Add(1)
			}
			for k, vs := range h.headers {
				for _, v := range vs {
					w.Header().Add(k, v)
				}
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hub) opts() Options {
	return Options{AuthURL: h.srv.URL + "/token", RegistryURL: h.srv.URL, Client: h.srv.Client(), Timeout: 5 * time.Second}
}

func TestReadQuota(t *testing.T) {
	h := newHub(t, map[string][]string{"ratelimit-limit": {"100;w=21600"}, "ratelimit-remaining": {"76;w=21600"}, "docker-ratelimit-source": {"203.0.113.9"}})
	q, err := Read(context.Background(), h.opts())
	if err != nil {
		t.Fatal(err)
	}
	if q.Limit != 100 || q.Remaining != 76 || q.Window != 6*time.Hour || q.Source != "203.0.113.9" || q.Low || q.Authenticated || q.Unlimited {
		t.Errorf("quota = %+v", q)
	}
	if h.gets.Load() != 0 || h.heads.Load() != 1 {
		t.Errorf("GETs %d (each spends a pull), HEADs %d: want 0 and 1", h.gets.Load(), h.heads.Load())
	}
	if got := q.String(); !strings.Contains(got, "76/100 pulls left per 6h0m0s") {
		t.Errorf("String() = %q", got)
	}
}

func TestLowQuota(t *testing.T) {
	for _, c := range []struct {
		lim, rem string
		low      bool
	}{{"100;w=21600", "9;w=21600", true}, {"100", "10", false}, {"10;w=3600", "4;w=3600", true}, {"10;w=3600", "5;w=3600", false}, {"200", "19", true}} {
		h := newHub(t, map[string][]string{"ratelimit-limit": {c.lim}, "ratelimit-remaining": {c.rem}})
		q, err := Read(context.Background(), h.opts())
		if err != nil {
			t.Fatal(err)
		}
		if q.Low != c.low {
			t.Errorf("%s / %s: low = %v, want %v", c.rem, c.lim, q.Low, c.low)
		}
	}
}

func TestAuthenticatedQuota(t *testing.T) {
	h := newHub(t, map[string][]string{"ratelimit-limit": {"200;w=21600"}, "ratelimit-remaining": {"199;w=21600"}})
	o := h.opts()
	o.Username, o.Password = "dev", "s3cret"
	q, err := Read(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if !q.Authenticated || q.Remaining != 199 || h.sawAuth.Load() != "dev:s3cret" {
		t.Errorf("quota %+v, token request auth %v", q, h.sawAuth.Load())
	}
	o.Password = "wrong"
	_, err = Read(context.Background(), o)
	if err == nil || strings.Contains(err.Error(), "wrong") || !strings.Contains(err.Error(), "docker login") {
		t.Errorf("refused credentials: %v", err)
	}
}

func TestUnlimited(t *testing.T) {
	h := newHub(t, nil)
	q, err := Read(context.Background(), h.opts())
	if err != nil || !q.Unlimited || q.Low {
		t.Errorf("no headers: %+v %v", q, err)
	}
}

// TestHostileHeaders: malformed, huge, negative, repeated or control
// character values are errors (or dropped, for the source), never a number
// made up from them.
func TestHostileHeaders(t *testing.T) {
	for name, hd := range map[string]map[string][]string{
		"not a number":      {"ratelimit-limit": {"lots"}, "ratelimit-remaining": {"1"}},
		"negative":          {"ratelimit-limit": {"100"}, "ratelimit-remaining": {"-5"}},
		"huge":              {"ratelimit-limit": {"99999999999999999999"}, "ratelimit-remaining": {"1"}},
		"remaining > limit": {"ratelimit-limit": {"10"}, "ratelimit-remaining": {"11"}},
		"repeated":          {"ratelimit-limit": {"100", "1000"}, "ratelimit-remaining": {"1"}},
		"only one":          {"ratelimit-remaining": {"1"}},
		"bad window":        {"ratelimit-limit": {"100;w=-1"}, "ratelimit-remaining": {"1"}},
		"escape in window":  {"ratelimit-limit": {"100;w=\x1b[2J"}, "ratelimit-remaining": {"1"}},
		"window a century":  {"ratelimit-limit": {"100;w=3153600000"}, "ratelimit-remaining": {"1"}},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHub(t, hd)
			q, err := Read(context.Background(), h.opts())
			if err == nil {
				t.Fatalf("accepted: %+v", q)
			}
			if strings.ContainsRune(err.Error(), 0x1b) {
				t.Errorf("error carries an escape: %q", err)
			}
		})
	}
	h := newHub(t, map[string][]string{"ratelimit-limit": {"100"}, "ratelimit-remaining": {"50"}, "docker-ratelimit-source": {"1.2.3.4 rm -rf ~ \u00e9\u202e"}})
	q, err := Read(context.Background(), h.opts())
	if err != nil || q.Source != "" {
		t.Errorf("hostile source kept: %+v %v", q, err)
	}
}

// TestBoundedTimeout: a registry that never answers fails within the
// timeout instead of hanging.
func TestBoundedTimeout(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	_, err := Read(context.Background(), Options{AuthURL: srv.URL + "/token", RegistryURL: srv.URL, Client: srv.Client(), Timeout: 300 * time.Millisecond})
	if err == nil || !strings.Contains(err.Error(), "token") {
		t.Errorf("err = %v", err)
	}
}

func TestHugeTokenResponse(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"token":"` + strings.Repeat("a", 1<<20) + `"}`))
	}))
	defer srv.Close()
	if _, err := Read(context.Background(), Options{AuthURL: srv.URL + "/token", RegistryURL: srv.URL, Client: srv.Client()}); err == nil {
		t.Error("a 1 MiB token response was accepted")
	}
}
