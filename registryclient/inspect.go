package registryclient

import (
	"context"
	"fmt"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/esbtui/esbtui/internal/termtext"
)

// Inspection describes a manifest or an index and the images it names.
type Inspection struct {
	Ref       string `json:"ref"`
	Digest    string `json:"digest"`
	MediaType string `json:"media_type"`
	Size      int64  `json:"size"`
	Index     bool   `json:"index"`
	// Artifact says what the manifest holds: an image, an index of
	// images, a Helm chart, a signature, an SBOM, another artifact.
	Artifact Artifact `json:"artifact"`
	// Signed is true when a referrer is a signature.
	Signed    bool        `json:"signed"`
	Platforms []string    `json:"platforms,omitempty"`
	Images    []ImageInfo `json:"images"`
	// Referrers are the manifests whose subject this one is (signatures,
	// SBOMs); ReferrersError says why they could not be listed (inspect
	// still answers).
	Referrers      []Referrer `json:"referrers"`
	ReferrersError string     `json:"referrers_error,omitempty"`
}

// ImageInfo is one image manifest: its layers and the config fields people ask for.
type ImageInfo struct {
	Digest     string            `json:"digest"`
	MediaType  string            `json:"media_type"`
	Platform   string            `json:"platform,omitempty"`
	Created    time.Time         `json:"created"`
	Entrypoint []string          `json:"entrypoint,omitempty"`
	Cmd        []string          `json:"cmd,omitempty"`
	WorkingDir string            `json:"working_dir,omitempty"`
	User       string            `json:"user,omitempty"`
	Env        []string          `json:"env,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
	Config     string            `json:"config_digest"`
	Layers     []LayerInfo       `json:"layers"`
	Size       int64             `json:"size"` // compressed layers + config
}

// LayerInfo is one layer blob.
type LayerInfo struct {
	Digest    string `json:"digest"`
	MediaType string `json:"media_type"`
	Size      int64  `json:"size"`
}

// Inspect fetches ref's manifest (or index and each child manifest) and the
// config of each image.
func (c *Client) Inspect(ctx context.Context, ref, defaultRegistry string) (*Inspection, error) {
	r, err := ParseReference(ref, defaultRegistry)
	if err != nil {
		return nil, err
	}
	if _, err := c.probe(ctx, r.Context().Registry); err != nil {
		return nil, err
	}
	reg := r.Context().Registry
	desc, err := remote.Get(r, c.remoteOptions(ctx)...)
	if err != nil {
		return nil, notFound("manifest", r.Name(), c.regErr(reg, "inspect "+r.Name(), err))
	}
	out := &Inspection{Ref: r.Name(), Digest: desc.Digest.String(), MediaType: string(desc.MediaType), Size: desc.Size}
	if out.Referrers, err = c.referrers(ctx, r.Context(), desc.Digest.String()); err != nil {
		out.Referrers = []Referrer{}
		out.ReferrersError = termtext.Clean(c.regErr(reg, "referrers of "+r.Name(), err).Error())
	}
	for _, rf := range out.Referrers {
		out.Signed = out.Signed || rf.Kind == KindSignature
	}
	out.Artifact = c.describe(ctx, r.Context(), desc)
	if k := out.Artifact.Kind; k != KindImage && k != KindIndex {
		// An artifact is described, not read as an image.
		out.Images = []ImageInfo{}
		return out, nil
	}
	if desc.MediaType.IsIndex() {
		out.Index = true
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, c.regErr(reg, "inspect "+r.Name()+": read index", err)
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, c.regErr(reg, "inspect "+r.Name()+": parse index", err)
		}
		for _, m := range im.Manifests {
			plat := ""
			if m.Platform != nil {
				plat = termtext.Clean(m.Platform.String())
				out.Platforms = append(out.Platforms, plat)
			}
			if !m.MediaType.IsImage() {
				continue
			}
			img, err := idx.Image(m.Digest)
			if err != nil {
				return nil, c.regErr(reg, "inspect "+r.Name()+": image "+m.Digest.String(), err)
			}
			info, err := imageInfo(img)
			if err != nil {
				return nil, c.regErr(reg, "inspect "+r.Context().Name()+"@"+m.Digest.String(), err)
			}
			if info.Platform == "" {
				info.Platform = plat
			}
			out.Images = append(out.Images, *info)
		}
		return out, nil
	}
	img, err := desc.Image()
	if err != nil {
		return nil, c.regErr(reg, "inspect "+r.Name(), err)
	}
	info, err := imageInfo(img)
	if err != nil {
		return nil, c.regErr(reg, "inspect "+r.Name(), err)
	}
	if info.Platform != "" {
		out.Platforms = []string{info.Platform}
	}
	out.Images = []ImageInfo{*info}
	return out, nil
}

func imageInfo(img v1.Image) (*ImageInfo, error) {
	d, err := img.Digest()
	if err != nil {
		return nil, err
	}
	mt, err := img.MediaType()
	if err != nil {
		return nil, err
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", m.Config.Digest, err)
	}
	info := &ImageInfo{
		Digest:    d.String(),
		MediaType: string(mt),
		Created:   cf.Created.Time,
		Config:    m.Config.Digest.String(),
		Size:      m.Config.Size,
	}
	if cf.OS != "" {
		info.Platform = termtext.Clean(cf.Platform().String())
	}
	// The config is whatever the image's author wrote: cleaned of control
	// sequences before it can reach a terminal.
	info.Entrypoint = cleanAll(cf.Config.Entrypoint)
	info.Cmd = cleanAll(cf.Config.Cmd)
	info.WorkingDir = termtext.Clean(cf.Config.WorkingDir)
	info.User = termtext.Clean(cf.Config.User)
	info.Env = cleanAll(cf.Config.Env)
	if len(cf.Config.Labels) > 0 {
		info.Labels = make(map[string]string, len(cf.Config.Labels))
		for k, v := range cf.Config.Labels {
			info.Labels[termtext.Clean(k)] = termtext.Clean(v)
		}
	}
	for _, l := range m.Layers {
		info.Layers = append(info.Layers, LayerInfo{Digest: l.Digest.String(), MediaType: string(l.MediaType), Size: l.Size})
		info.Size += l.Size
	}
	return info, nil
}

// created returns the config creation time of ref's image (for an index, the
// newest of its images).
func (c *Client) created(ctx context.Context, ref name.Reference) (time.Time, v1.Hash, error) {
	desc, err := remote.Get(ref, c.remoteOptions(ctx)...)
	if err != nil {
		return time.Time{}, v1.Hash{}, err
	}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return time.Time{}, desc.Digest, err
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return time.Time{}, desc.Digest, err
		}
		var newest time.Time
		for _, m := range im.Manifests {
			if !m.MediaType.IsImage() {
				continue
			}
			img, err := idx.Image(m.Digest)
			if err != nil {
				return time.Time{}, desc.Digest, err
			}
			cf, err := img.ConfigFile()
			if err != nil {
				return time.Time{}, desc.Digest, err
			}
			if cf.Created.After(newest) {
				newest = cf.Created.Time
			}
		}
		return newest, desc.Digest, nil
	}
	if f, _, err := parseManifestFacts(desc.Manifest, string(desc.MediaType)); err == nil && Classify(f).Kind != KindImage {
		// An artifact (a Helm chart) has no image config: its age is the
		// manifest's created annotation, when it has one.
		return artifactCreated(desc.Manifest), desc.Digest, nil
	}
	img, err := desc.Image()
	if err != nil {
		return time.Time{}, desc.Digest, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return time.Time{}, desc.Digest, err
	}
	return cf.Created.Time, desc.Digest, nil
}

// cleanAll is termtext.Clean of each string (nil stays nil).
func cleanAll(in []string) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = termtext.Clean(s)
	}
	return out
}
