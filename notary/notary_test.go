package notary_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	orasremote "oras.land/oras-go/v2/registry/remote"

	"github.com/esbtui/esbtui/notary"
	"github.com/esbtui/esbtui/pki"
	"github.com/esbtui/esbtui/registryclient"
	"github.com/esbtui/esbtui/registryclient/registrytest"
)

func TestPolicyIsValid(t *testing.T) {
	for _, scope := range []string{"localhost:5000/team/app", "127.0.0.1:41000/e2e/app", "registry.test/app"} {
		if err := notary.Policy(scope).Validate(); err != nil {
			t.Errorf("Policy(%q): %v", scope, err)
		}
	}
}

// TestSignThenVerify on the real distribution registry in-process over
// TLS (no referrers API: the tag-schema fallback): a signed image
// verifies with who/when/which certificate; an unsigned one is
// *UnsignedError; another CA's root does not trust the signature
// (*VerifyError naming why).
func TestSignThenVerify(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "certs")
	if err := registrytest.EnsureCerts(dir); err != nil {
		t.Fatal(err)
	}
	reg := registrytest.Start(t, registrytest.Options{CertDir: dir, DataDir: t.TempDir()})
	c, err := registryclient.New(registryclient.Options{CACertFile: filepath.Join(dir, pki.CACertFile)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	store := pki.NewStore(dir)
	ctx := context.Background()
	push := func(repo string) (*registryclientRepo, string) {
		img, _ := random.Image(1<<10, 1)
		ref, _ := registryclient.ParseReference(reg.Host()+"/"+repo+":v1", "")
		if err := remote.Write(ref, img, remote.WithTransport(c.Transport())); err != nil {
			t.Fatal(err)
		}
		r, _ := registryclient.ParseRepository(reg.Host()+"/"+repo, "")
		o, err := c.OrasRepository(r)
		if err != nil {
			t.Fatal(err)
		}
		d, _ := img.Digest()
		return &registryclientRepo{name: r.Name(), target: o}, d.String()
	}
	signer, err := store.LoadSigner(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	root, err := store.RootCert()
	if err != nil {
		t.Fatal(err)
	}

	signed, dig := push("team/signed")
	s, err := notary.Sign(ctx, signed.target, signed.name, "v1", signer)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if s.Digest != dig || s.Fingerprint != pki.Fingerprint(signer.Chain[0]) || s.Signature == "" {
		t.Fatalf("Sign: %+v, want digest %s", s, dig)
	}
	v, err := notary.Verify(ctx, signed.target, signed.name, "v1", root)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if v.Digest != dig || v.Fingerprint != s.Fingerprint || v.Level != "strict" || !strings.Contains(v.Subject, "esbtui signing") || time.Since(v.SigningTime) > time.Minute {
		t.Fatalf("Verify: %+v", v)
	}

	unsigned, udig := push("team/unsigned")
	_, err = notary.Verify(ctx, unsigned.target, unsigned.name, "v1", root)
	var ue *notary.UnsignedError
	if !errors.As(err, &ue) || ue.Digest != udig {
		t.Fatalf("Verify unsigned: %v, want *UnsignedError for %s", err, udig)
	}

	otherDir := filepath.Join(t.TempDir(), "certs")
	if err := registrytest.EnsureCerts(otherDir); err != nil {
		t.Fatal(err)
	}
	otherRoot, err := pki.NewStore(otherDir).RootCert()
	if err != nil {
		t.Fatal(err)
	}
	_, err = notary.Verify(ctx, signed.target, signed.name, "v1", otherRoot)
	var ve *notary.VerifyError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "does not chain to esbtui's rootCA.crt") {
		t.Fatalf("Verify with another CA: %v, want *VerifyError naming the CA", err)
	}
}

// registryclientRepo is a repository's name and its oras target.
type registryclientRepo struct {
	name   string
	target *orasremote.Repository
}
