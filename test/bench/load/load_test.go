// Package load measures the stack's registry (the real registry image,
// TLS, published on 127.0.0.1 by `esbtui up`) under the load the design asks
// for: 100 concurrent registryclient clients, each pushing its own small
// distinct image and pulling it back, over and over. Meanwhile it times
// manifest GETs and catalog pages and reports p50/p95/p99 (target: p95 under
// 200 ms). Numbers are reported, never asserted; a failed push or pull, or a
// pulled digest that differs from the pushed one, fails the benchmark.
//
//	go test -run '^$' -bench . -benchtime 300x ./test/bench/load/
//
// Three sub-benchmarks share one stack and one set of seeded clients:
//
//   - idle: the registry with no other traffic (the floor);
//   - paced=2s: every client pauses ESB_LOAD_PACE (default 2s) between
//     rounds, clients start spread over one period and the timed samples
//     over three (the realistic figure: 100 developers' clients);
//   - saturated: every client loops back to back (a closed loop of 100
//     in-flight clients: its latency is 100 ÷ the registry's throughput, so
//     it measures throughput on this machine, load generator included).
//
// ESB_REGISTRY_IMAGE picks the registry image (test/run exports it);
// without it test/fixtures/build builds it. ESB_LOAD_CLIENTS overrides 100.
// ESB_COMPOSE_FILE (a compose file merged over the default stack, as for
// `esbtui up`) lets you measure a registry setting without a rebuild. Each
// load sub-benchmark also reports push+pull rounds/s and the registry's own
// request rate (its Prometheus counters, scraped before and after).
package load

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/esbtui/esbtui/registryclient"
	"github.com/esbtui/esbtui/registryclient/registrytest"
)

// pace is the paced sub-benchmark's pause between a client's rounds.
func pace() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("ESB_LOAD_PACE")); err == nil && d > 0 {
		return d
	}
	return 2 * time.Second
}

func clients() int {
	if n, err := strconv.Atoi(os.Getenv("ESB_LOAD_CLIENTS")); err == nil && n > 0 {
		return n
	}
	return 100
}

// image is a fresh small image (one random 32 KiB layer) as a docker-save
// tarball tagged ref.
func image(ref string, seed uint64) ([]byte, error) {
	l, err := registrytest.Layer(32<<10, false, seed)
	if err != nil {
		return nil, err
	}
	img, err := registrytest.Image(time.Unix(1.7e9, 0), []string{"/x"}, map[string]string{"seed": fmt.Sprint(seed)}, l)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	err = registrytest.DockerSave(&buf, ref, img)
	return buf.Bytes(), err
}

// loadClient pushes a new image to its repository and pulls it back, once
// per round, checking the pulled digest.
type loadClient struct {
	c    *registryclient.Client
	repo string
	seed uint64
}

func (l *loadClient) round(ctx context.Context, tag string) error {
	l.seed += 1 << 20
	ref := l.repo + ":" + tag
	tar, err := image(ref, l.seed)
	if err != nil {
		return err
	}
	res, err := l.c.PushTarball(ctx, bytes.NewReader(tar), ref, "", nil)
	if err != nil {
		return fmt.Errorf("push %s: %w", ref, err)
	}
	got, err := l.c.Pull(ctx, ref, "", io.Discard, nil)
	if err != nil {
		return fmt.Errorf("pull %s: %w", ref, err)
	}
	if got.Digest != res.Digest {
		return fmt.Errorf("pull %s: digest %s, pushed %s", ref, got.Digest, res.Digest)
	}
	return nil
}

// BenchmarkUnderLoad: each iteration times one manifest GET (a random
// client's image) and one catalog walk with n=100 (each page timed), on the
// idle registry, then while the clients push and pull paced, then back to
// back.
func BenchmarkUnderLoad(b *testing.B) {
	s := getStack(b)
	n := clients()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	ls := make([]*loadClient, n)
	var wg sync.WaitGroup
	seedErrs := make([]error, n)
	for i := range ls {
		c, err := registryclient.New(registryclient.Options{CACertFile: s.caFile, Jobs: 2})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		ls[i] = &loadClient{c: c, repo: fmt.Sprintf("%s/load-%03d", s.addr, i), seed: uint64(i)}
		wg.Add(1)
		go func() { defer wg.Done(); seedErrs[i] = ls[i].round(ctx, "base") }()
	}
	wg.Wait()
	for _, err := range seedErrs {
		if err != nil {
			b.Fatal(err)
		}
	}

	tr := ls[0].c.Transport().Clone()
	hc := &http.Client{Transport: tr, Timeout: time.Minute}
	defer tr.CloseIdleConnections()
	sm := &sampler{hc: hc, addr: s.addr, n: n, r: rand.New(rand.NewPCG(1, 2))}

	b.Run("idle", func(b *testing.B) {
		var manifest, catalog []time.Duration
		b.ResetTimer()
		sm.sample(b, b.N, 0, &manifest, &catalog)
		b.StopTimer()
		report(b, "manifest", manifest)
		report(b, "catalog-page", catalog)
	})
	p := pace()
	b.Run("paced="+p.String(), func(b *testing.B) { underLoad(ctx, b, s, ls, sm, p) })
	b.Run("saturated", func(b *testing.B) { underLoad(ctx, b, s, ls, sm, 0) })
}

