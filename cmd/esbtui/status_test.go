package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/esbtui/esbtui/internal/flows"
)

// watchUpdates is what env sends while the registry dies, through a
// dockerd restart: each update differs from the one before, but some only
// in what a line does not show (the exit code, the health output).
func watchUpdates() []flows.StackUpdate {
	t0 := time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)
	svc := func(state, health string, exit int, out string) []flows.Service {
		return []flows.Service{{Name: "registry", State: state, Health: health, ExitCode: exit, HealthOutput: out}}
	}
	return []flows.StackUpdate{
		{Time: t0, Project: "esb", State: flows.StackUp, Services: svc("running", "healthy", 0, "")},
		{Time: t0.Add(1 * time.Second), Project: "esb", State: flows.StackDegraded, Services: svc("exited", "unhealthy", 0, "")},
		{Time: t0.Add(2 * time.Second), Project: "esb", State: flows.StackDegraded, Services: svc("exited", "unhealthy", 2, "wget: connection refused")},
		{Time: t0.Add(3 * time.Second), Project: "esb", State: flows.StackUnavailable, Error: "stack: events: unexpected EOF\nmore", Services: svc("exited", "unhealthy", 2, "wget: connection refused")},
		{Time: t0.Add(4 * time.Second), Project: "esb", State: flows.StackDegraded, Services: svc("exited", "unhealthy", 2, "wget: connection refused")},
	}
}

func feed(us []flows.StackUpdate) <-chan flows.StackUpdate {
	ch := make(chan flows.StackUpdate, len(us))
	for _, u := range us {
		ch <- u
	}
	close(ch)
	return ch
}

// A watch line is printed only when what it says changed.
func TestWatchPrintsChangedLinesOnly(t *testing.T) {
	var out bytes.Buffer
	a := newApp(strings.NewReader(""), &out, &out)
	if err := a.printWatch(feed(watchUpdates())); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"10:30:00 stack esb: up — registry running healthy",
		"10:30:01 stack esb: degraded — registry exited unhealthy",
		"10:30:03 stack esb: unavailable — engine unreachable: stack: events: unexpected EOF (reconnecting)",
		"10:30:04 stack esb: degraded — registry exited unhealthy",
	}, "\n") + "\n"
	if got := out.String(); got != want {
		t.Errorf("watch printed\n%s\nwant\n%s", got, want)
	}
}

// --json prints every update env sends (env sends changes only), one
// object per line.
func TestWatchJSONOneObjectPerUpdate(t *testing.T) {
	var out bytes.Buffer
	a := newApp(strings.NewReader(""), &out, &out)
	a.jsonOut = true
	us := watchUpdates()
	if err := a.printWatch(feed(us)); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != len(us) {
		t.Fatalf("%d lines for %d updates:\n%s", len(lines), len(us), out.String())
	}
	for i, l := range lines {
		var u flows.StackUpdate
		if err := json.Unmarshal([]byte(l), &u); err != nil {
			t.Fatalf("line %d is not one JSON object: %v\n%s", i, err, l)
		}
		if u.State != us[i].State || !u.Time.Equal(us[i].Time) {
			t.Errorf("line %d: %s at %s, want %s at %s", i, u.State, u.Time, us[i].State, us[i].Time)
		}
	}
}

// A certificate in the certificate directory is outside input: a subject,
// name or chain error carrying escape sequences is printed without them.
func TestPrintCertCleansTheCertificatesText(t *testing.T) {
	var out bytes.Buffer
	a := newApp(strings.NewReader(""), &out, &out)
	printCert(a, flows.CertInfo{Role: "server", Present: true, File: "server.crt", Subject: "CN=evil\x1b]0;pwned\x07",
		SANs: []string{"localhost\x1b[2J"}, ChainError: "x509: \x1b[31mbad", Problems: []string{"p\x1b[1m"}, Warnings: []string{"w\x1b[1m"}})
	got := out.String()
	if !strings.Contains(got, "CN=evil") || !strings.Contains(got, "localhost") {
		t.Fatalf("the certificate's text is not printed:\n%q", got)
	}
	if strings.ContainsAny(got, "\x1b\x07") {
		t.Errorf("a control sequence from the certificate reached the terminal:\n%q", got)
	}
}
