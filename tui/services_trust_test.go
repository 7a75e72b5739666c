package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/esbtui/esbtui/internal/flows"
)

// A service whose container carries esbtui's CA bundle (the esb.trust.bundle
// label) is marked CA in the Services pane; the others are not.
func TestServicesMarkTheCABundle(t *testing.T) {
	svcs := convServices([]flows.Service{
		{Name: "api", State: "running", TrustBundle: "9f86d081"},
		{Name: "worker", State: "running"},
	})
	if !svcs[0].TrustCA || svcs[1].TrustCA {
		t.Fatalf("converted: %+v", svcs)
	}
	p := &servicesPane{}
	p.set(&StackState{Project: "esb", Engine: "docker", Services: svcs})
	var api, worker string
	for _, l := range p.body(paneFrame{st: newStyles(true), w: 80, h: 10, now: t0}) {
		l = ansi.Strip(l)
		switch {
		case strings.Contains(l, "api"):
			api = l
		case strings.Contains(l, "worker"):
			worker = l
		}
	}
	if !strings.HasSuffix(strings.TrimSpace(api), " CA") || strings.Contains(worker, "CA") {
		t.Errorf("api %q, worker %q: want CA on api only", api, worker)
	}
}
