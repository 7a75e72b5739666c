package flows

import (
	"context"
	"fmt"
	"time"

	"github.com/esbtui/esbtui/registryserver"
	"github.com/esbtui/esbtui/stack"
	"github.com/esbtui/esbtui/stack/engine"
)

// alertsTimeout bounds measuring the storage for the alerts (an exec in
// the registry container): status and doctor never hang on it.
const alertsTimeout = 5 * time.Second

// Alerts measures the registry (its storage filesystem, its metrics since
// it started) and holds it to the thresholds in esb.yaml.
func (e *Env) Alerts(ctx context.Context) []Alert {
	in := AlertInputs{}
	ms, err := e.ScrapeMetrics(ctx)
	if err == nil {
		m := ComputeMetrics(nil, ms)
		in.Metrics = &m
	} else {
		in.MetricsErr = err.Error()
	}
	var inProcess bool
	in.Storage, in.StorageErr, inProcess = e.storageFilesystem(ctx, e.stackServices(ctx), func() bool { return err == nil || e.registryAnswers(ctx) })
	if inProcess && in.Metrics == nil {
		in.MetricsErr = noServeMetrics
	}
	return EvaluateAlerts(e.Cfg.Alerts, in)
}

// MeasureStorage measures the filesystem that holds the registry's data:
// in the stack's running registry container, else esbtui serve's
// directory while the registry answers.
func (e *Env) MeasureStorage(ctx context.Context) (*StorageFilesystem, error) {
	fs, why, _ := e.storageFilesystem(ctx, e.stackServices(ctx), func() bool { return e.registryAnswers(ctx) })
	if fs == nil {
		return nil, fmt.Errorf("measure the registry's storage: %s", why)
	}
	return fs, nil
}

// stackServices are the project's containers; none when the engine does
// not answer.
func (e *Env) stackServices(ctx context.Context) []engine.Service {
	eng, err := e.Engine(ctx)
	if err != nil {
		return nil
	}
	defer eng.Close()
	services, _ := eng.Ps(ctx, e.Cfg.Project)
	return services
}

// registryAnswers: the registry answers its /v2/ probe.
func (e *Env) registryAnswers(ctx context.Context) bool {
	c, err := e.Registry()
	if err != nil {
		return false
	}
	_, err = c.Probe(ctx, e.Cfg.Registry)
	return err == nil
}

// alertInputs are the snapshot's measures: the storage filesystem and the
// metrics the registry section scraped.
func (e *Env) alertInputs(ctx context.Context, st *StackStatus, reg *RegistryStatus) AlertInputs {
	var services []engine.Service
	if st != nil {
		services = st.Services
	}
	in := AlertInputs{}
	switch {
	case reg == nil || !reg.Reachable:
		in.MetricsErr = "the registry does not answer"
	case reg.Metrics != nil:
		in.Metrics = reg.Metrics
	default:
		in.MetricsErr = reg.MetricsError
	}
	var inProcess bool
	in.Storage, in.StorageErr, inProcess = e.storageFilesystem(ctx, services, func() bool { return reg != nil && reg.Reachable })
	if inProcess && in.Metrics == nil {
		in.MetricsErr = noServeMetrics
	}
	if reg != nil && in.Storage != nil {
		reg.Filesystem = in.Storage
	}
	return in
}

// noServeMetrics is why the in-process registry has no metrics alerts.
const noServeMetrics = "the in-process registry (esbtui serve) publishes no metrics; the stack's registry does (esbtui up)"

// storageFilesystem measures where the registry keeps its data: in the
// stack's running registry container, else (the registry answers, the
// stack runs none) esbtui serve's directory on this machine (inProcess).
// errMsg says why it could not.
func (e *Env) storageFilesystem(ctx context.Context, services []engine.Service, reachable func() bool) (fs *StorageFilesystem, errMsg string, inProcess bool) {
	ctx, cancel := context.WithTimeout(ctx, alertsTimeout)
	defer cancel()
	for _, s := range services {
		if s.Name != stack.RegistryService || s.State != "running" {
			continue
		}
		eng, err := e.Engine(ctx)
		if err != nil {
			return nil, err.Error(), false
		}
		defer eng.Close()
		var o stack.RegistryFSOptions
		if copied, _ := e.engineFilesCopied(ctx, eng); !copied {
			o.StatHere = statHere
		}
		rs, err := stack.RegistryFilesystem(ctx, eng, e.Cfg.Project, o)
		if err != nil {
			return nil, err.Error(), false
		}
		return &StorageFilesystem{Where: rs.Container + ":" + rs.Root, Method: rs.Method, FSUsage: rs.FSUsage, UsedPercent: rs.UsedPercent()}, "", false
	}
	dir := e.Cfg.RegistryDataDir()
	switch {
	case !reachable():
		return nil, "the registry is not running (esbtui up, or esbtui serve)", false
	case !isDir(dir):
		return nil, "the registry at " + e.Cfg.Registry + " is neither the stack's nor esbtui serve's: its storage is out of esbtui's sight", false
	}
	u, err := registryserver.StatFilesystem(dir)
	if err != nil {
		return nil, err.Error(), true
	}
	fu := usageOf(u)
	if fu.Total == 0 {
		return nil, "statfs " + dir + ": a filesystem of size 0", true
	}
	return &StorageFilesystem{Where: dir, Method: stack.MeasuredHere, FSUsage: fu, UsedPercent: fu.UsedPercent()}, "", true
}

// statHere is statfs of a path on this machine (a mount's source the
// engine shares with it).
func statHere(path string) (engine.FSUsage, error) {
	u, err := registryserver.StatFilesystem(path)
	if err != nil {
		return engine.FSUsage{}, err
	}
	fu := usageOf(u)
	if fu.Total == 0 {
		return engine.FSUsage{}, fmt.Errorf("statfs %s: a filesystem of size 0", path)
	}
	return fu, nil
}

func usageOf(u registryserver.FilesystemUsage) engine.FSUsage {
	return engine.FSUsage{Total: clampInt64(u.Total), Free: clampInt64(u.Free), Avail: clampInt64(u.Avail)}
}

func clampInt64(v uint64) int64 {
	if v > 1<<62 {
		return 1 << 62
	}
	return int64(v)
}
