package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/registry"
)

// chartArchive is a packaged chart (what `helm package` writes): NAME/
// with its Chart.yaml.
func chartArchive(t testing.TB, name, version, appVersion string) []byte {
	t.Helper()
	chartYAML := fmt.Sprintf("apiVersion: v2\nname: %s\nversion: %s\nappVersion: %q\ndescription: an esbtui e2e chart\ntype: application\n", name, version, appVersion)
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for path, body := range map[string]string{
		name + "/Chart.yaml":               chartYAML,
		name + "/values.yaml":              "replicas: 1\n",
		name + "/templates/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n",
	} {
		if err := tw.WriteHeader(&tar.Header{Name: path, Mode: 0o644, Size: int64(len(body)), ModTime: time.Unix(0, 0)}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// helmPush pushes chart NAME VERSION to oci://<stack>/charts/NAME:VERSION
// through Helm's own registry client (what `helm push` runs), trusting the
// stack's CA.
func helmPush(t testing.TB, s *testStack, name, version, appVersion string, created time.Time) {
	t.Helper()
	pem, err := os.ReadFile(s.CACert())
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	// Helm reads docker's credentials too: an empty config of the test's own.
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}}}
	c, err := registry.NewClient(registry.ClientOptHTTPClient(hc), registry.ClientOptCredentialsFile(filepath.Join(t.TempDir(), "registry.json")))
	if err != nil {
		t.Fatal(err)
	}
	ref := fmt.Sprintf("%s/charts/%s:%s", s.Addr(), name, version)
	res, err := c.Push(chartArchive(t, name, version, appVersion), ref, registry.PushOptCreationTime(created.UTC().Format(time.RFC3339)))
	if err != nil {
		t.Fatalf("helm push oci://%s: %v", ref, err)
	}
	if res.Chart == nil || res.Chart.Meta == nil || res.Chart.Meta.Version != version {
		t.Fatalf("helm push oci://%s: %+v", ref, res)
	}
}
