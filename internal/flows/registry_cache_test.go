package flows

import (
	"os"
	"testing"
	"time"

	"github.com/esbtui/esbtui/pki"
)

// TestRegistryClientLifetime: an Env keeps one registry client while
// rootCA.crt is unchanged, makes a new one when the file changes (a CA
// created or restored under a running dashboard), and Close releases it;
// nothing outlives the Env.
func TestRegistryClientLifetime(t *testing.T) {
	e := newTestEnv(t)
	c1, err := e.Registry()
	if err != nil {
		t.Fatal(err)
	}
	if c2, _ := e.Registry(); c2 != c1 {
		t.Fatal("a second Registry() made a new client with the CA unchanged")
	}
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(e.Certs.Path(pki.CACertFile), later, later); err != nil {
		t.Fatal(err)
	}
	c3, err := e.Registry()
	if err != nil {
		t.Fatal(err)
	}
	if c3 == c1 {
		t.Fatal("rootCA.crt changed but the client was kept")
	}
	e.Close()
	if e.registry.client != nil {
		t.Fatal("Close kept the registry client")
	}
	other := newTestEnv(t)
	if c4, _ := other.Registry(); c4 == c3 {
		t.Fatal("two Envs share a client")
	}
}
