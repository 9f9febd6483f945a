package codegen

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"maps"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/terraform"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state/sqlite"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state/statetest"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// fakeCacheStore is a CodeCacheStore in memory that can fail.
type fakeCacheStore struct {
	mu             sync.Mutex
	m              map[string][]byte
	getErr, putErr error
	usedAt         time.Time
}

func (f *fakeCacheStore) CodeCacheGet(_ context.Context, hashes []string) (map[string][]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.getErr != nil {
		return nil, f.getErr
	}
	out := map[string][]byte{}
	for _, h := range hashes {
		if v, ok := f.m[h]; ok {
			out[h] = v
		}
	}
	return out, nil
}

func (f *fakeCacheStore) CodeCachePut(_ context.Context, entries map[string][]byte, usedAt time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.putErr != nil {
		return f.putErr
	}
	if f.m == nil {
		f.m = map[string][]byte{}
	}
	maps.Copy(f.m, entries)
	f.usedAt = usedAt
	return nil
}

var _ CodeCacheStore = (*fakeCacheStore)(nil)

// TestStoreCache: the adapter passes values through, stamps Puts with the
// time, and turns a failing store into a logged miss.
func TestStoreCache(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		getErr, putErr error
		wantGet        map[string][]byte
		wantStored     int
		wantLog        string
	}{
		{name: "works", wantGet: map[string][]byte{"h1": []byte("v1")}, wantStored: 2},
		{name: "get fails", getErr: errors.New("database is locked"), wantStored: 2, wantLog: "database is locked"},
		{name: "put fails", putErr: errors.New("disk full"), wantGet: map[string][]byte{"h1": []byte("v1")}, wantStored: 1, wantLog: "disk full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			st := &fakeCacheStore{m: map[string][]byte{"h1": []byte("v1")}, getErr: tt.getErr, putErr: tt.putErr}
			c := StoreCache(t.Context(), st, slog.New(slog.NewTextHandler(&logs, nil)))
			got, err := c.Get([]string{"h1", "h2"})
			if err != nil {
				t.Errorf("Get error %v: the adapter handles store errors", err)
			}
			if d := cmp.Diff(tt.wantGet, got); d != "" {
				t.Errorf("Get (-want +got):\n%s", d)
			}
			before := time.Now()
			if err := c.Put(map[string][]byte{"h2": []byte("v2")}); err != nil {
				t.Errorf("Put error %v: the adapter handles store errors", err)
			}
			if len(st.m) != tt.wantStored {
				t.Errorf("%d entries stored, want %d", len(st.m), tt.wantStored)
			}
			if tt.putErr == nil && st.usedAt.Before(before) {
				t.Errorf("Put stamped %v, before the call (%v)", st.usedAt, before)
			}
			if tt.wantLog == "" && logs.Len() > 0 || !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("log = %q, want %q", logs.String(), tt.wantLog)
			}
			if tt.wantLog != "" && !strings.Contains(logs.String(), "level=WARN") {
				t.Errorf("log = %q, want a warning", logs.String())
			}
		})
	}
}

// countingStore records the sizes of a real store's code cache Puts.
type countingStore struct {
	state.Store
	mu       sync.Mutex
	putSizes []int
}

func (c *countingStore) CodeCachePut(ctx context.Context, entries map[string][]byte, usedAt time.Time) error {
	c.mu.Lock()
	c.putSizes = append(c.putSizes, len(entries))
	c.mu.Unlock()
	return c.Store.CodeCachePut(ctx, entries, usedAt)
}

