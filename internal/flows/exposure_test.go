package flows

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/registryserver"
)

// upWith runs Up with the user compose file content merged over the
// default. No engine is needed: the refusal comes before any.
func upWith(t *testing.T, e *Env, content string) error {
	t.Helper()
	f := filepath.Join(t.TempDir(), "compose.yaml")
	if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := e.Up(context.Background(), StackOptions{Files: []string{f}}, progress.Discard)
	return err
}

func exposureEnv(t *testing.T) *Env {
	t.Helper()
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	e := New(sandboxConfig(t.TempDir()))
	t.Cleanup(func() { e.Close() })
	return e
}

func TestUpRefusesComposeFileThatPublishesTheRegistry(t *testing.T) {
	e := exposureEnv(t)
	for _, ports := range []string{`"5000:5000"`, `"0.0.0.0:5000:5000"`, `"[::]:5000:5000"`, `{target: 5000, published: "5000", host_ip: 192.168.1.10}`} {
		err := upWith(t, e, "services:\n  registry:\n    ports: ["+ports+"]\n")
		var be *BindNeedsAuthError
		if !errors.As(err, &be) || be.Exposure == nil || be.Exposure.Service != "registry" {
			t.Errorf("ports %s: err = %v, want *BindNeedsAuthError for the registry", ports, err)
			continue
		}
		if !strings.Contains(err.Error(), "127.0.0.1") || !strings.Contains(err.Error(), "--auth") {
			t.Errorf("ports %s: error %q does not give the fix", ports, err)
		}
	}
	// A service that mounts the server key is the registry's TLS identity.
	err := upWith(t, e, "services:\n  proxy:\n    image: nginx\n    ports: [\"8443:443\"]\n    volumes: [\"${ESB_CERT_DIR}/server.key:/k:ro\"]\n")
	var be *BindNeedsAuthError
	if !errors.As(err, &be) || be.Exposure.Service != "proxy" || !strings.Contains(err.Error(), "server.key") {
		t.Errorf("key mount: err = %v, want *BindNeedsAuthError for proxy naming server.key", err)
	}
}

func TestUpWithAuthAllowsPublishedRegistryButNeverTheCAKey(t *testing.T) {
	e := exposureEnv(t)
	if err := os.MkdirAll(e.htpasswdDir(), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := registryserver.WriteSecret(e.passwordFile(), "pw-for-test"); err != nil {
		t.Fatal(err)
	}
	if err := registryserver.WriteHTPasswd(e.htpasswdDir(), registryserver.AuthUser, "pw-for-test"); err != nil {
		t.Fatal(err)
	}
	err := upWith(t, e, "services:\n  registry:\n    ports: [\"5000:5000\"]\n")
	if errors.As(err, new(*BindNeedsAuthError)) || err == nil || !strings.Contains(err.Error(), "esbtui init") {
		t.Errorf("with auth: err = %v, want the next step's error (no certificates: esbtui init)", err)
	}
	err = upWith(t, e, "services:\n  registry:\n    ports: [\"5000:5000\"]\n    volumes: [\"${ESB_CERT_DIR}:/all:ro\"]\n")
	var be *BindNeedsAuthError
	if !errors.As(err, &be) || !strings.Contains(err.Error(), "CA key") {
		t.Errorf("CA key reachable with auth: err = %v, want a refusal naming the CA key", err)
	}
}
