package e2e

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// containerTrustCompose is the user's compose file of the container-trust
// test: Debian (read_only) and FROM-scratch Go services opted in (esb.yaml
// and the label; the Go one sets a variable of its own), one opted in that
// hides the system bundle under its own tmpfs and points curl there, the same images not opted in, and the plan's variant (the CA in
// /usr/local/share/ca-certificates + update-ca-certificates). The registry
// gets the alias esb-registry (a name in its certificate) on the network.
const containerTrustCompose = `services:
  registry:
    networks:
      internal_network:
        aliases: [esb-registry]
  deb:
    image: %[1]s
    read_only: true
    networks: [internal_network]
  gocli:
    image: %[2]s
    labels:
      esb.trust: "true"
    environment:
      NODE_EXTRA_CA_CERTS: /mine.pem
    networks: [internal_network]
  plaindeb:
    image: %[1]s
    networks: [internal_network]
  plaingo:
    image: %[2]s
    networks: [internal_network]
  shadowed:
    image: %[1]s
    labels:
      esb.trust: "true"
    environment:
      CURL_CA_BUNDLE: /etc/ssl/certs/ca-certificates.crt
    volumes:
      - type: tmpfs
        target: /etc/ssl/certs
    networks: [internal_network]
  plan:
    image: %[1]s
    command: ["sh", "-c", "update-ca-certificates >/dev/null && touch /tmp/ready && exec sleep infinity"]
    volumes:
      - ${ESB_CERT_DIR}/rootCA.crt:/usr/local/share/ca-certificates/esbtui-rootCA.crt:ro
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 1s
      retries: 60
    networks: [internal_network]
`

const registryV2 = "https://esb-registry:5000/v2/"

