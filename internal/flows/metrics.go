package flows

import (
	"context"
	"fmt"
	"time"

	"github.com/esbtui/esbtui/registryclient"
)

// MetricsURL is the registry's Prometheus endpoint: its debug server,
// published on loopback at the registry port + 1.
func (e *Env) MetricsURL() string {
	return fmt.Sprintf("http://127.0.0.1:%d/metrics", e.debugPort())
}

// ScrapeMetrics reads the registry's counters once. The TUI polls it and
// feeds consecutive samples to registryclient.ComputeMetrics for live
// rates.
func (e *Env) ScrapeMetrics(ctx context.Context) (*registryclient.MetricsSample, error) {
	c, err := e.Registry()
	if err != nil {
		return nil, err
	}
	return c.ScrapeMetrics(ctx, e.MetricsURL())
}

// Metrics are the registry's request rate, error rate, p95 latency and
// bytes in/out: over interval (two scrapes that far apart), or since the
// registry started when interval is 0.
func (e *Env) Metrics(ctx context.Context, interval time.Duration) (*registryclient.Metrics, error) {
	first, err := e.ScrapeMetrics(ctx)
	if err != nil {
		return nil, err
	}
	if interval <= 0 {
		m := registryclient.ComputeMetrics(nil, first)
		return &m, nil
	}
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("metrics: %w", ctx.Err())
	case <-time.After(interval):
	}
	second, err := e.ScrapeMetrics(ctx)
	if err != nil {
		return nil, err
	}
	m := registryclient.ComputeMetrics(first, second)
	return &m, nil
}
