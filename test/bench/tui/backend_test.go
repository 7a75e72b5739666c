package tuibench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/progress"
	"github.com/esbtui/esbtui/pki"
	"github.com/esbtui/esbtui/registryclient"
	"github.com/esbtui/esbtui/tui"
)

// pushBackend is a tui.Backend over a healthy machine whose Push streams
// layer progress like a real push: three layers, an update per layer
// every tick, for pushFor (forever when 0), then done.
type pushBackend struct {
	tick    time.Duration
	pushFor time.Duration
	start   chan struct{} // closed when Push starts
}

func newPushBackend(tick, pushFor time.Duration) *pushBackend {
	return &pushBackend{tick: tick, pushFor: pushFor, start: make(chan struct{})}
}

func healthy() tui.State {
	now := time.Now()
	cert := func(role string, days int) pki.CertInfo {
		return pki.CertInfo{Role: role, Present: true, KeyMatch: true, ChainValid: true, KeyType: "ECDSA P-256",
			DaysLeft: days, NotBefore: now.AddDate(0, 0, -1), NotAfter: now.AddDate(0, 0, days),
			Fingerprint: "9C3B6A0E51D2F4478E0A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60",
			SANs:        []string{"localhost", "esb-registry", "host.docker.internal", "127.0.0.1", "::1"}}
	}
	m := registryclient.ComputeMetrics(nil, sample(0))
	return tui.State{
		Home:  "/home/dev/.esb",
		Certs: pki.Report{Dir: "/home/dev/.esb/certs", CA: cert("ca", 3649), Server: cert("server", 198)},
		Trust: &tui.TrustState{Stores: []tui.TrustStore{
			{Name: "system", State: tui.Trusted, Reason: "debian /usr/local/share/ca-certificates"},
			{Name: "docker", State: tui.Trusted, Reason: "/etc/docker/certs.d/localhost:5000"},
			{Name: "java", State: tui.NA, Reason: "no JDK found"},
		}},
		Stack: &tui.StackState{Engine: "docker 20.10.24 (API 1.41)", Project: "esb", Services: []tui.Service{
			{Name: "registry", State: "running", Health: "healthy", Ports: []string{"127.0.0.1:5000→5000"}, Started: now.Add(-time.Hour)},
		}},
		Registry:  &tui.RegistryState{Addr: "localhost:5000", Reachable: true, Repos: []string{"esb/base", "hello", "worker"}, Metrics: &m},
		Functions: []string{"hello", "worker"},
	}
}

func sample(n int) *registryclient.MetricsSample {
	f := float64(n)
	return &registryclient.MetricsSample{Time: time.Now(), Started: time.Now().Add(-time.Hour),
		Requests: 2000 + 30*f, BytesIn: 5e7 + 1e6*f, BytesOut: 2e7,
		Buckets: []registryclient.Bucket{{UpperBound: 0.05, Count: 1900 + 28*f}, {UpperBound: math.Inf(1), Count: 2000 + 30*f}}}
}

func (b *pushBackend) Snapshot(context.Context) tui.State { return healthy() }

func (b *pushBackend) Push(ctx context.Context, _ []string, sink progress.Sink) (string, error) {
	close(b.start)
	const layers, size = 3, int64(200_000_000)
	sink.Emit(progress.Event{Time: time.Now(), Op: "push", Step: "image", Item: "localhost:5000/hello:latest", Status: progress.Start, Message: "pushing"})
	for l := range layers {
		sink.Emit(progress.Event{Time: time.Now(), Op: "push", Step: "upload", Item: layerDigest(l), Status: progress.Start, Total: size})
	}
	t := time.NewTicker(b.tick)
	defer t.Stop()
	begin := time.Now()
	for {
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case now := <-t.C:
			el := now.Sub(begin)
			if b.pushFor > 0 && el >= b.pushFor {
				for l := range layers {
					sink.Emit(progress.Event{Time: now, Op: "push", Step: "upload", Item: layerDigest(l), Status: progress.Done, Current: size, Total: size})
				}
				return "localhost:5000/hello:latest@sha256:4f1c0e9a7b2d", nil
			}
			frac := 0.5
			if b.pushFor > 0 {
				frac = float64(el) / float64(b.pushFor)
			}
			for l := range layers {
				sink.Emit(progress.Event{Time: now, Op: "push", Step: "upload", Item: layerDigest(l), Status: progress.Update,
					Current: int64(frac * float64(size) * float64(l+1) / layers), Total: size})
			}
		}
	}
}

func layerDigest(i int) string { return fmt.Sprintf("sha256:%012x", 0xaa11bb22cc33+i) }

var errNo = errors.New("not in this benchmark")

func (b *pushBackend) InitCerts(context.Context, progress.Sink) (string, error) { return "", errNo }
func (b *pushBackend) TrustPlan(context.Context) (tui.TrustPlan, error) {
	return tui.TrustPlan{}, errNo
}
func (b *pushBackend) InstallTrust(context.Context, progress.Sink) (string, error) { return "", errNo }
func (b *pushBackend) Up(context.Context, progress.Sink) (string, error)           { return "", errNo }
func (b *pushBackend) Down(context.Context, progress.Sink) (string, error)         { return "", errNo }
func (b *pushBackend) Build(context.Context, []string, progress.Sink) (string, error) {
	return "", errNo
}
func (b *pushBackend) Catalog(context.Context) ([]string, error)          { return nil, errNo }
func (b *pushBackend) Tags(context.Context, string) ([]tui.TagRow, error) { return nil, errNo }
func (b *pushBackend) Inspect(context.Context, string) (tui.Image, error) { return tui.Image{}, errNo }
func (b *pushBackend) Delete(context.Context, string, progress.Sink) (string, error) {
	return "", errNo
}
func (b *pushBackend) GC(context.Context, progress.Sink) (string, error) { return "", errNo }
func (b *pushBackend) Logs(context.Context, string, progress.Sink) error { return errNo }
func (b *pushBackend) Serve(context.Context, progress.Sink) error        { return errNo }
func (b *pushBackend) Watch(context.Context, func(*tui.StackState)) error {
	return errNo
}
func (b *pushBackend) Doctor(context.Context, progress.Sink) tui.DoctorReport {
	return tui.DoctorReport{}
}

func (b *pushBackend) ScrapeMetrics(context.Context) (*registryclient.MetricsSample, error) {
	return sample(int(time.Now().Unix() % 1000)), nil
}

func (b *pushBackend) RegistryEvents(ctx context.Context) (*flows.EventsListener, error) {
	ch := make(chan flows.RegistryEvent)
	go func() { <-ctx.Done(); close(ch) }()
	return &flows.EventsListener{Events: ch, Addr: "127.0.0.1:5002", Stopped: func() error { return nil }}, nil
}

func (b *pushBackend) Note(progress.Event) {}
