package engine

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"
)

// VolumeFile is one file FillVolumes writes: its absolute path in the
// helper container (under one of the volumes' targets), its mode and its
// content. Files are owned by root (the registry's user in esbtui's image
// and in registry:3).
type VolumeFile struct {
	Path string
	Mode int64
	Data []byte
}

// FillVolumes delivers files to the engine through the API, for an engine
// that does not share esbtui's filesystem: it creates each named volume
// (volume name → mount target; an existing one is reused), creates — never
// starts — a container of image with the volumes mounted read-write, copies
// the files into it as one tar archive and removes the container. A file
// already in a volume is replaced (a new inode: a reader that checks the
// file's modification time sees the new content). labels mark the volumes
// and the helper container.
func (e *Engine) FillVolumes(ctx context.Context, image string, volumes map[string]string, labels map[string]string, files []VolumeFile) error {
	names := make([]string, 0, len(volumes))
	for name := range volumes {
		names = append(names, name)
	}
	sort.Strings(names)
	var mounts []mount.Mount
	for _, name := range names {
		if _, err := e.api.VolumeCreate(ctx, client.VolumeCreateOptions{Name: name, Labels: labels}); err != nil {
			return fmt.Errorf("stack: create volume %s on the engine at %s: %w", name, e.Host, err)
		}
		mounts = append(mounts, mount.Mount{Type: mount.TypeVolume, Source: name, Target: volumes[name]})
	}
	archive, err := volumeArchive(files, volumes)
	if err != nil {
		return err
	}
	cr, err := e.api.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config:     &container.Config{Image: image, Labels: labels, Entrypoint: []string{"/nonexistent"}},
		HostConfig: &container.HostConfig{NetworkMode: "none", Mounts: mounts},
	})
	if err != nil {
		return fmt.Errorf("stack: fill volumes %v: create a helper container of %s: %w", names, image, err)
	}
	defer e.removeOneOff(ctx, cr.ID, "volume-fill", client.ContainerRemoveOptions{Force: true})
	if _, err := e.api.CopyToContainer(ctx, cr.ID, client.CopyToContainerOptions{DestinationPath: "/", Content: bytes.NewReader(archive)}); err != nil {
		return fmt.Errorf("stack: fill volumes %v: copy %d file(s) through the engine API: %w", names, len(files), err)
	}
	return nil
}

// volumeArchive is the tar of files, each under one of the volumes'
// targets (anything else is refused: it would land in the helper's
// throwaway filesystem).
func volumeArchive(files []VolumeFile, volumes map[string]string) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	now := time.Now()
	for _, f := range files {
		p := path.Clean(f.Path)
		inside := false
		for _, target := range volumes {
			if strings.HasPrefix(p, path.Clean(target)+"/") {
				inside = true
			}
		}
		if !path.IsAbs(f.Path) || p != f.Path || !inside {
			return nil, fmt.Errorf("stack: fill volumes: %q is not a file in one of the volumes", f.Path)
		}
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(p, "/"), Mode: f.Mode, Size: int64(len(f.Data)), ModTime: now, Uid: 0, Gid: 0, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("stack: fill volumes: archive %s: %w", p, err)
		}
		if _, err := tw.Write(f.Data); err != nil {
			return nil, fmt.Errorf("stack: fill volumes: archive %s: %w", p, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("stack: fill volumes: archive: %w", err)
	}
	return buf.Bytes(), nil
}

// RemoveVolume removes a named volume; one that does not exist is not an
// error.
func (e *Engine) RemoveVolume(ctx context.Context, name string) error {
	if _, err := e.api.VolumeRemove(ctx, name, client.VolumeRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("stack: remove volume %s on the engine at %s: %w", name, e.Host, err)
	}
	return nil
}

// HasImage reports whether the engine holds ref.
func (e *Engine) HasImage(ctx context.Context, ref string) (bool, error) {
	if _, err := e.api.ImageInspect(ctx, ref); err != nil {
		if cerrdefs.IsNotFound(err) {
			return false, nil
		}
		return false, fmt.Errorf("stack: inspect image %s on the engine at %s: %w", ref, e.Host, err)
	}
	return true, nil
}
