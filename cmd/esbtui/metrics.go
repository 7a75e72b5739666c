package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/progress"
)

// newMetricsCmd builds `esbtui metrics`.
func newMetricsCmd(a *app) *cobra.Command {
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "metrics [--interval D]",
		Short: "Show the registry's request rate, error rate, p95 latency and bytes in/out",
		Long: `metrics reads the registry's Prometheus endpoint (its debug server, published on
127.0.0.1 at the registry port + 1) and prints request rate, 5xx error rate,
p95 request latency and request/response bytes: since the registry started,
or with --interval D over the next D (two scrapes).`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := a.env.Metrics(cmd.Context(), interval)
			if err != nil {
				return err
			}
			return a.output(m, func() {
				a.printf("registry metrics (%s, %s)\n", a.env.MetricsURL(), windowText(m))
				for _, l := range metricLines(m) {
					a.printf("  %s\n", l)
				}
			})
		},
	}
	cmd.Flags().DurationVar(&interval, "interval", 0, "measure over this long instead of since the registry started")
	return cmd
}

func windowText(m *flows.Metrics) string {
	w := m.Window.Round(time.Second)
	if m.Since == "start" {
		return "since the registry started " + w.String() + " ago"
	}
	return "over " + w.String()
}

// metricLines is the metrics block of `metrics` and `status`.
func metricLines(m *flows.Metrics) []string {
	return []string{
		fmt.Sprintf("requests  %d (%.2f/s), 5xx %d (%.1f%%), 4xx %d", m.Requests, m.RequestRate, m.Errors, 100*m.ErrorRate, m.ClientErrors),
		fmt.Sprintf("p95       %s", m.P95.Round(10*time.Microsecond)),
		fmt.Sprintf("bytes     in %s (%s/s), out %s (%s/s)", progress.Bytes(m.BytesIn), progress.Bytes(int64(m.BytesInRate)), progress.Bytes(m.BytesOut), progress.Bytes(int64(m.BytesOutRate))),
	}
}
