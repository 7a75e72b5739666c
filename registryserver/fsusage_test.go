package registryserver

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// `registryd df PATH` prints the filesystem's total, free and available
// bytes and the path, as statfs says.
func TestRegistrydDf(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if err := RunInContainer(context.Background(), []string{"df", dir}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	var total, free, avail uint64
	var path string
	if _, err := fmt.Sscanf(out.String(), "%d\t%d\t%d\t%s\n", &total, &free, &avail, &path); err != nil {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	if path != dir || total == 0 || free > total || avail > free {
		t.Fatalf("df %q: total %d free %d avail %d", out.String(), total, free, avail)
	}
	want, err := StatFilesystem(dir)
	if err != nil || want.Total != total {
		t.Fatalf("StatFilesystem %+v %v, df said total %d", want, err, total)
	}
	if err := RunInContainer(context.Background(), []string{"df", filepath.Join(dir, "missing")}, &out, &errOut); err == nil {
		t.Fatal("df of a missing path must fail")
	}
	if err := RunInContainer(context.Background(), []string{"df"}, &out, &errOut); err == nil {
		t.Fatal("df without a path must fail")
	}
}
