package flows

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/esbtui/esbtui/registryclient"
)

// RegistryStatus is the registry section of a Snapshot.
type RegistryStatus struct {
	Address    string `json:"address"`
	Reachable  bool   `json:"reachable"`
	APIVersion string `json:"api_version,omitempty"`
	Auth       string `json:"auth,omitempty"`
	LatencyMS  int64  `json:"latency_ms,omitempty"`
	// Repositories is the catalog size; -1 when it could not be listed.
	Repositories int `json:"repositories"`
	// StorageBytes is the size of the registry's data where esbtui can see
	// it (the in-process registry's directory); -1 when unknown.
	StorageBytes  int64  `json:"storage_bytes"`
	StorageSource string `json:"storage_source,omitempty"`
	// Metrics are the registry's rates since it started (request rate,
	// 5xx error rate, p95 latency, bytes in/out), from its loopback
	// /metrics; nil when that does not answer (esbtui serve has none).
	Metrics *registryclient.Metrics `json:"metrics,omitempty"`
	// MetricsError says why Metrics is nil.
	MetricsError string `json:"metrics_error,omitempty"`
	// Filesystem is the filesystem holding the registry's data (its
	// volume in the stack's container, or esbtui serve's directory), for
	// the storage alert; nil when it could not be measured.
	Filesystem *StorageFilesystem `json:"filesystem,omitempty"`
	// Stage, Error and Fix say why it is unreachable: "tcp" (nothing
	// listens: the stack is down), "tls" or "http" (something is wrong).
	Stage string `json:"stage,omitempty"`
	Error string `json:"error,omitempty"`
	Fix   string `json:"fix,omitempty"`
}

func (e *Env) registryStatus(ctx context.Context) *RegistryStatus {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	st := &RegistryStatus{Address: e.Cfg.Registry, Repositories: -1, StorageBytes: -1}
	c, err := e.Registry()
	if err != nil {
		st.Error = err.Error()
		return st
	}
	p, err := c.Probe(ctx, e.Cfg.Registry)
	if err != nil {
		var ue *registryclient.UnreachableError
		if errors.As(err, &ue) {
			st.Stage, st.Error, st.Fix = string(ue.Stage), ue.Reason, ue.Fix
		} else {
			st.Error = err.Error()
		}
		return st
	}
	st.Reachable, st.APIVersion, st.Auth, st.LatencyMS = true, p.APIVersion, p.Auth, p.Latency.Milliseconds()
	if cat, err := c.Catalog(ctx, e.Cfg.Registry); err == nil {
		st.Repositories = len(cat.Repositories)
	} else {
		st.Error = "catalog: " + err.Error()
	}
	if ms, err := e.ScrapeMetrics(ctx); err == nil {
		m := registryclient.ComputeMetrics(nil, ms)
		st.Metrics = &m
	} else {
		st.MetricsError = err.Error()
	}
	if dir := e.Cfg.RegistryDataDir(); isDir(dir) {
		if n, err := dirSize(ctx, dir); err == nil {
			st.StorageBytes, st.StorageSource = n, dir
		}
	}
	return st
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func dirSize(ctx context.Context, dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n, err
}

// ok: a registry that does not listen is a state (the stack is down, as
// stackStatus reports); one that answers with the wrong certificate or is
// not a registry is a failure.
func (s *RegistryStatus) ok() bool {
	return s == nil || s.Reachable || s.Stage == string(registryclient.StageTCP) || s.Stage == string(registryclient.StageDNS)
}
