package tui

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/registryclient"
)

// t0 is the fixed clock of every test.
var t0 = time.Date(2026, 11, 20, 10, 30, 0, 0, time.UTC)

func fixedNow() time.Time { return t0 }

// fake is a Backend that records calls and answers from fixed data.
type fake struct {
	mu    sync.Mutex
	state State
	calls []string
	tags  map[string][]string
	// signed marks repo:tag as signed in Tags.
	signed map[string]bool
	// pushEvents are emitted by Push/Build; with hold the job then waits
	// for its context (a push in progress).
	pushEvents []progress.Event
	hold       bool
	plan       TrustPlan
	// watch, when set, feeds Watch: each state sent is one engine change.
	watch chan *StackState
	noted []progress.Event
	fail  map[string]error
	// doctor is Doctor's report; doctorHold makes Doctor wait until it
	// is closed (a doctor run in progress), once doctorHoldAt checks have
	// ended and the next one has started.
	doctor       DoctorReport
	doctorHold   chan struct{}
	doctorHoldAt int
	// scrapes counts ScrapeMetrics calls; sample n is fakeSample(n).
	scrapes int
	// events feeds RegistryEvents; nil: the listener cannot start
	// (eventsErr), as when `esbtui events` holds the port.
	events    chan flows.RegistryEvent
	eventsErr error
}

func (f *fake) call(s string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
	return f.fail[s]
}

func (f *fake) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fake) Snapshot(ctx context.Context) State {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.state
}

func (f *fake) InitCerts(ctx context.Context, sink progress.Sink) (string, error) {
	if err := f.call("init"); err != nil {
		return "", err
	}
	sink.Emit(progress.Event{Time: t0, Op: "init", Step: "ca", Status: progress.Done, Message: "created rootCA.crt"})
	f.mu.Lock()
	f.state = healthyState()
	f.mu.Unlock()
	return "created the CA and the server certificate", nil
}

func (f *fake) TrustPlan(ctx context.Context) (TrustPlan, error) {
	return f.plan, f.call("trust-plan")
}

func (f *fake) InstallTrust(ctx context.Context, sink progress.Sink) (string, error) {
	return "2 stores updated", f.call("trust")
}

func (f *fake) Up(ctx context.Context, sink progress.Sink) (string, error) {
	return "1 service up", f.call("up")
}

func (f *fake) Down(ctx context.Context, sink progress.Sink) (string, error) {
	return "stack down", f.call("down")
}

func (f *fake) transfer(ctx context.Context, op string, names []string, sink progress.Sink) (string, error) {
	if err := f.call(fmt.Sprint(op, names)); err != nil {
		return "", err
	}
	for _, e := range f.pushEvents {
		sink.Emit(e)
	}
	if f.hold {
		<-ctx.Done()
		return "", ctx.Err()
	}
	return "localhost:5000/hello@sha256:4f1c0e9a7b2d", nil
}

func (f *fake) Build(ctx context.Context, names []string, sink progress.Sink) (string, error) {
	return f.transfer(ctx, "build", names, sink)
}

func (f *fake) Push(ctx context.Context, names []string, sink progress.Sink) (string, error) {
	return f.transfer(ctx, "push", names, sink)
}

func (f *fake) Catalog(ctx context.Context) ([]string, error) {
	return f.state.Registry.Repos, f.call("catalog")
}

func (f *fake) Tags(ctx context.Context, repo string) ([]TagRow, error) {
	if err := f.call("tags " + repo); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var rows []TagRow
	for _, t := range f.tags[repo] {
		rows = append(rows, TagRow{Name: t, Kind: "image", Signed: f.signed[repo+":"+t]})
	}
	return rows, nil
}

func (f *fake) Inspect(ctx context.Context, ref string) (Image, error) {
	return Image{
		Ref: ref, Digest: "sha256:4f1c0e9a7b2d5e8f00112233445566778899aabbccddeeff0011223344556677",
		MediaType: "application/vnd.oci.image.manifest.v1+json", Platform: "linux/amd64", Size: 7_340_032,
		Layers:    []Layer{{Digest: "sha256:aa11bb22cc33dd44", Size: 3_600_000}, {Digest: "sha256:ee55ff6600771188", Size: 3_740_032}},
		Referrers: []Referrer{{Digest: "sha256:5a5a5a5a5a5a5a5a", ArtifactType: "application/vnd.cncf.notary.signature", Size: 512, Kind: "signature (notary)"}},
		Kind:      "image", Signed: f.signed[ref],
	}, f.call("inspect " + ref)
}

