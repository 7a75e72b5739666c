package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// caTransport is an HTTP/1.1 transport trusting only the CA in caFile.
func caTransport(t testing.TB, caFile string) *http.Transport {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("%s: no certificate", caFile)
	}
	return &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
}

// getV2 GETs https://addr/v2/ with tr and returns the status code.
func getV2(tr *http.Transport, addr string) (int, error) {
	if tr == nil {
		tr = &http.Transport{}
	}
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	resp, err := c.Get("https://" + addr + "/v2/")
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// pushRandom pushes a small random image to addr/repo:tag over tr.
func pushRandom(t testing.TB, tr http.RoundTripper, ref string) v1.Hash {
	t.Helper()
	img, err := random.Image(4096, 2)
	if err != nil {
		t.Fatal(err)
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img, remote.WithTransport(tr), remote.WithContext(context.Background())); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func headDigest(tr http.RoundTripper, ref string) (v1.Hash, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return v1.Hash{}, err
	}
	desc, err := remote.Head(r, remote.WithTransport(tr))
	if err != nil {
		return v1.Hash{}, err
	}
	return desc.Digest, nil
}

type upJSON struct {
	Project  string `json:"project"`
	Registry string `json:"registry"`
	Services []struct {
		Name      string   `json:"name"`
		Container string   `json:"container"`
		State     string   `json:"state"`
		Health    string   `json:"health"`
		Ports     []string `json:"ports"`
		Image     string   `json:"image"`
	} `json:"services"`
}

// TestStackUpDownKeepsData: up on a fresh home → registry healthy → /v2/
// is 200 with a client trusting only our CA and fails with the system
// roots → push → down (volume kept) → up again, the image is still there →
// down --volumes --yes removes the volume.
func TestStackUpDownKeepsData(t *testing.T) {
	t.Parallel()
	s := newStack(t)

	res := mustCLI(t, s.Env, "up", "--json")
	var up upJSON
	if err := json.Unmarshal([]byte(res.Stdout), &up); err != nil {
		t.Fatalf("up --json: %v\n%s", err, res)
	}
	if len(up.Services) != 1 || up.Services[0].Name != "registry" || up.Services[0].State != "running" || up.Services[0].Health != "healthy" {
		t.Fatalf("up services: %+v", up.Services)
	}
	if up.Services[0].Container != s.Project+"-registry" || !strings.HasPrefix(up.Services[0].Image, "esbtui/registry:") {
		t.Errorf("container %q image %q; want %s-registry, esbtui/registry:…", up.Services[0].Container, up.Services[0].Image, s.Project)
	}
	t.Logf("up (cold) took %v", res.Elapsed)

	tr := caTransport(t, s.CACert())
	if code, err := getV2(tr, s.Addr()); err != nil || code != 200 {
		t.Fatalf("GET /v2/ trusting our CA: %d %v", code, err)
	}
	if _, err := getV2(&http.Transport{}, s.Addr()); err == nil {
		t.Fatalf("GET /v2/ with the system roots succeeded; it must not trust a private CA")
	} else if !errors.As(err, new(*tls.CertificateVerificationError)) && !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("GET /v2/ with the system roots failed, but not on the certificate: %v", err)
	}

	ref := s.Addr() + "/e2e/keep:v1"
	want := pushRandom(t, tr, ref)

	st := runCLI(t, s.Env, "status", "--json") // exit 1 is fine: trust is not installed here
	var snap struct {
		Stack struct {
			State    string `json:"state"`
			Services []struct {
				Name, State, Health string
			} `json:"services"`
		} `json:"stack"`
	}
	if err := json.Unmarshal([]byte(st.Stdout), &snap); err != nil {
		t.Fatalf("status --json: %v\n%s", err, st)
	}
	if snap.Stack.State != "up" || len(snap.Stack.Services) != 1 || snap.Stack.Services[0].Health != "healthy" {
		t.Errorf("status stack section: %+v", snap.Stack)
	}

	res = mustCLI(t, s.Env, "down", "--no-tui")
	t.Logf("down took %v", res.Elapsed)
	if out := docker(t, "ps", "-a", "-q", "--filter", "label=com.docker.compose.project="+s.Project); out != "" {
		t.Fatalf("containers left after down: %s", out)
	}
	vol := s.Project + "_registry-data"
	if out := docker(t, "volume", "ls", "-q", "--filter", "name="+vol); out != vol {
		t.Fatalf("volume %s gone after plain down (ls: %q)", vol, out)
	}
	st = runCLI(t, s.Env, "status", "--json")
	if !strings.Contains(st.Stdout, `"state": "down"`) {
		t.Errorf("status after down: %s", st)
	}

	res = mustCLI(t, s.Env, "up", "--no-tui")
	t.Logf("up (warm) took %v", res.Elapsed)
	got, err := headDigest(tr, ref)
	if err != nil || got != want {
		t.Fatalf("after down + up, %s is %v (%v); want %v", ref, got, err, want)
	}

	res = runCLI(t, s.Env, "down", "--volumes", "--no-tui")
	if res.Code != 2 || !strings.Contains(res.Stderr, "--yes") {
		t.Fatalf("down --volumes headless without --yes must refuse (exit 2, mention --yes): %s", res)
	}
	mustCLI(t, s.Env, "down", "--volumes", "--yes", "--no-tui")
	if out := docker(t, "volume", "ls", "-q", "--filter", "name="+vol); out != "" {
		t.Fatalf("volume %s still there after down --volumes: %q", vol, out)
	}
}

