package tui

import (
	"testing"
	"time"

	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/trust"
)

func TestConvertTrust(t *testing.T) {
	if trustState(nil) != nil {
		t.Fatal("a section env did not gather must stay nil")
	}
	got := trustState(&flows.TrustStatus{Root: "/sandbox", Stores: []trust.Status{
		{Store: "system", State: flows.StoreTrusted, Warnings: []string{"Java ignores name constraints"}},
		{Store: "docker", State: flows.StoreMissing, Reason: "no entry for localhost:5000"},
		{Store: "nss", State: flows.StoreStale, Reason: "holds an older CA"},
		{Store: "java", State: flows.StoreNotApplicable, Reason: "no JDK"},
		{Store: "podman", State: flows.StoreUnknown, Reason: "podman info: exit 125"},
	}})
	want := []TrustStore{
		{Name: "system", State: Trusted, Warning: "Java ignores name constraints"},
		{Name: "docker", State: Missing, Reason: "no entry for localhost:5000"},
		{Name: "nss", State: Stale, Reason: "holds an older CA"},
		{Name: "java", State: NA, Reason: "no JDK"},
		{Name: "podman", State: Unknown, Reason: "podman info: exit 125"},
	}
	for i, w := range want {
		if got.Stores[i] != w {
			t.Errorf("store %d: %+v, want %+v", i, got.Stores[i], w)
		}
	}
	if len(got.Notes) != 1 {
		t.Errorf("the sandbox root is not noted: %v", got.Notes)
	}
	p := &trustPane{}
	p.set(got)
	if ok, total := p.counts(); ok != 1 || total != 4 || p.level() != lvlBad {
		t.Errorf("counts %d/%d level %d", ok, total, p.level())
	}
	if e := trustState(&flows.TrustStatus{Problem: "trust: no CA: run `esbtui init` first"}); e.Err == "" {
		t.Error("the problem is lost")
	}
}

func TestConvertStack(t *testing.T) {
	started := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	got := stackState(&flows.StackStatus{Project: "esb", State: flows.StackDegraded,
		Engine: &flows.EngineInfo{Host: "unix:///var/run/docker.sock", APIVersion: "1.41"},
		Services: []flows.Service{
			{Name: "registry", State: "running", Health: "healthy", Ports: []string{"127.0.0.1:5000->5000/tcp"}, StartedAt: started},
			{Name: "agent", State: "exited", ExitCode: 2, HealthOutput: "wget: bad address"},
		}})
	if got.EngineErr != "" || got.Engine != "unix:///var/run/docker.sock (API 1.41)" {
		t.Errorf("engine %q / %q", got.Engine, got.EngineErr)
	}
	r, a := got.Services[0], got.Services[1]
	if r.Ports[0] != "127.0.0.1:5000→5000" || !r.Started.Equal(started) || r.Detail != "" {
		t.Errorf("registry: %+v", r)
	}
	if a.Detail != "exit code 2 wget: bad address" {
		t.Errorf("agent detail %q", a.Detail)
	}
	down := stackState(&flows.StackStatus{Project: "esb", State: flows.StackUnavailable, Error: "Cannot connect to the Docker daemon"})
	p := &servicesPane{}
	p.set(down)
	if down.EngineErr == "" || p.level() != lvlBad {
		t.Errorf("engine down: %+v level %d", down, p.level())
	}
	if stackState(nil) != nil {
		t.Error("nil section")
	}
}

func TestConvertRegistry(t *testing.T) {
	rs := registryState(&flows.RegistryStatus{Address: "localhost:5000", Stage: "tcp", Error: "connection refused", Fix: "run `esbtui up`"}, "x")
	if rs.Reachable || rs.Err != "connection refused (run `esbtui up`)" {
		t.Errorf("%+v", rs)
	}
	if rs := registryState(&flows.RegistryStatus{Reachable: true}, "localhost:5001"); rs.Addr != "localhost:5001" || rs.Err != "" {
		t.Errorf("%+v", rs)
	}
	if registryState(nil, "x") != nil {
		t.Error("nil section")
	}
}
