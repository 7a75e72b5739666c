package e2e

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/notaryproject/notation-core-go/signature/jws"
	"github.com/notaryproject/notation-go"
	notationregistry "github.com/notaryproject/notation-go/registry"
	"github.com/notaryproject/notation-go/signer"
	orasremote "oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"

	"github.com/esbtui/esbtui/pki"
)

// signedOut is `esbtui sign|verify --json` (the fields the tests read).
type signedOut struct {
	Ref         string `json:"ref"`
	Digest      string `json:"digest"`
	Signature   string `json:"signature"`
	Signer      string `json:"signer"`
	Fingerprint string `json:"certificate_sha256"`
	SignedAt    string `json:"signed_at"`
}

func decodeSigned(t *testing.T, what, stdout string) signedOut {
	t.Helper()
	var o signedOut
	if err := json.Unmarshal([]byte(stdout), &o); err != nil {
		t.Fatalf("%s --json: %v\n%s", what, err, stdout)
	}
	return o
}

// randomImage pushes a small random image to ref and returns its digest.
func randomImage(t *testing.T, tr http.RoundTripper, ref string) string {
	t.Helper()
	img, err := random.Image(1<<12, 1)
	if err != nil {
		t.Fatal(err)
	}
	writeImage(t, tr, ref, img)
	d, _ := img.Digest()
	return d.String()
}

// mustFail runs esbtui and wants a failure whose output holds every want.
func mustFail(t *testing.T, env []string, want []string, args ...string) cliResult {
	t.Helper()
	res := runCLI(t, env, args...)
	if res.Code == 0 {
		t.Fatalf("esbtui %s succeeded, want a failure: %s", strings.Join(args, " "), res)
	}
	for _, w := range want {
		if !strings.Contains(res.Stderr+res.Stdout, w) {
			t.Fatalf("esbtui %s: output does not say %q: %s", strings.Join(args, " "), w, res)
		}
	}
	return res
}

// TestSignAndVerifyOnTheStack: on the stack's registry (esbtui's image,
// referrers API) push --sign → verify names the signer, time, certificate
// and digest; pull --verify loads it; build --sign signs what it pushed;
// the audit log has it. Then each way to fail: a re-pushed tag, an
// unsigned image (pull --verify and esb.yaml verify: required for pull and
// a build's base image), a signature from another CA, an expired signing
// certificate and a signature for another digest. The notation CLI
// verifies esbtui's signature and esbtui verifies one `notation sign` made.
func TestSignAndVerifyOnTheStack(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	mustCLI(t, s.Env, "up", "--no-tui")
	signCases(t, s, true)
}

// TestSignAndVerifyOnPlainRegistry: the same core path on the registry:3
// like fixture, which has no referrers API: the signature goes through the
// OCI 1.1 tag-schema fallback (a sha256-<digest> tag) and verifies.
func TestSignAndVerifyOnPlainRegistry(t *testing.T) {
	t.Parallel()
	s := newStackWith(t, nil, registryImage(t))
	mustCLI(t, s.Env, "up", "--no-tui")
	signCases(t, s, false)
}

