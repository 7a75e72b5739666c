// Package load measures the stack's registry (the real registry image,
// TLS, published on 127.0.0.1 by `esbtui up`) under the load the design asks
// for: 100 concurrent registryclient clients, each pushing its own small
// distinct image and pulling it back, over and over. Meanwhile it times
// manifest GETs and catalog pages and reports p50/p95/p99 (target: p95 under
// 200 ms). Numbers are reported, never asserted.
//
//	go test -run '^$' -bench . -benchtime 400x ./test/bench/load/
//
// ESB_REGISTRY_IMAGE picks the registry image (test/run exports it);
// without it test/fixtures/build builds it. ESB_LOAD_CLIENTS overrides 100;
// ESB_LOAD_PACE (a duration, default 0: back to back) is each client's
// pause between rounds (clients start spread over one period; the timed
// samples are spread over three). Before the load starts it also times 100 manifest
// GETs and catalog walks on the idle registry (the idle-* metrics).
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

func pace() time.Duration {
	d, _ := time.ParseDuration(os.Getenv("ESB_LOAD_PACE"))
	return d
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
// client's image) and one catalog walk with n=100 (each page timed) while
// the clients keep pushing and pulling.
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
	r := rand.New(rand.NewPCG(1, 2))
	sample := func(k int, gap time.Duration, manifest, catalog *[]time.Duration) {
		for range k {
			time.Sleep(gap)
			d, err := timedGet(hc, fmt.Sprintf("https://%s/v2/load-%03d/manifests/base", s.addr, r.IntN(n)),
				"application/vnd.docker.distribution.manifest.v2+json")
			if err != nil {
				b.Fatal(err)
			}
			*manifest = append(*manifest, d)
			pages, err := catalogWalk(hc, s.addr, 100)
			if err != nil {
				b.Fatal(err)
			}
			*catalog = append(*catalog, pages...)
		}
	}
	var idleManifest, idleCatalog []time.Duration
	sample(100, 0, &idleManifest, &idleCatalog)

	// The load: every client loops push + pull until the timing is done.
	var rounds, failures atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	for _, l := range ls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if p := pace(); p > 0 { // spread the clients over the period
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
				if p := pace(); p > 0 {
					select {
					case <-stop:
						return
					case <-time.After(p):
					}
				}
			}
		}()
	}

	var manifest, catalog []time.Duration
	time.Sleep(2 * time.Second) // let the load reach steady state
	startRounds := rounds.Load()
	begin := time.Now()
	b.ResetTimer()
	// Paced, the samples are spread over three periods so they see the
	// load rather than the gaps between rounds.
	sample(b.N, 3*pace()/time.Duration(b.N), &manifest, &catalog)
	b.StopTimer()
	window := time.Since(begin)
	close(stop)
	wg.Wait()

	report(b, "idle-manifest", idleManifest)
	report(b, "idle-catalog-page", idleCatalog)
	report(b, "manifest", manifest)
	report(b, "catalog-page", catalog)
	b.ReportMetric(float64(rounds.Load()-startRounds)/window.Seconds(), "push+pull/s")
	b.Logf("%d clients: %d push+pull rounds in the %v window (%d failures); %d manifest GETs, %d catalog pages timed",
		n, rounds.Load()-startRounds, window.Round(time.Millisecond), failures.Load(), len(manifest), len(catalog))
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
