package flows

import (
	"slices"
	"testing"
)

// The chain is checked in this order (esbtui doctor's output and the TUI's
// doctor view follow it), and every link runs exactly one of run or many.
// A link may only need links before it: a need on a later link would be
// read before that link ran, and never skip anything.
func TestDoctorChainOrder(t *testing.T) {
	want := []string{
		"root CA",
		"server certificate",
		"trust",
		"container engine",
		"engine certs.d",
		"stack services",
		"containers trust the CA",
		"TLS to registry (system roots)",
		"registry API /v2/",
		"probe push → pull → run",
		"alerts",
		"engine uses the mirror",
		"mirror reaches its upstream",
	}
	var got []string
	for i, c := range doctorChain() {
		got = append(got, c.name)
		if (c.run == nil) == (c.many == nil) {
			t.Errorf("link %q: needs exactly one of run and many", c.name)
		}
		for _, n := range c.needs {
			if !slices.Contains(got[:i], n) {
				t.Errorf("link %q needs %q, which is not a link before it", c.name, n)
			}
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("doctor chain\n%q\nwant\n%q", got, want)
	}
}