func signCases(t *testing.T, s *testStack, full bool) {
	tr := caTransport(t, s.CACert())
	app := s.Addr() + "/e2e/app:v1"

	// push --sign, then verify: who, when, which certificate, what digest.
	res := mustCLI(t, s.Env, "push", s.Image, "--to", app, "--sign", "--json")
	var pushed struct {
		Digest    string    `json:"digest"`
		Signature signedOut `json:"signature"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &pushed); err != nil {
		t.Fatalf("push --sign --json: %v\n%s", err, res.Stdout)
	}
	if pushed.Signature.Digest != pushed.Digest || !strings.HasPrefix(pushed.Signature.Signature, "sha256:") {
		t.Fatalf("push --sign: signature %+v for push digest %s", pushed.Signature, pushed.Digest)
	}
	signingCert, err := pki.ParseCertPEM(mustRead(t, filepath.Join(s.Home, "certs", pki.SigningCertFile)))
	if err != nil {
		t.Fatal(err)
	}
	v := decodeSigned(t, "verify", mustCLI(t, s.Env, "verify", app, "--json").Stdout)
	if v.Digest != pushed.Digest || !strings.Contains(v.Signer, "esbtui signing") || v.Fingerprint != pki.Fingerprint(signingCert) || v.SignedAt == "" {
		t.Fatalf("verify: %+v, want digest %s signed by esbtui's signing cert %s", v, pushed.Digest, pki.Fingerprint(signingCert))
	}
	text := mustCLI(t, s.Env, "verify", app, "--no-tui").Stdout
	for _, w := range []string{"✓ verified " + app, "signed by", "signed at", "certificate  sha256 " + v.Fingerprint, pushed.Digest} {
		if !strings.Contains(text, w) {
			t.Fatalf("verify output lacks %q:\n%s", w, text)
		}
	}
	if !full {
		if tags := listTagsHTTP(t, tr, s.Addr(), "e2e/app"); !hasTag(tags, "sha256-"+strings.TrimPrefix(pushed.Digest, "sha256:")) {
			t.Fatalf("plain registry: tags %v lack the referrers fallback tag of %s", tags, pushed.Digest)
		}
		randomImage(t, tr, app)
		mustFail(t, s.Env, []string{"has no signature"}, "verify", app)
		return
	}

	// pull --verify of the signed image loads it.
	res = mustCLI(t, s.Env, "pull", app, "--verify", "--json")
	defer s.dockerCmd("rmi", "-f", app).Run()
	var pulled struct {
		Digest   string     `json:"digest"`
		Verified *signedOut `json:"verified"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &pulled); err != nil || pulled.Verified == nil || pulled.Verified.Digest != pushed.Digest {
		t.Fatalf("pull --verify --json: %v %+v\n%s", err, pulled, res.Stdout)
	}

	// The audit log records signing and verification.
	audit := string(mustRead(t, filepath.Join(s.Home, "audit.jsonl")))
	for _, a := range []string{`"action":"image.signed"`, `"action":"image.verified"`, `"action":"signing_cert.issued"`} {
		if !strings.Contains(audit, a) {
			t.Errorf("audit log lacks %s", a)
		}
	}

	// Tamper: another image pushed under the signed tag.
	other := randomImage(t, tr, app)
	res = mustFail(t, s.Env, []string{"has no signature", other, "tag now points at other content"}, "verify", app, "--json")
	if !hasEvent(parseEvents(t, res.Stderr), "verify", "failed", "has no signature") {
		t.Fatalf("verify --json: no verify/failed event in\n%s", res.Stderr)
	}

	// Unsigned: pull --verify and verify: required refuse it, nothing loaded.
	unsigned := s.Addr() + "/e2e/unsigned:v1"
	randomImage(t, tr, unsigned)
	mustFail(t, s.Env, []string{"refused", "has no signature"}, "pull", unsigned, "--verify")
	if s.dockerCmd("image", "inspect", unsigned).Run() == nil {
		t.Fatal("pull --verify refused the image but it is in the engine")
	}
	esbYAML := filepath.Join(t.TempDir(), "esb.yaml")
	if err := os.WriteFile(esbYAML, []byte("verify: required\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	required := s.With("ESB_PROJECT_FILE=" + esbYAML)
	mustFail(t, required, []string{"refused", "has no signature"}, "pull", unsigned)
	fnRoot := t.TempDir()
	fnDir := filepath.Join(fnRoot, "functions", "based")
	os.MkdirAll(fnDir, 0o755)
	os.WriteFile(filepath.Join(fnDir, "Dockerfile"), []byte("FROM "+unsigned+" AS base\nFROM base\n"), 0o644)
	mustFail(t, required, []string{"refused: base image " + unsigned, "has no signature"}, "build", "based", "--dir", fnRoot)

	// With verify: required the doctor's probe is signed and pulled back
	// verified.
	// (The CA trusted in a sandboxed Debian store, as the doctor test
	// does, so the links before the probe pass.)
	doctorEnv := append(required, "ESB_TRUST_ROOT="+trustSandbox(t))
	mustCLI(t, doctorEnv, "trust", "install", "--yes", "--no-tui")
	probe := ""
	doc, _ := runDoctor(t, doctorEnv)
	for _, c := range doc.Checks {
		if c.Name == "probe push → pull → run" {
			probe = c.Status + ": " + c.Why
		}
	}
	if !strings.HasPrefix(probe, "ok: ") || !strings.Contains(probe, "signature verified") {
		t.Fatalf("doctor with verify: required: probe %q, want ok with its signature verified", probe)
	}

	// build --sign signs what it pushed.
	root := helloFunction(t, "signed hello")
	res = mustCLI(t, s.Env, "build", "hello", "--dir", root, "--sign", "--json")
	defer s.dockerCmd("rmi", "-f", s.Addr()+"/hello:latest").Run()
	var built []struct {
		Push      struct{ Digest string } `json:"push"`
		Signature *signedOut              `json:"signature"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &built); err != nil || len(built) != 1 || built[0].Signature == nil || built[0].Signature.Digest != built[0].Push.Digest {
		t.Fatalf("build --sign --json: %v\n%s", err, res.Stdout)
	}
	mustCLI(t, required, "verify", s.Addr()+"/hello:latest")
	// The progress events the dashboard's Log pane renders say so.
	if !hasEvent(parseEvents(t, res.Stderr), "sign", "done", "signed "+s.Addr()+"/hello@"+built[0].Push.Digest) {
		t.Fatalf("build --sign: no sign/done event in\n%s", res.Stderr)
	}
	// Built and pushed again unchanged: already signed, not signed again.
	res = mustCLI(t, s.Env, "build", "hello", "--dir", root, "--sign", "--json")
	var again []struct {
		Signature struct {
			Digest   string `json:"digest"`
			Existing bool   `json:"existing"`
		} `json:"signature"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &again); err != nil || len(again) != 1 || !again[0].Signature.Existing || again[0].Signature.Digest != built[0].Push.Digest {
		t.Fatalf("second build --sign: %v\n%s", err, res.Stdout)
	}
	if n := referrerCount(t, tr, s.Addr(), "hello", built[0].Push.Digest); n != 1 {
		t.Fatalf("after two builds of the same image: %d signatures, want 1", n)
	}

	// Signatures esbtui must reject, made here with notation-go.
	caCert, caKey := loadStackCA(t, s)
	ctx := context.Background()

	otherCA, otherKey := newForeignRootCA(t)
	k, c := issueCodeSigning(t, otherCA, otherKey, time.Now().Add(24*time.Hour), "other CA signer")
	ref := s.Addr() + "/e2e/otherca:v1"
	randomImage(t, tr, ref)
	signWith(t, ctx, tr, ref, k, []*x509.Certificate{c, otherCA})
	mustFail(t, s.Env, []string{"no signature verifies against esbtui's CA", "does not chain to esbtui's rootCA.crt"}, "verify", ref)

	k, c = issueCodeSigning(t, caCert, caKey, time.Now().Add(3*time.Second), "short-lived signer")
	ref = s.Addr() + "/e2e/expired:v1"
	randomImage(t, tr, ref)
	signWith(t, ctx, tr, ref, k, []*x509.Certificate{c, caCert})
	for deadline := time.Now().Add(30 * time.Second); ; {
		res := runCLI(t, s.Env, "verify", ref)
		if res.Code != 0 {
			if !strings.Contains(res.Stderr, "expired") {
				t.Fatalf("expired signing certificate: failed for another reason: %s", res)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a signature whose certificate expired still verifies")
		}
		time.Sleep(500 * time.Millisecond)
	}

	k, c = issueCodeSigning(t, caCert, caKey, time.Now().Add(24*time.Hour), "wrong digest signer")
	target := s.Addr() + "/e2e/wrongdigest:v1"
	randomImage(t, tr, target)
	decoy := s.Addr() + "/e2e/wrongdigest:decoy"
	randomImage(t, tr, decoy)
	signOtherDigest(t, ctx, tr, target, "decoy", k, []*x509.Certificate{c, caCert})
	mustFail(t, s.Env, []string{"no signature verifies", "content descriptor mismatch", "the signature is for another image digest"}, "verify", target)

	// Interop with the notation CLI, both ways.
	notationInterop(t, s, tr, caCert, caKey, pushed.Digest)
}

// notationInterop: `notation verify` accepts esbtui's signature with
// rootCA.crt as its trust store (and rejects an unsigned image), and
// `esbtui verify` accepts a signature `notation sign` made with a key and
// certificate from the same CA.
func notationInterop(t *testing.T, s *testStack, tr http.RoundTripper, caCert *x509.Certificate, caKey crypto.Signer, signedDigest string) {
	bin := notationBin(t)
	// notation treats a registry named localhost as plain HTTP: 127.0.0.1
	// is the same registry over TLS (the server certificate names it).
	host := "127.0.0.1:" + itoa(s.Port)
	cfg := t.TempDir()
	store := filepath.Join(cfg, "notation", "truststore", "x509", "ca", "esbtui")
	os.MkdirAll(store, 0o700)
	os.WriteFile(filepath.Join(store, "rootCA.crt"), mustRead(t, s.CACert()), 0o600)
	policy := `{"version":"1.0","trustPolicies":[{"name":"esbtui","registryScopes":["` + host + `/e2e/app","` + host + `/e2e/unsigned","` + host + `/e2e/bynotation"],"signatureVerification":{"level":"strict"},"trustStores":["ca:esbtui"],"trustedIdentities":["*"]}]}`
	os.WriteFile(filepath.Join(cfg, "notation", "trustpolicy.json"), []byte(policy), 0o600)
	k, c := issueCodeSigning(t, caCert, caKey, time.Now().Add(24*time.Hour), "notation interop signer")
	keyDER, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	keyFile, certFile := filepath.Join(cfg, "sign.key"), filepath.Join(cfg, "sign.crt")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	chain := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caCert.Raw})...)
	os.WriteFile(certFile, chain, 0o600)
	keys := `{"default":"interop","keys":[{"name":"interop","keyPath":"` + keyFile + `","certPath":"` + certFile + `"}]}`
	os.WriteFile(filepath.Join(cfg, "notation", "signingkeys.json"), []byte(keys), 0o600)
	run := func(args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + cfg, "XDG_CONFIG_HOME=" + cfg, "SSL_CERT_FILE=" + s.CACert()}
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	// The app tag was re-pushed above; its signed digest still is signed.
	if out, err := run("verify", host+"/e2e/app@"+signedDigest); err != nil || !strings.Contains(out, "Successfully verified") {
		t.Fatalf("notation verify of esbtui's signature: %v\n%s", err, out)
	}
	if out, err := run("verify", host+"/e2e/unsigned:v1"); err == nil {
		t.Fatalf("notation verify accepts an unsigned image: the check proves nothing\n%s", out)
	}

	ref := host + "/e2e/bynotation:v1"
	dig := randomImage(t, tr, ref)
	if out, err := run("sign", host+"/e2e/bynotation@"+dig); err != nil {
		t.Fatalf("notation sign: %v\n%s", err, out)
	}
	v := decodeSigned(t, "verify", mustCLI(t, s.Env, "verify", ref, "--json").Stdout)
	if v.Digest != dig || !strings.Contains(v.Signer, "notation interop signer") || v.Fingerprint != pki.Fingerprint(c) {
		t.Fatalf("esbtui verify of notation's signature: %+v, want digest %s signed by the interop cert", v, dig)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// loadStackCA reads the stack's root CA and key (the test plays a second
// signer from the same CA).
func loadStackCA(t *testing.T, s *testStack) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	c, err := pki.ParseCertPEM(mustRead(t, s.CACert()))
	if err != nil {
		t.Fatal(err)
	}
	k, err := pki.ParseKeyPEM(mustRead(t, filepath.Join(s.Home, "certs", pki.CAKeyFile)))
	if err != nil {
		t.Fatal(err)
	}
	return c, k
}

func serial(t *testing.T) *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 100))
	if err != nil {
		t.Fatal(err)
	}
	return n.Add(n, big.NewInt(1))
}

