package stack

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

const trustCompose = `services:
  api:
    image: api
    read_only: true
    labels:
      esb.trust: "true"
    environment:
      SSL_CERT_FILE: /mine.pem
  worker:
    image: worker
    volumes:
      - certs:/etc/ssl/certs
  plain:
    image: plain
    environment:
      A: b
volumes:
  certs:
`

func loadTrustProject(t *testing.T, compose string) *Project {
	t.Helper()
	dir := t.TempDir()
	f := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(f, []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := LoadProject(context.Background(), ProjectOptions{Name: "esbtest", DefaultDir: filepath.Join(dir, "stack"), Files: []string{f}, Env: testEnv(dir)})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var testTrust = ContainerTrust{BundlePEM: "/h/trust/ca-bundle.pem", TrustStore: "/h/trust/ca-truststore.p12", BundleSHA256: "abc", TrustStorePassword: "changeit"}

// TestContainerTrustOptedInOnly: over the default project and a user file
// (compose-go loading), the services opted in by label or esb.yaml get
// exactly the bundle mounts (read-only binds), the variables and the bundle
// label; what the user set is kept and warned about; the other services
// are unchanged.
func TestContainerTrustOptedInOnly(t *testing.T) {
	p := loadTrustProject(t, trustCompose)
	before := map[string]types.ServiceConfig{}
	beforeJSON := map[string]string{}
	for name, svc := range p.Compose().Services {
		before[name] = svc
		b, err := json.Marshal(svc)
		if err != nil {
			t.Fatal(err)
		}
		beforeJSON[name] = string(b)
	}
	svcs, err := p.TrustedServices(false, []string{"worker"}, "esb.yaml:3")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(svcs, []string{"api", "worker"}) {
		t.Fatalf("opted in: %v, want [api worker]", svcs)
	}
	warnings, err := p.AddContainerTrust(svcs, testTrust)
	if err != nil {
		t.Fatal(err)
	}

	wantMounts := map[string]string{
		"/etc/ssl/certs/ca-certificates.crt":                testTrust.BundlePEM,
		"/etc/ssl/cert.pem":                                 testTrust.BundlePEM,
		"/etc/pki/tls/certs/ca-bundle.crt":                  testTrust.BundlePEM,
		"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem": testTrust.BundlePEM,
		"/etc/esbtui/ca-bundle.pem":                         testTrust.BundlePEM,
		"/etc/esbtui/ca-truststore.p12":                     testTrust.TrustStore,
	}
	wantEnv := map[string]string{
		"NODE_EXTRA_CA_CERTS": "/etc/esbtui/ca-bundle.pem",
		"REQUESTS_CA_BUNDLE":  "/etc/esbtui/ca-bundle.pem",
		"SSL_CERT_FILE":       "/etc/esbtui/ca-bundle.pem",
		"CURL_CA_BUNDLE":      "/etc/esbtui/ca-bundle.pem",
		"JAVA_TOOL_OPTIONS":   "-Djavax.net.ssl.trustStore=/etc/esbtui/ca-truststore.p12 -Djavax.net.ssl.trustStoreType=PKCS12 -Djavax.net.ssl.trustStorePassword=changeit",
	}
	added := func(name string) (map[string]string, map[string]string) {
		t.Helper()
		got, old := p.Compose().Services[name], before[name]
		mounts := map[string]string{}
		for _, v := range got.Volumes[len(old.Volumes):] {
			if v.Type != types.VolumeTypeBind || !v.ReadOnly || v.Bind == nil || bool(v.Bind.CreateHostPath) {
				t.Errorf("%s: mount %+v is not a read-only bind that never creates its source", name, v)
			}
			mounts[v.Target] = v.Source
		}
		env := map[string]string{}
		for k, v := range got.Environment {
			if _, had := old.Environment[k]; !had {
				env[k] = *v
			}
		}
		if got.Labels[TrustBundleLabel] != "abc" {
			t.Errorf("%s: label %s = %q", name, TrustBundleLabel, got.Labels[TrustBundleLabel])
		}
		if !got.ReadOnly && name == "api" {
			t.Error("api lost read_only")
		}
		return mounts, env
	}

	// api: every mount, every variable but the SSL_CERT_FILE it set.
	mounts, env := added("api")
	if !reflect.DeepEqual(mounts, wantMounts) {
		t.Errorf("api mounts %v\nwant %v", mounts, wantMounts)
	}
	apiEnv := map[string]string{}
	for k, v := range wantEnv {
		if k != "SSL_CERT_FILE" {
			apiEnv[k] = v
		}
	}
	if !reflect.DeepEqual(env, apiEnv) {
		t.Errorf("api env %v\nwant %v", env, apiEnv)
	}
	if v := p.Compose().Services["api"].Environment["SSL_CERT_FILE"]; v == nil || *v != "/mine.pem" {
		t.Errorf("api's own SSL_CERT_FILE was changed: %v", v)
	}

	// worker: its volume at /etc/ssl/certs keeps ca-certificates.crt out.
	mounts, env = added("worker")
	wm := map[string]string{}
	for k, v := range wantMounts {
		if k != "/etc/ssl/certs/ca-certificates.crt" {
			wm[k] = v
		}
	}
	if !reflect.DeepEqual(mounts, wm) || !reflect.DeepEqual(env, wantEnv) {
		t.Errorf("worker mounts %v env %v", mounts, env)
	}

	sort.Strings(warnings)
	if len(warnings) != 2 ||
		!strings.Contains(warnings[0], "service api: SSL_CERT_FILE is already set") || strings.Contains(warnings[0], "/mine.pem") ||
		!strings.Contains(warnings[1], "service worker: its own volume mount at /etc/ssl/certs covers /etc/ssl/certs/ca-certificates.crt") {
		t.Errorf("warnings: %q", warnings)
	}

	// plain and the registry: nothing added.
	for _, name := range []string{"plain", RegistryService} {
		after, _ := json.Marshal(p.Compose().Services[name])
		if string(after) != beforeJSON[name] {
			t.Errorf("%s changed:\n%s\nwas\n%s", name, after, beforeJSON[name])
		}
	}
}

func TestTrustedServices(t *testing.T) {
	p := loadTrustProject(t, trustCompose)
	all, err := p.TrustedServices(true, nil, "esb.yaml:2")
	if err != nil || !reflect.DeepEqual(all, []string{"api", "plain", "registry", "worker"}) {
		t.Errorf("all: %v %v", all, err)
	}
	none, err := loadTrustProject(t, strings.Replace(trustCompose, `esb.trust: "true"`, `esb.trust: "false"`, 1)).TrustedServices(false, nil, "")
	if err != nil || len(none) != 0 {
		t.Errorf("no opt-in: %v %v", none, err)
	}
	_, err = p.TrustedServices(false, []string{"wroker"}, "/p/esb.yaml:3")
	var ue *UnknownTrustServiceError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), `/p/esb.yaml:3: trust.containers names "wroker"`) || !strings.Contains(err.Error(), "api, plain, registry, worker") {
		t.Errorf("unknown service: %v", err)
	}
	_, err = loadTrustProject(t, strings.Replace(trustCompose, `esb.trust: "true"`, `esb.trust: "yes"`, 1)).TrustedServices(false, nil, "")
	if err == nil || !strings.Contains(err.Error(), `service api: label esb.trust is "yes"`) {
		t.Errorf("bad label: %v", err)
	}
}
