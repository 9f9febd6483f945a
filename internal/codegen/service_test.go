package codegen

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state/sqlite"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state/statetest"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// fakeGenerate writes one file per guest whose content carries the name
// and the cores, so that a live change changes one line.
func fakeGenerate(guests []state.Guest, _ map[int]string) ([]File, error) {
	var out []File
	for _, g := range guests {
		out = append(out, File{Path: fmt.Sprintf("terraform/%s.tf", g.Name),
			Content: fmt.Appendf(nil, "resource \"x\" \"%s\" {\n  name = %q\n\n  cores = %s\n}\n", g.Name, g.Name, g.Config["cores"])})
	}
	out = append(out, File{Path: "tests/ansible/run.sh", Content: []byte("#!/bin/sh\n"), Exec: true})
	return out, nil
}

func TestServiceRun(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	inv := statetest.SampleInventory(3)
	statetest.Sync(t, st, statetest.Epoch(), inv, nil)
	ws := &workspace.Workspace{Root: t.TempDir()}
	svc := &Service{Store: st, Workspace: ws, Generate: fakeGenerate}

	res, err := svc.Run(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Count(Create) != 4 {
		t.Fatalf("first run: %s", res.Summary())
	}
	if fi, err := os.Stat(filepath.Join(ws.Root, "tests", "ansible", "run.sh")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("run.sh mode: %v %v", fi, err)
	}
	name := inv.Guests[0].Name
	path := "terraform/" + name + ".tf"

	// Second run, nothing changed: all unchanged.
	if res, err = svc.Run(ctx, Options{}); err != nil || res.Count(Unchanged) != 4 {
		t.Fatalf("second run: %s, %v", res.Summary(), err)
	}

	// A person edits the file; the live cores change: merged.
	edited, _, _ := ws.ReadFile(path)
	edited = []byte(strings.Replace(string(edited), "resource", "# web tier\nresource", 1))
	if err := ws.WriteFile(path, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	inv.Guests[0].Config["cores"] = "16"
	statetest.Sync(t, st, statetest.Epoch().Add(1e9), inv, nil)
	if res, err = svc.Run(ctx, Options{}); err != nil || res.Count(Merged) != 1 {
		t.Fatalf("after an edit and a live change: %s, %v", res.Summary(), err)
	}
	got, _, _ := ws.ReadFile(path)
	if !strings.Contains(string(got), "# web tier") || !strings.Contains(string(got), "cores = 16") {
		t.Errorf("merged file lost a side:\n%s", got)
	}

	// The person edits the cores line; the live cores change again: conflict, nothing written.
	mine := []byte(strings.Replace(string(got), "cores = 16", "cores = 32", 1))
	if err := ws.WriteFile(path, mine, 0o644); err != nil {
		t.Fatal(err)
	}
	inv.Guests[0].Config["cores"] = "8"
	inv.Guests[1].Config["cores"] = "8"
	statetest.Sync(t, st, statetest.Epoch().Add(2e9), inv, nil)
	_, err = svc.Run(ctx, Options{})
	var ce *ConflictError
	if !errors.As(err, &ce) || len(ce.Steps) != 1 || ce.Steps[0].Path != path || !strings.Contains(err.Error(), path) {
		t.Fatalf("conflicting run: %v", err)
	}
	if now, _, _ := ws.ReadFile(path); string(now) != string(mine) {
		t.Errorf("a conflicting run changed the person's file")
	}
	other, _, _ := ws.ReadFile("terraform/" + inv.Guests[1].Name + ".tf")
	if strings.Contains(string(other), "cores = 8") {
		t.Errorf("a conflicting run wrote another file")
	}

	// --force replaces the edit; then the removal of a guest removes its file.
	if res, err = svc.Run(ctx, Options{Force: true}); err != nil || res.Count(Update) != 2 {
		t.Fatalf("forced run: %s, %v", res.Summary(), err)
	}
	inv.Guests = inv.Guests[1:]
	statetest.Sync(t, st, statetest.Epoch().Add(3e9), inv, nil)
	if res, err = svc.Run(ctx, Options{}); err != nil || res.Count(Remove) != 1 {
		t.Fatalf("after a removal: %s, %v", res.Summary(), err)
	}
	if _, ok, _ := ws.ReadFile(path); ok {
		t.Errorf("%s still exists after its guest was removed", path)
	}
}