func (f *fake) Delete(ctx context.Context, ref string, sink progress.Sink) (string, error) {
	if err := f.call("delete " + ref); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for repo, tags := range f.tags {
		for i, t := range tags {
			if repo+":"+t == ref {
				f.tags[repo] = append(tags[:i:i], tags[i+1:]...)
			}
		}
	}
	return "deleted " + ref, nil
}

func (f *fake) GC(ctx context.Context, sink progress.Sink) (string, error) {
	return "freed 12.0 MB", f.call("gc")
}

func (f *fake) Logs(ctx context.Context, service string, sink progress.Sink) error {
	if err := f.call("logs " + service); err != nil {
		return err
	}
	sink.Emit(progress.Event{Time: t0, Op: "logs", Item: service, Status: progress.Info, Message: "level=info msg=\"listening on [::]:5000, tls\""})
	<-ctx.Done()
	return ctx.Err()
}

func (f *fake) Serve(ctx context.Context, sink progress.Sink) error {
	if err := f.call("serve"); err != nil {
		return err
	}
	f.mu.Lock()
	if f.state.Stack != nil {
		st := *f.state.Stack
		st.Serving = true
		f.state.Stack = &st
	}
	f.mu.Unlock()
	sink.Emit(progress.Event{Time: t0, Op: "serve", Status: progress.Start, Message: "serving https://localhost:5000"})
	<-ctx.Done()
	return ctx.Err()
}

