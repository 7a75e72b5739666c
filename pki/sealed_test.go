package pki

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestSealedCARoundTrip: the sealed bundle holds no key in clear; a wrong
// passphrase is ErrWrongPassphrase; installed into an empty store it is
// byte-identical, verifies the old server certificate and has 0600 keys;
// the same CA again is "already present"; a store with another CA is
// refused and left as it was.
func TestSealedCARoundTrip(t *testing.T) {
	src := newStore(t)
	ensure(t, src, Options{})
	var sealed bytes.Buffer
	names, err := src.Seal(&sealed, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) < 4 {
		t.Errorf("sealed %v, want the CA pair and the server pair", names)
	}
	for _, n := range []string{CAKeyFile, ServerKeyFile, CACertFile} {
		if bytes.Contains(sealed.Bytes(), read(t, src, n)[30:80]) {
			t.Errorf("the sealed bundle holds %s in clear", n)
		}
	}
	if bytes.Contains(sealed.Bytes(), []byte("correct horse")) {
		t.Error("the sealed bundle holds the passphrase")
	}

	if _, err := OpenSealed(bytes.NewReader(sealed.Bytes()), "wrong"); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("open with a wrong passphrase: %v, want ErrWrongPassphrase", err)
	}
	sc, err := OpenSealed(bytes.NewReader(sealed.Bytes()), "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}

	dst := NewStore(filepath.Join(t.TempDir(), "certs"))
	plan, err := dst.PlanInstallSealed(context.Background(), sc)
	if err != nil || len(plan.Installed) != len(names) {
		t.Fatalf("plan into an empty store: %+v, %v", plan, err)
	}
	if _, err := os.Stat(dst.Dir); err == nil {
		t.Fatal("the plan created the store")
	}
	res, err := dst.InstallSealed(context.Background(), sc)
	if err != nil || res.AlreadyPresent || len(res.Installed) != len(names) {
		t.Fatalf("install into an empty store: %+v, %v", res, err)
	}
	for _, n := range names {
		if !bytes.Equal(read(t, src, n), read(t, dst, n)) {
			t.Errorf("%s differs after the restore", n)
		}
	}
	if st, _ := os.Stat(dst.Path(CAKeyFile)); st.Mode().Perm() != 0o600 {
		t.Errorf("restored %s has mode %v", CAKeyFile, st.Mode().Perm())
	}
	if err := certOf(t, src, ServerCertFile).CheckSignatureFrom(certOf(t, dst, CACertFile)); err != nil {
		t.Errorf("the restored CA does not verify the old server certificate: %v", err)
	}
	again, err := dst.InstallSealed(context.Background(), sc)
	if err != nil || !again.AlreadyPresent {
		t.Errorf("install of the same CA again: %+v, %v; want already present", again, err)
	}

	other := newStore(t)
	ensure(t, other, Options{})
	before := read(t, other, CAKeyFile)
	var ce *CAExistsError
	if _, err := other.PlanInstallSealed(context.Background(), sc); !errors.As(err, &ce) {
		t.Fatalf("plan over another CA: %v, want CAExistsError", err)
	}
	_, err = other.InstallSealed(context.Background(), sc)
	if !errors.As(err, &ce) {
		t.Fatalf("install over another CA: %v, want CAExistsError", err)
	}
	if !bytes.Equal(before, read(t, other, CAKeyFile)) {
		t.Error("the existing CA key was changed")
	}
}