// TestStackAgentWaitsForHealthyRegistry: the plan's agent pattern (§3.2B):
// a user compose file adds a service that depends_on the registry
// service_healthy and mounts ${ESB_CERT_DIR}/rootCA.crt. It starts only
// after the registry's first passing healthcheck, and can read the CA;
// `esbtui logs agent` shows what it printed.
func TestStackAgentWaitsForHealthyRegistry(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	f := filepath.Join(t.TempDir(), "agent.yaml")
	// The fixture image is the agent (it has busybox; the registry runs
	// esbtui's own image).
	os.WriteFile(f, []byte(`services:
  agent:
    image: `+s.Image+`
    entrypoint: ["/bin/busybox", "sh", "-c", "head -n 1 /usr/local/share/ca-certificates/esb-rootCA.crt; echo registry=$$CONTAINER_REGISTRY; exec /bin/busybox sleep 3600"]
    environment:
      CONTAINER_REGISTRY: ${ESB_REGISTRY}
    volumes:
      - ${ESB_CERT_DIR}/rootCA.crt:/usr/local/share/ca-certificates/esb-rootCA.crt:ro
    networks:
      - internal_network
    depends_on:
      registry:
        condition: service_healthy
`), 0o644)
	mustCLI(t, s.Env, "up", "--no-tui", "-f", f)

	var reg, agent struct {
		State struct {
			StartedAt time.Time
			Health    struct {
				Log []struct {
					Start, End time.Time
					ExitCode   int
				}
			}
		}
	}
	json.Unmarshal([]byte(docker(t, "inspect", s.Project+"-registry")), &[]any{&reg})
	json.Unmarshal([]byte(docker(t, "inspect", s.Project+"-agent-1")), &[]any{&agent})
	var firstPass time.Time
	for _, l := range reg.State.Health.Log {
		if l.ExitCode == 0 && (firstPass.IsZero() || l.End.Before(firstPass)) {
			firstPass = l.End
		}
	}
	if firstPass.IsZero() || agent.State.StartedAt.IsZero() {
		t.Fatalf("registry first passing healthcheck %v, agent started %v", firstPass, agent.State.StartedAt)
	}
	if !agent.State.StartedAt.After(firstPass) {
		t.Errorf("agent started at %v, before the registry's first passing healthcheck at %v", agent.State.StartedAt, firstPass)
	}
	logs := mustCLI(t, s.Env, "logs", "agent")
	if !strings.Contains(logs.Stdout, "-----BEGIN CERTIFICATE-----") || !strings.Contains(logs.Stdout, "registry=localhost:"+itoa(s.Port)) {
		t.Errorf("agent could not read the CA or got no ESB_REGISTRY: %s", logs)
	}
	reglogs := mustCLI(t, s.Env, "logs", "registry")
	if !strings.Contains(reglogs.Stdout, "listening on") {
		t.Errorf("esbtui logs registry: %s", reglogs)
	}
	res := runCLI(t, s.Env, "logs", "nosuch")
	if res.Code != 1 || !strings.Contains(res.Stderr, `no service "nosuch"`) || !strings.Contains(res.Stderr, "agent, registry") {
		t.Errorf("logs of an unknown service: %s", res)
	}
	mustCLI(t, s.Env, "down", "--no-tui", "-f", f)
}
