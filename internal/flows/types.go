package flows

import (
	"context"
	"io"
	"log/slog"

	"github.com/esbtui/esbtui/internal/config"
	"github.com/esbtui/esbtui/pki"
	"github.com/esbtui/esbtui/registryclient"
	"github.com/esbtui/esbtui/registryserver"
	"github.com/esbtui/esbtui/stack"
	"github.com/esbtui/esbtui/stack/engine"
	"github.com/esbtui/esbtui/stack/selfimage"
	"github.com/esbtui/esbtui/trust"
)

// The domain types and values the two faces (the CLI and the dashboard)
// show, named through this layer so that they depend on flows alone:
// cmd/esbtui and tui → flows → pki, trust, stack, stack/engine,
// registryclient, registryserver → config, progress.
type (
	CertInfo      = pki.CertInfo
	CertReport    = pki.Report
	CertOptions   = pki.Options
	Service       = engine.Service
	RegistryEvent = registryserver.RegistryEvent
	MetricsSample = registryclient.MetricsSample
	Metrics       = registryclient.Metrics
	Inspection    = registryclient.Inspection
	PushResult    = registryclient.PushResult
	PruneResult   = registryclient.PruneResult
	TagsResult    = registryclient.TagsResult
	GCResult      = stack.GCResult
	TrustOp       = trust.Op
	TrustState    = trust.State
	// StoreStatus is one store's (or engine's) state and detail.
	StoreStatus = trust.Status
	// AlertThresholds are esb.yaml's alerts thresholds.
	AlertThresholds = config.Alerts
	// BadReferenceError is an image reference that does not parse.
	BadReferenceError = registryclient.BadReferenceError
)

// Trust operations and the states a store can be in.
const (
	TrustInstall   = trust.OpInstall
	TrustUninstall = trust.OpUninstall

	StoreTrusted       = trust.Trusted
	StoreMissing       = trust.Missing
	StoreStale         = trust.Stale
	StoreNotApplicable = trust.NotApplicable
	StoreUnknown       = trust.Unknown
)

// What push did with each layer (PushResult's layer actions).
const (
	LayerUploaded = registryclient.ActionUploaded
	LayerExists   = registryclient.ActionExists
	LayerMounted  = registryclient.ActionMounted
)

// StageTCP is the stage of a registry that refuses connections (nothing
// listens).
const StageTCP = registryclient.StageTCP

// TrustStoreNames are the trust stores, in the order they are installed.
func TrustStoreNames() []string { return trust.StoreNames() }

// ParseNames checks extra certificate names (--name).
func ParseNames(in []string) (pki.Names, error) { return pki.ParseNames(in) }

// ParseKeyType reads a server key type (--key-type).
func ParseKeyType(s string) (pki.KeyType, error) { return pki.ParseKeyType(s) }

// ComputeMetrics is the registry's rates between two scrapes.
func ComputeMetrics(prev, cur *MetricsSample) Metrics {
	return registryclient.ComputeMetrics(prev, cur)
}

// SetLibraryLogger sends what the embedded libraries (Compose,
// distribution) log to l; nil drops it. It never reaches the terminal.
func SetLibraryLogger(l *slog.Logger) { stack.SetLogger(l) }

// RegistryService is the registry's service name in the default project.
const RegistryService = stack.RegistryService

// SelfImageRepository is the repository of esbtui's own registry image
// (esbtui/registry:VERSION-HASH).
const SelfImageRepository = selfimage.Repository

// RegistryServerCommand is the hidden esbtui command esbtui's registry
// image runs.
const RegistryServerCommand = selfimage.RegistryServerCommand

// RunRegistryInContainer is that command: the registry (serve,
// garbage-collect), its healthcheck and du, inside the registry image.
// The schedules are what `esbtui up` handed the container (config.LoadRegistryd);
// mirrorDir the mirror's settings directory (config.RegistrydMirrorDir; "" for none).
func RunRegistryInContainer(ctx context.Context, args []string, stdout, stderr io.Writer, s config.Schedules, mirrorDir string) error {
	return registryserver.RunInContainerWith(ctx, args, stdout, stderr, registryserver.ContainerOptions{Schedules: registryserver.Schedules{
		GC: s.GC, Retention: s.Retention, Policy: registryserver.RetentionPolicy{Keep: s.Keep, KeepTags: s.KeepTags},
	}, MirrorDir: mirrorDir})
}
