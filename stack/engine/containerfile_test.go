package engine

import (
	"archive/tar"
	"bytes"
	"strings"
	"testing"
)

func tarOf(t *testing.T, h *tar.Header, body []byte) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(h); err != nil {
		t.Fatal(err)
	}
	tw.Write(body)
	tw.Close()
	return &buf
}

// readSingleFile: a regular file's bytes, a link's target (Alpine's
// /etc/ssl/cert.pem), and refusals for a directory or a file over the limit.
func TestReadSingleFile(t *testing.T) {
	data, link, err := readSingleFile(tarOf(t, &tar.Header{Name: "ca.crt", Typeflag: tar.TypeReg, Size: 5, Mode: 0o644}, []byte("hello")), 10)
	if err != nil || link != "" || string(data) != "hello" {
		t.Errorf("regular: %q %q %v", data, link, err)
	}
	_, link, err = readSingleFile(tarOf(t, &tar.Header{Name: "cert.pem", Typeflag: tar.TypeSymlink, Linkname: "certs/ca-certificates.crt"}, nil), 10)
	if err != nil || link != "certs/ca-certificates.crt" {
		t.Errorf("symlink: %q %v", link, err)
	}
	if _, _, err := readSingleFile(tarOf(t, &tar.Header{Name: "certs/", Typeflag: tar.TypeDir, Mode: 0o755}, nil), 10); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: %v", err)
	}
	if _, _, err := readSingleFile(tarOf(t, &tar.Header{Name: "big", Typeflag: tar.TypeReg, Size: 11, Mode: 0o644}, bytes.Repeat([]byte("x"), 11)), 10); err == nil || !strings.Contains(err.Error(), "more than the 10") {
		t.Errorf("too large: %v", err)
	}
}
