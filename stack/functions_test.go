package stack

import (
	"os"
	"path/filepath"
	"testing"
)

func TestDiscoverFunctions(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"functions/lambda-dynamo", "functions/Hello", "functions/no-dockerfile"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	os.WriteFile(filepath.Join(root, "functions/lambda-dynamo/Dockerfile"), []byte("FROM scratch\n"), 0o644)
	os.WriteFile(filepath.Join(root, "functions/Hello/Dockerfile"), []byte("FROM scratch\n"), 0o644)
	fns, err := DiscoverFunctions(filepath.Join(root, "functions"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(fns) != 2 || fns[0].Name != "hello" || fns[1].Name != "lambda-dynamo" || fns[1].Dockerfile != "Dockerfile" {
		t.Fatalf("%+v", fns)
	}
	none, err := DiscoverFunctions(t.TempDir(), nil)
	if err != nil || len(none) != 0 {
		t.Fatalf("empty dir: %v %v", none, err)
	}
}
