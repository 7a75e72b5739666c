package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/esbtui/esbtui/internal/flows"
	"github.com/esbtui/esbtui/internal/progress"
)

// registry is the Registry section: env's probe, plus the repository names
// when the registry answers (the snapshot carries only their number).
func (b *EnvBackend) registry(ctx context.Context, s *flows.RegistryStatus) *RegistryState {
	rs := registryState(s, b.env().Cfg.Registry)
	if rs == nil || !rs.Reachable {
		return rs
	}
	repos, err := b.Catalog(ctx)
	if err != nil {
		rs.Err = err.Error()
		return rs
	}
	rs.Repos = repos
	if rs.Repos == nil {
		rs.Repos = []string{}
	}
	return rs
}

func registryState(s *flows.RegistryStatus, addr string) *RegistryState {
	if s == nil {
		return nil
	}
	rs := &RegistryState{Addr: s.Address, Reachable: s.Reachable, Err: s.Error, Metrics: s.Metrics}
	if rs.Addr == "" {
		rs.Addr = addr
	}
	if s.Fix != "" {
		rs.Err += " (" + s.Fix + ")"
	}
	if !s.Reachable && rs.Err == "" {
		rs.Err = "no answer"
	}
	return rs
}

// Catalog lists the registry's repositories.
func (b *EnvBackend) Catalog(ctx context.Context) ([]string, error) {
	res, err := b.env().Catalog(ctx)
	if err != nil {
		return nil, err
	}
	return res.Repositories, nil
}

// Tags lists repo's tags with what each holds and whether it is signed.
func (b *EnvBackend) Tags(ctx context.Context, repo string) ([]TagRow, error) {
	res, err := b.env().Tags(ctx, repo)
	if err != nil {
		return nil, err
	}
	rows := make([]TagRow, 0, len(res.Tags))
	for i, t := range res.Tags {
		row := TagRow{Name: t}
		if i < len(res.Details) {
			row.Kind, row.Signed = res.Details[i].Summary, res.Details[i].Signed
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// Inspect describes ref; for an index, its first image (the platforms are
// all listed).
func (b *EnvBackend) Inspect(ctx context.Context, ref string) (Image, error) {
	in, err := b.env().Inspect(ctx, ref)
	if err != nil {
		return Image{}, err
	}
	img := Image{Ref: in.Ref, Digest: in.Digest, MediaType: in.MediaType, Size: in.Size, Kind: in.Artifact.Summary(), Signed: in.Signed}
	if len(in.Images) > 0 {
		first := in.Images[0]
		img.Platform, img.Created, img.Size = first.Platform, first.Created, first.Size
		for _, l := range first.Layers {
			img.Layers = append(img.Layers, Layer{Digest: l.Digest, MediaType: l.MediaType, Size: l.Size})
		}
	}
	if in.Index {
		img.Platform = "index: " + strings.Join(in.Platforms, ", ")
	}
	for _, r := range in.Referrers {
		img.Referrers = append(img.Referrers, Referrer{Digest: r.Digest, ArtifactType: r.ArtifactType, Size: r.Size, Kind: r.Summary()})
	}
	return img, nil
}

// Delete removes the tag (or the manifest, for a digest reference).
func (b *EnvBackend) Delete(ctx context.Context, ref string, sink progress.Sink) (string, error) {
	d, err := b.env().Delete(ctx, ref)
	if err != nil {
		return "", err
	}
	msg := "deleted " + d.Ref
	if d.Note != "" {
		msg += " (" + d.Note + ")"
	}
	return msg, nil
}

// GC runs `esbtui gc`: esbtui's registry sweeps unreferenced blobs while
// it serves; another image stops, sweeps and starts again healthy.
func (b *EnvBackend) GC(ctx context.Context, sink progress.Sink) (string, error) {
	res, err := b.env().GC(ctx, false, sink)
	if err != nil {
		return "", err
	}
	msg := fmt.Sprintf("%s; %s, %s deleted", "reclaimed "+progress.Bytes(max(res.BytesReclaimed, 0)),
		plural(len(res.Blobs), "blob", "blobs"), plural(len(res.Manifests), "manifest", "manifests"))
	if res.Downtime > 0 {
		msg += fmt.Sprintf("; registry down %s", res.Downtime.Round(time.Millisecond))
	}
	if res.Online {
		msg += fmt.Sprintf("; online: %d read(s) served, %d write(s) held", res.ReadsServed, res.WritesHeld)
	}
	return msg, nil
}
