package tui

import (
	"time"

	"github.com/esbtui/esbtui/internal/flows"
)

// State is what the dashboard shows: one picture of the chain, gathered by
// Backend.Snapshot. A nil section means the backend cannot gather it (yet);
// the pane says so instead of guessing.
type State struct {
	Home     string
	Certs    flows.CertReport
	Trust    *TrustState
	Stack    *StackState
	Registry *RegistryState
	// Functions are the buildable images (functions/ dirs, compose build:
	// sections); `b` and `p` act on them.
	Functions []string
	// RegistryRuns are the registry's own recent gc and retention runs
	// (its schedules); the Log pane shows the new ones.
	RegistryRuns []RegistryRun
}

// TrustState lists every trust store the CA should be in.
type TrustState struct {
	Stores []TrustStore
	Err    string
	// Notes are facts worth knowing (WSL, a sandbox root).
	Notes []string
}

// Trust states of one store.
const (
	Trusted = "trusted"
	Missing = "missing"
	Stale   = "stale"
	NA      = "n/a"
	// Unknown: the check itself failed (Reason says why).
	Unknown = "unknown"
)

// TrustStore is one store (system, docker certs.d, NSS, Java...).
type TrustStore struct {
	Name   string
	State  string // Trusted, Missing, Stale, NA or Unknown
	Reason string
	// Warning is set when the store trusts the CA with a caveat.
	Warning string
}

// StackState is the compose project and the engine under it.
type StackState struct {
	// Engine describes the engine ("docker 20.10.24, API 1.41"); empty with
	// EngineErr set when it cannot be reached.
	Engine    string
	EngineErr string
	Project   string
	Services  []Service
	// Serving is true while the in-process registry (`s`) runs.
	Serving bool
}

// Service is one compose service.
type Service struct {
	Name    string
	State   string // running, exited, created...
	Health  string // healthy, unhealthy, starting, or "" without a healthcheck
	Ports   []string
	Started time.Time
	// Detail says why a service is not healthy (last healthcheck output,
	// exit code).
	Detail string
	// Image is a line on the image the registry runs (esbtui's own or
	// another), empty for other services.
	Image string
	// TrustCA: esbtui's CA bundle is mounted into the container (the
	// service opted in; `esbtui trust containers` checks it inside).
	TrustCA bool
}

// RegistryState is the registry the stack publishes.
type RegistryState struct {
	Addr      string
	Reachable bool
	Err       string
	Repos     []string
	// Metrics are the registry's rates since it started (nil when its
	// metrics endpoint does not answer); the pane shows live rates once
	// the dashboard has scraped twice.
	Metrics *flows.Metrics
	// Alerts are the registry's alerts from the snapshot (storage, push
	// and pull success, API p95, since the registry started); while the
	// dashboard polls the metrics it judges those over its own window.
	Alerts []flows.Alert
	// AlertThresholds are the thresholds they are held to (esb.yaml).
	AlertThresholds flows.AlertThresholds
	// Mirrors is the pull-through caches section (nil: none configured).
	Mirrors *MirrorsState
}

// Image is what Inspect reports about one reference.
type Image struct {
	Ref       string
	Digest    string
	MediaType string
	Platform  string
	Size      int64
	Created   time.Time
	Layers    []Layer
	// Referrers are the manifests whose subject this is (signatures,
	// SBOMs), through the referrers API or the fallback tag.
	Referrers []Referrer
	// Kind says what the manifest holds ("image", "chart demo 0.1.0");
	// Signed that a signature refers to it.
	Kind   string
	Signed bool
}

// Referrer is one manifest that refers to an image.
type Referrer struct {
	Digest       string
	ArtifactType string
	Size         int64
	// Kind is what it is: "signature (notary)", "sbom (SPDX)", ….
	Kind string
}

// TagRow is one tag of a repository: what it holds and whether it is
// signed.
type TagRow struct {
	Name   string
	Kind   string
	Signed bool
}

// Layer is one blob of an image.
type Layer struct {
	Digest    string
	MediaType string
	Size      int64
}