// sampler times manifest GETs of the seeded images and catalog walks.
type sampler struct {
	hc   *http.Client
	addr string
	n    int
	r    *rand.Rand
}

func (sm *sampler) sample(b *testing.B, k int, gap time.Duration, manifest, catalog *[]time.Duration) {
	for range k {
		time.Sleep(gap)
		d, err := timedGet(sm.hc, fmt.Sprintf("https://%s/v2/load-%03d/manifests/base", sm.addr, sm.r.IntN(sm.n)),
			"application/vnd.docker.distribution.manifest.v2+json")
		if err != nil {
			b.Fatal(err)
		}
		*manifest = append(*manifest, d)
		pages, err := catalogWalk(sm.hc, sm.addr, 100)
		if err != nil {
			b.Fatal(err)
		}
		*catalog = append(*catalog, pages...)
	}
}

// underLoad runs every client in a push + pull loop (pausing p between
// rounds, 0: back to back) and times b.N samples once the load is steady.
func underLoad(ctx context.Context, b *testing.B, s *stack, ls []*loadClient, sm *sampler, p time.Duration) {
	var rounds, failures atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for _, l := range ls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if p > 0 { // spread the clients over the period
				time.Sleep(time.Duration(rand.Int64N(int64(p))))
			}
			for k := 0; ; k++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := l.round(ctx, "r"+strconv.Itoa(k%4)); err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err)
				} else {
					rounds.Add(1)
				}
				if p > 0 {
					select {
					case <-stop:
						return
					case <-time.After(p):
					}
				}
			}
		}()
	}
	stopLoad := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopLoad()

	var manifest, catalog []time.Duration
	time.Sleep(max(2*time.Second, p)) // let the load reach steady state
	scraper := ls[0].c
	before, err := scraper.ScrapeMetrics(ctx, s.metrics)
	if err != nil {
		b.Fatal(err)
	}
	startRounds := rounds.Load()
	begin := time.Now()
	b.ResetTimer()
	// Paced, the samples are spread over three periods so they see the
	// load rather than the gaps between rounds.
	sm.sample(b, b.N, 3*p/time.Duration(b.N), &manifest, &catalog)
	b.StopTimer()
	window := time.Since(begin)
	done := rounds.Load() - startRounds
	after, err := scraper.ScrapeMetrics(ctx, s.metrics)
	if err != nil {
		b.Fatal(err)
	}
	stopLoad() // rounds still running finish and count

	report(b, "manifest", manifest)
	report(b, "catalog-page", catalog)
	b.ReportMetric(float64(done)/window.Seconds(), "push+pull/s")
	b.ReportMetric((after.Requests-before.Requests)/window.Seconds(), "registry-req/s")
	b.Logf("%d clients: %d push+pull rounds, %.0f registry requests in the %v window (%d failures); %d manifest GETs, %d catalog pages timed",
		len(ls), done, after.Requests-before.Requests, window.Round(time.Millisecond), failures.Load(), len(manifest), len(catalog))
	if f := failures.Load(); f > 0 {
		b.Fatalf("%d load rounds failed; first: %v", f, firstErr.Load())
	}
}

// timedGet GETs u and reads the whole body; the duration covers both.
func timedGet(hc *http.Client, u, accept string) (time.Duration, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return 0, err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	start := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return d, err
}

// catalogWalk reads every catalog page of n entries, following the Link
// header, and returns the time of each page.
func catalogWalk(hc *http.Client, addr string, n int) ([]time.Duration, error) {
	var out []time.Duration
	next := fmt.Sprintf("/v2/_catalog?n=%d", n)
	for next != "" {
		req, err := http.NewRequest(http.MethodGet, "https://"+addr+next, nil)
		if err != nil {
			return nil, err
		}
		start := time.Now()
		resp, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		out = append(out, time.Since(start))
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %s", next, resp.Status)
		}
		next = ""
		if l := resp.Header.Get("Link"); l != "" {
			if i, j := bytes.IndexByte([]byte(l), '<'), bytes.IndexByte([]byte(l), '>'); i >= 0 && j > i {
				next = l[i+1 : j]
			}
		}
	}
	return out, nil
}

func report(b *testing.B, what string, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	pct := func(p float64) float64 {
		i := int(p*float64(len(ds))+0.5) - 1
		i = min(max(i, 0), len(ds)-1)
		return float64(ds[i].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), what+"-p50-ms")
	b.ReportMetric(pct(0.95), what+"-p95-ms")
	b.ReportMetric(pct(0.99), what+"-p99-ms")
	b.Logf("%s: n=%d p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms", what, len(ds), pct(0.50), pct(0.95), pct(0.99), float64(ds[len(ds)-1].Microseconds())/1000)
}
