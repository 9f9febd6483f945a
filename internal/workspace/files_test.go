package workspace

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFilesStayInside(t *testing.T) {
	t.Parallel()
	w := &Workspace{Root: t.TempDir()}
	for _, rel := range []string{"", ".", "..", "../x.tf", "/etc/passwd", ".proxmox-mpc/config.yaml", ".proxmox-mpc", "terraform/../../x"} {
		if err := w.WriteFile(rel, []byte("x"), 0o644); err == nil {
			t.Errorf("WriteFile(%q) succeeded", rel)
		}
		if _, _, err := w.ReadFile(rel); err == nil {
			t.Errorf("ReadFile(%q) succeeded", rel)
		}
		if err := w.RemoveFile(rel); err == nil {
			t.Errorf("RemoveFile(%q) succeeded", rel)
		}
	}
}

func TestFilesRoundTrip(t *testing.T) {
	t.Parallel()
	w := &Workspace{Root: t.TempDir()}
	if _, ok, err := w.ReadFile("terraform/a.tf"); ok || err != nil {
		t.Fatalf("missing file: ok=%v err=%v", ok, err)
	}
	if got, err := w.ReadDir("terraform", ".tf"); err != nil || len(got) != 0 {
		t.Fatalf("ReadDir of a missing folder = %v, %v", got, err)
	}
	for rel, data := range map[string]string{"terraform/a.tf": "a", "terraform/sub/b.tf": "b", "terraform/c.txt": "c", "terraform/.terraform/d.tf": "d"} {
		if err := w.WriteFile(rel, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := w.ReadDir("terraform", ".tf")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || string(got["terraform/a.tf"]) != "a" || string(got["terraform/sub/b.tf"]) != "b" {
		t.Errorf("ReadDir = %v, want a.tf and sub/b.tf only", got)
	}
	if err := w.WriteFile("tests/run.sh", []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(w.Root, "tests", "run.sh")); err != nil || st.Mode().Perm() != 0o755 {
		t.Errorf("mode: %v %v", st, err)
	}
	if err := w.RemoveFile("terraform/a.tf"); err != nil {
		t.Fatal(err)
	}
	if err := w.RemoveFile("terraform/a.tf"); err != nil {
		t.Errorf("removing a missing file: %v", err)
	}
	if _, ok, _ := w.ReadFile("terraform/a.tf"); ok {
		t.Error("file still there after RemoveFile")
	}
}
