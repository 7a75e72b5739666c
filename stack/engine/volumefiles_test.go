package engine

import (
	"archive/tar"
	"bytes"
	"io"
	"testing"
)

// TestVolumeArchive: each file lands under a volume's target with its
// mode, owned by root; a path outside every volume, relative or not clean
// is refused.
func TestVolumeArchive(t *testing.T) {
	vols := map[string]string{"p_certs": "/certs", "p_auth": "/auth"}
	data, err := volumeArchive([]VolumeFile{{Path: "/certs/server.key", Mode: 0o600, Data: []byte("k")}, {Path: "/auth/htpasswd", Mode: 0o644, Data: []byte("h")}}, vols)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(data))
	got := map[string]int64{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s owned by %d:%d", h.Name, h.Uid, h.Gid)
		}
		got[h.Name] = h.Mode
	}
	if got["certs/server.key"] != 0o600 || got["auth/htpasswd"] != 0o644 || len(got) != 2 {
		t.Errorf("archive %v", got)
	}
	for _, bad := range []string{"/etc/passwd", "certs/server.key", "/certs/../etc/x", "/certs", "/certsx/a"} {
		if _, err := volumeArchive([]VolumeFile{{Path: bad, Mode: 0o644}}, vols); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