func (f *fake) Watch(ctx context.Context, update func(*StackState)) error {
	if f.watch == nil {
		return errors.New("fake: no engine to watch")
	}
	f.call("watch")
	for {
		select {
		case st := <-f.watch:
			update(st)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Doctor reports each check of f.doctor to sink as env.Doctor does (a
// Start, then its end). With doctorHold it stops after doctorHoldAt checks
// have ended and the next one has started (a run in progress), until the
// channel is closed or ctx ends.
func (f *fake) Doctor(ctx context.Context, sink progress.Sink) DoctorReport {
	f.call("doctor")
	f.mu.Lock()
	rep, hold, at := f.doctor, f.doctorHold, f.doctorHoldAt
	f.mu.Unlock()
	for i, c := range rep.Checks {
		sink.Emit(progress.Event{Time: t0, Op: "doctor", Step: c.Name, Status: progress.Start, Message: "checking"})
		if hold != nil && i == at {
			select {
			case <-hold:
			case <-ctx.Done():
				return rep
			}
		}
		sink.Emit(doctorEnd(c))
	}
	if hold != nil && at >= len(rep.Checks) {
		select {
		case <-hold:
		case <-ctx.Done():
		}
	}
	return rep
}

// doctorEnd is the event env.Doctor sends when a check ends.
func doctorEnd(c DoctorCheck) progress.Event {
	e := progress.Event{Time: t0, Op: "doctor", Step: c.Name, Message: c.Why}
	switch c.Status {
	case CheckOK:
		e.Status = progress.Done
	case CheckWarn:
		e.Status = progress.Warning
	case CheckSkipped:
		e.Status = progress.Skipped
	default:
		e.Status, e.Message, e.Err = progress.Failed, "broken", c.Why+" (fix: "+c.Fix+")"
	}
	return e
}

func (f *fake) ScrapeMetrics(ctx context.Context) (*flows.MetricsSample, error) {
	if err := f.call("metrics"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	s := fakeSample(f.scrapes)
	f.scrapes++
	return s, nil
}

func (f *fake) RegistryEvents(ctx context.Context) (*flows.EventsListener, error) {
	f.call("events")
	f.mu.Lock()
	evErr, evs := f.eventsErr, f.events
	f.mu.Unlock()
	if evs == nil {
		if evErr == nil {
			// The default: listening, nothing happens.
			ch := make(chan flows.RegistryEvent)
			go func() { <-ctx.Done(); close(ch) }()
			return &flows.EventsListener{Events: ch, Addr: "127.0.0.1:5002", Stopped: func() error { return nil }}, nil
		}
		return nil, evErr
	}
	out := make(chan flows.RegistryEvent)
	go func() {
		defer close(out)
		for {
			select {
			case ev := <-f.events:
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return &flows.EventsListener{Events: out, Addr: "127.0.0.1:5002", Stopped: func() error { return nil }}, nil
}

// fakeSample is the registry's counters at scrape n, 3 s apart: 2000
// requests since a start 100 s before t0 (20/s), then 30 more each
// scrape (10/s), 3 of them 5xx; 1 MB in (333 kB/s) and 300 kB out each
// time; latencies mostly under 50 ms.
func fakeSample(n int) *flows.MetricsSample {
	f := float64(n)
	return &flows.MetricsSample{
		Time: t0.Add(time.Duration(n) * 3 * time.Second), Started: t0.Add(-100 * time.Second),
		Requests: 2000 + 30*f, ServerErrors: 3 * f, ClientErrors: 40,
		BytesIn: 50e6 + 1e6*f, BytesOut: 20e6 + 3e5*f,
		Buckets: []registryclient.Bucket{
			{UpperBound: 0.005, Count: 1000 + 10*f},
			{UpperBound: 0.05, Count: 1900 + 18*f},
			{UpperBound: 0.5, Count: 2000 + 30*f},
			{UpperBound: math.Inf(1), Count: 2000 + 30*f},
		},
	}
}

func (f *fake) Note(e progress.Event) {
	f.mu.Lock()
	f.noted = append(f.noted, e)
	f.mu.Unlock()
}

// Scenarios.

func certInfo(role string, days int) flows.CertInfo {
	c := flows.CertInfo{
		Role: role, Present: true, KeyMatch: true, ChainValid: true,
		File: "/home/dev/.esb/certs/server.crt", KeyFile: "/home/dev/.esb/certs/server.key",
		KeyType: "ECDSA P-256", DaysLeft: days, NotBefore: t0.AddDate(0, 0, -1), NotAfter: t0.AddDate(0, 0, days),
		Fingerprint: "9C3B6A0E51D2F4478E0A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60",
		SANs:        []string{"localhost", "esb-registry", "host.docker.internal", "esb-gateway", "127.0.0.1", "::1"},
	}
	if role == "ca" {
		c.File, c.KeyFile = "/home/dev/.esb/certs/rootCA.crt", "/home/dev/.esb/certs/rootCA.key"
		c.KeyType, c.SANs = "RSA 4096", nil
		c.Fingerprint = "1F2E3D4C5B6A79880716253443526170F1E2D3C4B5A69788A1B2C3D4E5F60718"
		c.Constraints = []string{"localhost", ".localhost", "esb-registry", "127.0.0.0/8", "10.0.0.0/8"}
	}
	return c
}

func healthyState() State {
	return State{
		Home: "/home/dev/.esb",
		Certs: flows.CertReport{Dir: "/home/dev/.esb/certs",
			CA: certInfo("ca", 3649), Server: certInfo("server", 198)},
		Trust: &TrustState{Stores: []TrustStore{
			{Name: "system", State: Trusted, Reason: "debian /usr/local/share/ca-certificates"},
			{Name: "docker", State: Trusted, Reason: "/etc/docker/certs.d/localhost:5000"},
			{Name: "nss", State: Trusted, Reason: "~/.pki/nssdb"},
			{Name: "java", State: NA, Reason: "no JDK found"},
		}},
		Stack: &StackState{Engine: "docker 20.10.24 (API 1.41)", Project: "esb", Services: []Service{
			{Name: "registry", State: "running", Health: "healthy", Ports: []string{"127.0.0.1:5000→5000"}, Started: t0.Add(-2*time.Hour - 5*time.Minute)},
			{Name: "hello", State: "running", Health: "", Ports: []string{"8080→8080"}, Started: t0.Add(-12 * time.Minute)},
		}},
		Registry:  &RegistryState{Addr: "localhost:5000", Reachable: true, Repos: []string{"esb/base", "hello", "registry-ui", "worker"}, Metrics: sinceStart()},
		Functions: []string{"hello", "worker"},
	}
}

// sinceStart is what env's snapshot reports: the rates since the registry
// started, the same as the dashboard's first scrape.
func sinceStart() *flows.Metrics {
	m := flows.ComputeMetrics(nil, fakeSample(0))
	return &m
}

func freshState() State {
	s := healthyState()
	s.Certs = flows.CertReport{Dir: "/home/dev/.esb/certs",
		CA:     flows.CertInfo{Role: "ca", File: "/home/dev/.esb/certs/rootCA.crt", Problems: []string{"no root CA: run `esbtui init`"}},
		Server: flows.CertInfo{Role: "server", File: "/home/dev/.esb/certs/server.crt", Problems: []string{"no server certificate: run `esbtui init`"}},
	}
	// What env reports before `esbtui init`: no store can be checked.
	s.Trust = &TrustState{Err: "trust: no CA at /home/dev/.esb/certs/rootCA.crt: run `esbtui init` first"}
	s.Stack = &StackState{Engine: "docker 20.10.24 (API 1.41)", Project: "esb"}
	s.Registry = &RegistryState{Addr: "localhost:5000", Err: "dial tcp 127.0.0.1:5000: connection refused"}
	return s
}

func engineDownState() State {
	s := healthyState()
	s.Stack = &StackState{EngineErr: "Cannot connect to the Docker daemon at unix:///var/run/docker.sock (is dockerd running?)"}
	s.Registry = &RegistryState{Addr: "localhost:5000", Err: "dial tcp 127.0.0.1:5000: connection refused"}
	return s
}

func expiringState() State {
	s := healthyState()
	s.Certs.Server = certInfo("server", 12)
	s.Certs.Server.Warnings = []string{"expires in 12 days: run `esbtui init` or `esbtui cert rotate`"}
	s.Trust.Stores[1] = TrustStore{Name: "docker", State: Stale, Reason: "holds an older CA: press t"}
	return s
}

// pushEvents is a push half-way: three layers, one done.
func pushEvents() []progress.Event {
	mb := int64(1_000_000)
	ev := func(sec int, item string, st progress.Status, cur, total int64) progress.Event {
		return progress.Event{Time: t0.Add(time.Duration(sec) * time.Second), Op: "push", Step: "layer", Item: item, Status: st, Current: cur, Total: total}
	}
	return []progress.Event{
		{Time: t0, Op: "push", Step: "image", Item: "localhost:5000/hello:latest", Status: progress.Start, Message: "pushing"},
		ev(0, "sha256:aa11bb22cc33dd44", progress.Start, 0, 3*mb),
		ev(0, "sha256:ee55ff6600771188", progress.Start, 0, 20*mb),
		ev(0, "sha256:99887766554433aa", progress.Start, 0, 8*mb),
		ev(1, "sha256:aa11bb22cc33dd44", progress.Update, 2*mb, 3*mb),
		ev(2, "sha256:aa11bb22cc33dd44", progress.Done, 3*mb, 3*mb),
		ev(2, "sha256:ee55ff6600771188", progress.Update, 5*mb, 20*mb),
		ev(4, "sha256:ee55ff6600771188", progress.Update, 9*mb, 20*mb),
		ev(4, "sha256:99887766554433aa", progress.Update, 4*mb, 8*mb),
	}
}

// healthyDoctor is `esbtui doctor` on a healthy machine.
func healthyDoctor() DoctorReport {
	return DoctorReport{Checks: []DoctorCheck{
		{Name: "root CA", Status: CheckOK, Why: "RSA 4096, 3649 days left, name-constrained to 5 local names/ranges"},
		{Name: "server certificate", Status: CheckOK, Why: "signed by the CA, key matches, covers localhost, esb-registry, host.docker.internal, esb-gateway, 127.0.0.1, ::1, 198 days left"},
		{Name: "trust: system", Status: CheckOK, Why: "trusts the CA"},
		{Name: "trust: nss", Status: CheckOK, Why: "trusts the CA"},
		{Name: "trust: java", Status: CheckOK, Why: "n/a: no JDK found"},
		{Name: "container engine", Status: CheckOK, Why: "Docker 20.10.24 at unix:///var/run/docker.sock (API 1.41)"},
		{Name: "engine certs.d", Status: CheckOK, Why: "certs.d has the CA for every non-loopback registry name (loopback names need none: the engine skips verification for 127.0.0.0/8)"},
		{Name: "stack services", Status: CheckOK, Why: "esb: registry running and healthy"},
		{Name: "TLS to registry (system roots)", Status: CheckOK, Why: "localhost:5000 presents a certificate the system trusts for localhost"},
		{Name: "registry API /v2/", Status: CheckOK, Why: "GET https://localhost:5000/v2/ answered 200 (registry/2.0)"},
		{Name: "probe push → pull → run", Status: CheckOK, Why: "pushed, pulled back, ran and deleted a probe image in 2.31s"},
	}}
}

// stackDownDoctor: the stack is down; nss lacks the CA (a warning).
func stackDownDoctor() DoctorReport {
	r := healthyDoctor()
	c := r.Checks
	c[3] = DoctorCheck{Name: "trust: nss", Status: CheckWarn, Why: "missing: ~/.pki/nssdb does not hold the CA", Fix: "esbtui trust install --store nss"}
	c[7] = DoctorCheck{Name: "stack services", Status: CheckFail, Why: "stack esb is down", Fix: "esbtui up"}
	c[8] = DoctorCheck{Name: "TLS to registry (system roots)", Status: CheckFail, Why: "nothing answers on localhost:5000: dial tcp 127.0.0.1:5000: connect: connection refused", Fix: "esbtui up (or esbtui serve without Docker)"}
	c[9] = DoctorCheck{Name: "registry API /v2/", Status: CheckSkipped, Why: "skipped: TLS to registry (system roots) is broken"}
	c[10] = DoctorCheck{Name: "probe push → pull → run", Status: CheckSkipped, Why: "skipped: registry API /v2/ is broken"}
	return r
}
