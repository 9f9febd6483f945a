package workspace

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFind(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b", "c")
	if err := os.MkdirAll(deep, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := Find(deep); err != nil || ok {
		t.Fatalf("Find without a workspace = ok %v, err %v", ok, err)
	}
	if err := os.Mkdir(filepath.Join(root, "a", Dir), 0o700); err != nil {
		t.Fatal(err)
	}
	got, ok, err := Find(deep)
	if err != nil || !ok || got != filepath.Join(root, "a") {
		t.Fatalf("Find = %q, %v, %v; want %q", got, ok, err, filepath.Join(root, "a"))
	}
	if StatePath(got) != filepath.Join(root, "a", Dir, StateFile) {
		t.Errorf("StatePath = %q", StatePath(got))
	}
	// a file named like the directory is not a workspace
	if err := os.WriteFile(filepath.Join(deep, Dir), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := Find(deep); got != filepath.Join(root, "a") {
		t.Errorf("a file %s was taken for a workspace: %q", Dir, got)
	}
}