// newForeignRootCA is a root CA that is not esbtui's.
func newForeignRootCA(t *testing.T) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tpl := &x509.Certificate{
		SerialNumber: serial(t), Subject: pkix.Name{CommonName: "some other CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(48 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c, key
}

// issueCodeSigning makes a Notary-profile signing certificate under ca.
func issueCodeSigning(t *testing.T, ca *x509.Certificate, caKey crypto.Signer, notAfter time.Time, cn string) (*ecdsa.PrivateKey, *x509.Certificate) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tpl := &x509.Certificate{
		SerialNumber: serial(t), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return key, c
}

// orasRepo is ref's repository over tr (the stacks are anonymous).
func orasRepo(t *testing.T, tr http.RoundTripper, ref string) (*orasremote.Repository, string) {
	t.Helper()
	repoName, tag, _ := strings.Cut(ref[strings.Index(ref, "/")+1:], ":")
	host := ref[:strings.Index(ref, "/")]
	repo, err := orasremote.NewRepository(host + "/" + repoName)
	if err != nil {
		t.Fatal(err)
	}
	repo.Client = &auth.Client{Client: &http.Client{Transport: tr}}
	return repo, tag
}

// signWith signs ref with key and chain through notation-go.
func signWith(t *testing.T, ctx context.Context, tr http.RoundTripper, ref string, key crypto.PrivateKey, chain []*x509.Certificate) {
	t.Helper()
	repo, tag := orasRepo(t, tr, ref)
	gs, err := signer.NewGenericSigner(key, chain)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := notation.Sign(ctx, gs, notationregistry.NewRepository(repo), notation.SignOptions{
		SignerSignOptions: notation.SignerSignOptions{SignatureMediaType: jws.MediaTypeEnvelope},
		ArtifactReference: tag,
	}); err != nil {
		t.Fatalf("notation-go sign %s: %v", ref, err)
	}
}

// signOtherDigest attaches to ref a valid signature of the decoy tag's
// manifest: the envelope is sound, its payload names another digest.
func signOtherDigest(t *testing.T, ctx context.Context, tr http.RoundTripper, ref, decoyTag string, key crypto.PrivateKey, chain []*x509.Certificate) {
	t.Helper()
	repo, tag := orasRepo(t, tr, ref)
	subject, err := repo.Resolve(ctx, tag)
	if err != nil {
		t.Fatal(err)
	}
	decoy, err := repo.Resolve(ctx, decoyTag)
	if err != nil {
		t.Fatal(err)
	}
	gs, err := signer.NewGenericSigner(key, chain)
	if err != nil {
		t.Fatal(err)
	}
	blob, _, err := gs.Sign(ctx, decoy, notation.SignerSignOptions{SignatureMediaType: jws.MediaTypeEnvelope})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := notationregistry.NewRepository(repo).PushSignature(ctx, jws.MediaTypeEnvelope, blob, subject, nil); err != nil {
		t.Fatalf("push the mismatched signature: %v", err)
	}
}

// listTagsHTTP is the registry's tag list of repo.
func listTagsHTTP(t *testing.T, tr http.RoundTripper, addr, repo string) []string {
	t.Helper()
	resp, err := (&http.Client{Transport: tr}).Get("https://" + addr + "/v2/" + repo + "/tags/list")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Tags []string `json:"tags"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out.Tags
}

// referrerCount is how many referrers the registry's referrers API lists
// for repo@digest.
func referrerCount(t *testing.T, tr http.RoundTripper, addr, repo, digest string) int {
	t.Helper()
	resp, err := (&http.Client{Transport: tr}).Get("https://" + addr + "/v2/" + repo + "/referrers/" + digest)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var idx struct {
		Manifests []json.RawMessage `json:"manifests"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&idx); err != nil {
		t.Fatalf("referrers of %s@%s: %v", repo, digest, err)
	}
	return len(idx.Manifests)
}

// hasEvent reports an event of op with status whose message holds msg.
func hasEvent(evs []event, op, status, msg string) bool {
	for _, e := range evs {
		if e.Op == op && e.Status == status && strings.Contains(e.Message, msg) {
			return true
		}
	}
	return false
}

func hasTag(tags []string, want string) bool {
	for _, t := range tags {
		if t == want {
			return true
		}
	}
	return false
}
