package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestInitRefusesPublicSuffix: `init --name com` and `names: [com]` in
// esb.yaml exit non-zero saying why, the latter with esb.yaml:LINE, and
// make no CA.
func TestInitRefusesPublicSuffix(t *testing.T) {
	home := t.TempDir()
	code, out, errOut := runCLI(t, home, "init", "--no-tui", "--skip-trust", "--name", "com")
	if code == 0 || !strings.Contains(out+errOut, "public suffix") || !strings.Contains(out+errOut, ".test") {
		t.Fatalf("--name com: exit %d\n%s\n%s", code, out, errOut)
	}
	yaml := filepath.Join(t.TempDir(), "esb.yaml")
	if err := os.WriteFile(yaml, []byte("names:\n  - api.test\n  - '*.co.uk'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ESB_PROJECT_FILE", yaml)
	code, out, errOut = runCLI(t, home, "init", "--no-tui", "--skip-trust")
	if code == 0 || !strings.Contains(out+errOut, "esb.yaml:3") || !strings.Contains(out+errOut, "public suffix") {
		t.Fatalf("esb.yaml: exit %d\n%s\n%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(home, "certs", "rootCA.key")); err == nil {
		t.Fatal("a CA was created")
	}
}

// TestInitOverExpiredCAFails: init on an expired CA exits 1 naming the
// file and the way to a new CA, issues nothing and keeps the CA files.
func TestInitOverExpiredCAFails(t *testing.T) {
	home := t.TempDir()
	dir := filepath.Join(home, "certs")
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	var nets []*net.IPNet
	for _, c := range []string{"127.0.0.0/8", "::1/128", "10.0.0.0/8"} {
		_, n, _ := net.ParseCIDR(c)
		nets = append(nets, n)
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(1 << 62), Subject: pkix.Name{CommonName: "expired esbtui development CA"},
		NotBefore: time.Now().AddDate(-11, 0, 0), NotAfter: time.Now().AddDate(0, 0, -1),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
		PermittedDNSDomains: []string{"localhost", "esb-registry", "esb-gateway", "host.docker.internal", ".test", ".internal"},
		PermittedIPRanges:   nets,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})
	os.MkdirAll(dir, 0o700)
	os.WriteFile(filepath.Join(dir, "rootCA.key"), keyPEM, 0o600)
	os.WriteFile(filepath.Join(dir, "rootCA.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)

	code, out, errOut := initCerts(t, home)
	all := out + errOut
	if code != exitFailed || !strings.Contains(all, filepath.Join(dir, "rootCA.crt")) || !strings.Contains(all, "expired") || !strings.Contains(all, "start a new CA") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "server.crt")); err == nil {
		t.Fatal("a server certificate was issued from an expired CA")
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "rootCA.key")); string(got) != string(keyPEM) {
		t.Fatal("the CA key changed")
	}
}