// containerTrustStack brings up a stack with containerTrustCompose and
// esb.yaml opting in "deb".
func containerTrustStack(t *testing.T) *testStack {
	t.Helper()
	deb, gocli := debianImage(t), goClientImage(t)
	s := newStack(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(fmt.Sprintf(containerTrustCompose, deb, gocli)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "esb.yaml"), []byte("compose: [compose.yaml]\ntrust:\n  containers: [deb]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.Env = append(s.Env, "ESB_PROJECT_FILE="+filepath.Join(dir, "esb.yaml"))
	res := mustCLI(t, s.Env, "up", "--no-tui")
	if !strings.Contains(res.Stdout+res.Stderr, "deb, gocli, shadowed trust esbtui's CA") {
		t.Errorf("up does not say which services trust the CA:\n%s", res)
	}
	if !strings.Contains(res.Stdout+res.Stderr, "service gocli: NODE_EXTRA_CA_CERTS is already set in its environment, esbtui leaves it") {
		t.Errorf("up does not warn that gocli sets NODE_EXTRA_CA_CERTS itself:\n%s", res)
	}
	if !strings.Contains(res.Stdout+res.Stderr, "service shadowed: its own tmpfs mount at /etc/ssl/certs covers /etc/ssl/certs/ca-certificates.crt") {
		t.Errorf("up does not warn that shadowed's tmpfs hides the bundle:\n%s", res)
	}
	return s
}

// serviceContainer is the container ID of service in s's project.
func (s *testStack) serviceContainer(t *testing.T, service string) string {
	t.Helper()
	out, err := s.dockerCmd("ps", "-q", "--filter", "label=com.docker.compose.project="+s.Project, "--filter", "label=com.docker.compose.service="+service).Output()
	id := strings.TrimSpace(string(out))
	if err != nil || id == "" || strings.Contains(id, "\n") {
		t.Fatalf("container of service %s: %q %v", service, id, err)
	}
	return id
}

// execIn runs argv in service's container; it returns the combined output
// and the exit code.
func (s *testStack) execIn(t *testing.T, service string, env []string, argv ...string) (string, int) {
	t.Helper()
	args := []string{"exec"}
	for _, e := range env {
		args = append(args, "-e", e)
	}
	args = append(append(args, s.serviceContainer(t, service)), argv...)
	out, err := s.dockerCmd(args...).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	} else if err != nil {
		t.Fatalf("docker %v: %v", args, err)
	}
	return string(out), 0
}

var (
	curlArgv   = []string{"curl", "-sS", "-o", "/dev/null", "--max-time", "15", registryV2}
	pythonArgv = []string{"python3", "-c", "import urllib.request, sys; print(urllib.request.urlopen(sys.argv[1], timeout=15).status)", registryV2}
	goArgv     = []string{"/tlsget", registryV2}
	// requests in Debian reads the system bundle, and so does Debian's node
	// (built to use OpenSSL's store); with --use-bundled-ca node has only
	// its own store and trusts the CA through NODE_EXTRA_CA_CERTS alone.
	requestsArgv = []string{"python3", "-c", "import requests, sys; print(requests.get(sys.argv[1], timeout=15).status_code)", registryV2}
	nodeScript   = `require("https").get(process.argv[1], r => process.exit(0)).on("error", e => { console.error(e.code, e.message); process.exit(1) })`
	nodeArgv     = []string{"node", "-e", nodeScript, registryV2}
	nodeOwnArgv  = []string{"node", "--use-bundled-ca", "-e", nodeScript, registryV2}
	// caNames lists the common names of the CA certificates OpenSSL loads
	// by default (what Python's default context sees).
	caNamesArgv = []string{"python3", "-c", "import ssl; c = ssl.create_default_context(); print('\\n'.join(dict(x[0] for x in s['subject']).get('commonName', '') for s in c.get_ca_certs()))"}
)

// TestContainerTrustServices: with no change to the images or their
// commands, curl, Python's urllib and requests, Node and a static Go
// client in opted-in
// services verify the stack's registry over the compose network; the same
// images not opted in refuse it; the plan's update-ca-certificates variant
// works; the opted-in bundle still holds the public roots.
func TestContainerTrustServices(t *testing.T) {
	t.Parallel()
	s := containerTrustStack(t)
	caCN := caCommonName(t, s.CACert())

	for _, tc := range []struct {
		service string
		env     []string
		argv    []string
		trusts  bool
		refusal string
	}{
		{"deb", nil, curlArgv, true, ""},
		{"deb", nil, pythonArgv, true, ""},
		{"deb", nil, requestsArgv, true, ""},
		{"deb", nil, nodeArgv, true, ""},
		{"deb", nil, nodeOwnArgv, true, ""},
		// Node's own store without NODE_EXTRA_CA_CERTS does not hold the CA.
		{"deb", []string{"NODE_EXTRA_CA_CERTS="}, nodeOwnArgv, false, "UNABLE_TO_VERIFY_LEAF_SIGNATURE"},
		// Without the variables: the system bundle path alone.
		{"deb", []string{"CURL_CA_BUNDLE=", "SSL_CERT_FILE="}, curlArgv, true, ""},
		{"gocli", nil, goArgv, true, ""},
		{"gocli", []string{"SSL_CERT_FILE="}, goArgv, true, ""},
		// Through the Alpine and RHEL links (dangling in the image).
		{"gocli", []string{"SSL_CERT_FILE=/etc/ssl/cert.pem"}, goArgv, true, ""},
		{"gocli", []string{"SSL_CERT_FILE=/etc/pki/tls/certs/ca-bundle.crt"}, goArgv, true, ""},
		{"gocli", []string{"SSL_CERT_FILE=/etc/pki/tls/cert.pem"}, goArgv, true, ""},
		{"plan", nil, curlArgv, true, ""},
		{"plan", nil, pythonArgv, true, ""},
		{"plaindeb", nil, curlArgv, false, "certificate"},
		{"plaindeb", nil, pythonArgv, false, "CERTIFICATE_VERIFY_FAILED"},
		{"plaindeb", nil, requestsArgv, false, "CERTIFICATE_VERIFY_FAILED"},
		{"plaindeb", nil, nodeArgv, false, "UNABLE_TO_VERIFY_LEAF_SIGNATURE"},
		{"plaingo", nil, goArgv, false, "x509:"},
	} {
		out, code := s.execIn(t, tc.service, tc.env, tc.argv...)
		switch {
		case tc.trusts && code != 0:
			t.Errorf("%s %v %v: exit %d, want it to verify the registry:\n%s", tc.service, tc.env, tc.argv[0], code, out)
		case !tc.trusts && (code == 0 || !strings.Contains(out, tc.refusal)):
			t.Errorf("%s %v %v: exit %d, want a refusal naming %q:\n%s", tc.service, tc.env, tc.argv[0], code, tc.refusal, out)
		}
	}

	// The opted-in bundle is a superset: public roots (ISRG Root X1) and
	// the CA; the plain image has the public roots only.
	out, code := s.execIn(t, "deb", nil, caNamesArgv...)
	if code != 0 || !strings.Contains(out, "ISRG Root X1") || !strings.Contains(out, caCN) {
		t.Errorf("deb's default CA list lacks ISRG Root X1 or esbtui's CA %q (exit %d):\n%.600s", caCN, code, out)
	}
	out, code = s.execIn(t, "plaindeb", nil, caNamesArgv...)
	if code != 0 || !strings.Contains(out, "ISRG Root X1") || strings.Contains(out, caCN) {
		t.Errorf("plaindeb's default CA list: want ISRG Root X1 and not esbtui's CA (exit %d):\n%.600s", code, out)
	}
	// The variables are set in opted-in services only.
	if out, _ := s.execIn(t, "deb", nil, "sh", "-c", "echo $NODE_EXTRA_CA_CERTS $JAVA_TOOL_OPTIONS"); !strings.Contains(out, "/etc/esbtui/ca-bundle.pem -Djavax.net.ssl.trustStore=/etc/esbtui/ca-truststore.p12") {
		t.Errorf("deb's variables: %q", out)
	}
	if out, _ := s.execIn(t, "plaindeb", nil, "sh", "-c", "echo x${NODE_EXTRA_CA_CERTS}${SSL_CERT_FILE}x"); strings.TrimSpace(out) != "xx" {
		t.Errorf("plaindeb got variables: %q", out)
	}

	// status (and the dashboard's Services pane) shows which containers
	// carry the bundle: its SHA-256 from the esb.trust.bundle label.
	res := runCLI(t, s.Env, "status", "--json") // exit 1: the host stores do not trust the CA (init --skip-trust)
	var st struct {
		Stack struct {
			Services []struct {
				Name        string
				TrustBundle string `json:"trust_bundle"`
			}
		}
	}
	if err := json.Unmarshal([]byte(res.Stdout), &st); err != nil {
		t.Fatalf("%v\n%s", err, res)
	}
	bundle, err := os.ReadFile(filepath.Join(s.Home, "trust", "ca-bundle.pem"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(bundle)
	for _, svc := range st.Stack.Services {
		want := ""
		if svc.Name == "deb" || svc.Name == "gocli" || svc.Name == "shadowed" {
			want = hex.EncodeToString(sum[:])
		}
		if svc.TrustBundle != want {
			t.Errorf("status: %s trust_bundle %q, want %q", svc.Name, svc.TrustBundle, want)
		}
	}
}

// TestTrustContainersReports: `esbtui trust containers` finds, from inside
// each container, which services trust the CA — with curl where the image
// has it, by reading the bundle out of a FROM-scratch image — and exits 1
// because one opted-in service (shadowed) does not; doctor names it.
func TestTrustContainersReports(t *testing.T) {
	t.Parallel()
	s := containerTrustStack(t)
	res := runCLI(t, s.Env, "trust", "containers", "--json")
	if res.Code != 1 {
		t.Errorf("exit %d, want 1 (shadowed opted in and does not trust the CA):\n%s", res.Code, res)
	}
	var rep struct {
		Services []struct {
			Service, Method, Detail string
			OptedIn                 bool `json:"opted_in"`
			Trusted                 bool
		}
	}
	if err := json.Unmarshal([]byte(res.Stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, res)
	}
	want := map[string]struct {
		opted, trusted bool
		method, detail string
	}{
		"deb":      {true, true, "curl", "curl in the container verified https://esb-registry:5000/v2/"},
		"gocli":    {true, true, "bundle", "/etc/ssl/certs/ca-certificates.crt holds esbtui's CA"},
		"plaindeb": {false, false, "curl", "curl in the container refused https://esb-registry:5000/v2/"},
		"plaingo":  {false, false, "", "no system CA bundle in the container"},
		"plan":     {false, true, "curl", "curl in the container verified"},
		"shadowed": {true, false, "curl", "curl: (77)"},
	}
	seen := 0
	for _, got := range rep.Services {
		w, ok := want[got.Service]
		if !ok {
			continue
		}
		seen++
		if got.OptedIn != w.opted || got.Trusted != w.trusted || got.Method != w.method || !strings.Contains(got.Detail, w.detail) {
			t.Errorf("%s: %+v, want %+v", got.Service, got, w)
		}
	}
	if seen != len(want) {
		t.Errorf("reported %d of the %d services:\n%s", seen, len(want), res.Stdout)
	}
	text := runCLI(t, s.Env, "trust", "containers")
	t.Logf("esbtui trust containers:\n%s", text.Stdout)
	if !strings.Contains(text.Stdout, "SERVICE") || !strings.Contains(text.Stdout, "plaindeb") {
		t.Errorf("text output:\n%s", text)
	}

	doc := runCLI(t, s.Env, "doctor", "--json")
	var d struct {
		Checks []struct{ Name, Status, Why, Fix string }
	}
	if err := json.Unmarshal([]byte(doc.Stdout), &d); err != nil {
		t.Fatalf("%v\n%s", err, doc)
	}
	found := false
	for _, c := range d.Checks {
		if c.Name == "containers trust the CA" {
			found = true
			if c.Status != "fail" || !strings.HasPrefix(c.Why, "shadowed: curl in the container refused") || !strings.Contains(c.Fix, "esbtui trust containers") {
				t.Errorf("doctor's container link: %+v", c)
			}
		}
	}
	if !found || doc.Code != 3 {
		t.Errorf("doctor (exit %d) has no failing container link:\n%s", doc.Code, doc.Stdout)
	}
}

// caCommonName is the CN of the CA certificate at path.
func caCommonName(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(data)
	if b == nil {
		t.Fatalf("%s: no PEM", path)
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c.Subject.CommonName
}