// codeWorkspace returns a workspace with the generated code of n sample
// guests, and a store holding them.
func codeWorkspace(t testing.TB, n int) (*workspace.Workspace, *countingStore, state.Inventory) {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	inv := statetest.SampleInventory(n)
	statetest.Sync(t, st, statetest.Epoch(), inv, nil)
	ws := &workspace.Workspace{Root: t.TempDir()}
	files, err := Files(inv.Guests, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if err := ws.WriteFile(f.Path, f.Content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return ws, &countingStore{Store: st}, inv
}

// TestReadsThroughCache: ExistingNames and the Editor's reads give the
// same answers with the store's cache, cold and warm, as without one; a
// warm read stores nothing, and after an edit only the edited file is
// parsed and stored.
func TestReadsThroughCache(t *testing.T) {
	t.Parallel()
	const guests = 12
	tests := []struct {
		name string
		read func(ws *workspace.Workspace, c terraform.Cache) (any, error)
	}{
		{"ExistingNames", func(ws *workspace.Workspace, c terraform.Cache) (any, error) { return ExistingNames(ws, c) }},
		{"Editor.VMIDs", func(ws *workspace.Workspace, c terraform.Cache) (any, error) {
			return (&Editor{Workspace: ws, Cache: c}).VMIDs()
		}},
		{"Editor.Find", func(ws *workspace.Workspace, c terraform.Cache) (any, error) {
			var out []Located
			for _, ref := range []string{"100", "105", "111"} {
				kind := iac.KindVM
				loc, err := (&Editor{Workspace: ws, Cache: c}).Find(kind, ref)
				if errors.As(err, new(*NotInCodeError)) {
					loc, err = (&Editor{Workspace: ws, Cache: c}).Find(iac.KindCT, ref)
				}
				if err != nil {
					return nil, err
				}
				out = append(out, loc)
			}
			return out, nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ws, st, _ := codeWorkspace(t, guests)
			tfFiles, err := ws.ReadDir(workspace.TerraformDir, ".tf")
			if err != nil {
				t.Fatal(err)
			}
			want, err := tt.read(ws, nil)
			if err != nil {
				t.Fatal(err)
			}
			check := func(step string, wantPuts []int) {
				t.Helper()
				st.putSizes = nil
				got, err := tt.read(ws, StoreCache(t.Context(), st, nil))
				if err != nil {
					t.Fatalf("%s: %v", step, err)
				}
				if !reflect.DeepEqual(want, got) {
					t.Errorf("%s: read through the cache differs (-without +with):\n%s", step, cmp.Diff(want, got))
				}
				if !reflect.DeepEqual(wantPuts, st.putSizes) {
					t.Errorf("%s: stored %v entries, want %v", step, st.putSizes, wantPuts)
				}
			}
			check("cold", []int{len(tfFiles)})
			check("warm", nil)
			// An edit that changes no answer: only that file is parsed again.
			path := workspace.TerraformDir + "/" + firstName(tfFiles)
			src, _, err := ws.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := ws.WriteFile(path, append([]byte("# a person's note\n"), src...), 0o644); err != nil {
				t.Fatal(err)
			}
			check("one file edited", []int{1})
		})
	}
}

func firstName(files map[string][]byte) string {
	first := ""
	for n := range files {
		if first == "" || n < first {
			first = n
		}
	}
	return first
}

// TestServiceRunCache: Run reads the existing code through Cache(ctx).
func TestServiceRunCache(t *testing.T) {
	t.Parallel()
	ws, st, _ := codeWorkspace(t, 5)
	tfFiles, err := ws.ReadDir(workspace.TerraformDir, ".tf")
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	svc := &Service{Store: st, Workspace: ws, Generate: Files, Existing: ExistingNames,
		Cache: func(ctx context.Context) terraform.Cache {
			calls++
			if ctx == nil {
				t.Error("Cache called without the run's context")
			}
			return StoreCache(ctx, st, nil)
		}}
	for i, wantPuts := range [][]int{{len(tfFiles)}, nil} {
		st.putSizes = nil
		res, err := svc.Run(t.Context(), Options{})
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if res.Count(Create)+res.Count(Update) != 0 {
			t.Errorf("run %d: %s, want the code unchanged", i, res.Summary())
		}
		if !reflect.DeepEqual(wantPuts, st.putSizes) {
			t.Errorf("run %d: stored %v entries, want %v", i, st.putSizes, wantPuts)
		}
	}
	if calls != 2 {
		t.Errorf("Cache called %d times, want once a run", calls)
	}
}
