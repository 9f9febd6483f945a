package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state/statetest"
)

func openTemp(t testing.TB, opts ...Option) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ws", ".proxmox-mpc", "state.db")
	s, err := Open(t.Context(), path, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, path
}

func TestConformance(t *testing.T) {
	statetest.Run(t, func(t *testing.T) state.Store {
		s, _ := openTemp(t)
		return s
	})
}

// rawDB opens path without the Store, for tests that tamper with the file.
func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func mustExec(t testing.TB, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, q string, args ...any) {
	t.Helper()
	if _, err := db.ExecContext(t.Context(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newest(t testing.TB) int64 {
	t.Helper()
	sub, err := fs.Sub(embedded, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	v, err := newestMigration(sub)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestOpenCreatesPrivateFileAndSetsPragmas(t *testing.T) {
	s, path := openTemp(t)
	for p, want := range map[string]fs.FileMode{path: 0o600, filepath.Dir(path): 0o700} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %v, want %v", p, got, want)
		}
	}
	conn, err := s.db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	pragmas := []struct{ name, want string }{
		{"journal_mode", "wal"},
		{"foreign_keys", "1"},
		{"busy_timeout", "5000"},
		{"synchronous", "1"}, // NORMAL
	}
	for _, p := range pragmas {
		var got string
		if err := conn.QueryRowContext(t.Context(), "PRAGMA "+p.name).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != p.want {
			t.Errorf("PRAGMA %s = %q, want %q", p.name, got, p.want)
		}
	}
}

func TestMigrationsFromEmptyAndIdempotent(t *testing.T) {
	ctx := t.Context()
	s, path := openTemp(t)
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.SchemaVersion != newest(t) || info.Backend != "sqlite" || info.Location != path {
		t.Errorf("Info = %+v, want sqlite at %s, version %d", info, path, newest(t))
	}
	statetest.Sync(t, s, statetest.Epoch(), statetest.SampleInventory(10), nil)

	for range 2 {
		again, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		inv, err := again.Inventory(ctx)
		if err != nil || len(inv.Guests) != 10 {
			t.Errorf("reopened Inventory: %d guests, %v; want 10", len(inv.Guests), err)
		}
		if err := again.Close(); err != nil {
			t.Fatal(err)
		}
	}
	var applied, distinct int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*), count(DISTINCT version_id) FROM "+gooseTable+" WHERE version_id > 0").Scan(&applied, &distinct); err != nil {
		t.Fatal(err)
	}
	if applied != int(newest(t)) || distinct != applied {
		t.Errorf("goose table: %d rows for %d versions, want each of %d migrations once", applied, distinct, newest(t))
	}
	for _, table := range []string{"clusters", "nodes", "guests", "storages", "networks", "volumes", "snapshots", "sync_runs", "resource_history", "operations", "generated_files", "code_cache"} {
		var n int
		if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", table).Scan(&n); err != nil || n != 1 {
			t.Errorf("table %s: %d, %v", table, n, err)
		}
	}
}

func TestFailingMigrationKeepsPreviousVersion(t *testing.T) {
	ctx := t.Context()
	initSQL, err := embedded.ReadFile("migrations/00001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	broken := fstest.MapFS{
		"00001_init.sql":   {Data: initSQL},
		"00002_broken.sql": {Data: []byte("-- +goose Up\nCREATE TABLE half_done (x INTEGER);\nINSERT INTO no_such_table VALUES (1);\n-- +goose Down\nDROP TABLE half_done;\n")},
	}
	path := filepath.Join(t.TempDir(), "state.db")
	_, err = Open(ctx, path, withMigrations(broken))
	if err == nil {
		t.Fatal("Open with a broken migration succeeded")
	}
	if !strings.Contains(err.Error(), "no_such_table") {
		t.Errorf("error %q does not name the failing statement", err)
	}
	db := rawDB(t, path)
	var v int64
	if err := db.QueryRowContext(ctx, "SELECT max(version_id) FROM "+gooseTable).Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != 1 {
		t.Errorf("schema version after a failed migration 2 = %d, want 1", v)
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE name = 'half_done'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("the failed migration left table half_done behind: it did not run in a transaction")
	}
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open with the good migrations after a failed one: %v", err)
	}
	_ = s.Close()
}

func TestSchemaTooNewLeavesFileUntouched(t *testing.T) {
	ctx := t.Context()
	s, path := openTemp(t)
	statetest.Sync(t, s, statetest.Epoch(), statetest.SampleInventory(5), nil)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	mustExec(t, db, "INSERT INTO "+gooseTable+" (version_id, is_applied) VALUES (?, 1)", 99)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	before := readFile(t, path)

	_, err := Open(ctx, path)
	if !errors.Is(err, state.ErrSchemaTooNew) {
		t.Fatalf("Open of a newer database: err = %v, want ErrSchemaTooNew", err)
	}
	var tooNew *SchemaTooNewError
	if !errors.As(err, &tooNew) || tooNew.Version != 99 || tooNew.Known != newest(t) {
		t.Fatalf("error = %#v, want a *SchemaTooNewError{Version: 99, Known: %d}", err, newest(t))
	}
	for _, want := range []string{"99", fmt.Sprint(newest(t)), path} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if !strings.Contains(tooNew.Hint(), "upgrade proxmox-mpc") {
		t.Errorf("Hint() = %q, want it to say to upgrade proxmox-mpc", tooNew.Hint())
	}
	if !bytes.Equal(before, readFile(t, path)) {
		t.Errorf("Open changed a database it refused")
	}
}

func TestCorruptFileLeftUntouched(t *testing.T) {
	ctx := t.Context()
	// A real database with enough pages to damage.
	good := filepath.Join(t.TempDir(), "good.db")
	s, err := Open(ctx, good)
	if err != nil {
		t.Fatal(err)
	}
	statetest.Sync(t, s, statetest.Epoch(), statetest.SampleInventory(300), nil)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	valid := readFile(t, good)
	if len(valid) < 64*1024 {
		t.Fatalf("sample database only %d bytes", len(valid))
	}
	other := filepath.Join(t.TempDir(), "other.db")
	odb := rawDB(t, other)
	mustExec(t, odb, "CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT)")
	if err := odb.Close(); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		data []byte
	}{
		{"text file", []byte("name: my-homelab\nendpoint: https://pve1:8006\n")},
		{"shorter than a header", []byte("SQLite format 3\x00\x10\x00")},
		{"truncated to half", valid[:len(valid)/2]},
		{"truncated mid-page", valid[:len(valid)-1000]},
		{"garbage after the header", append(append([]byte{}, valid[:100]...), bytes.Repeat([]byte{0xA5}, len(valid)-100)...)},
		{"someone else's database", readFile(t, other)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.db")
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Open(ctx, path)
			if !errors.Is(err, state.ErrCorrupt) {
				t.Fatalf("Open: err = %v, want ErrCorrupt", err)
			}
			var ce *CorruptError
			if !errors.As(err, &ce) || ce.Hint() == "" || !strings.Contains(err.Error(), path) {
				t.Errorf("error %v: want a *CorruptError naming %s with a hint", err, path)
			}
			if !bytes.Equal(tc.data, readFile(t, path)) {
				t.Errorf("Open changed the refused file")
			}
		})
	}
}

func TestCheckFindsDamagedPages(t *testing.T) {
	ctx := t.Context()
	s, path := openTemp(t)
	statetest.Sync(t, s, statetest.Epoch(), statetest.SampleInventory(300), nil)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	data := readFile(t, path)
	// Scribble over the last page, which holds table data, keeping the size.
	for i := len(data) - 3000; i < len(data)-100; i++ {
		data[i] = 0x5A
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(ctx, path)
	if err == nil {
		defer func() { _ = s2.Close() }()
		err = s2.Check(ctx)
	}
	if !errors.Is(err, state.ErrCorrupt) {
		t.Fatalf("Open+Check of a damaged file: err = %v, want ErrCorrupt", err)
	}
}

func TestLockedBeyondBusyTimeout(t *testing.T) {
	ctx := t.Context()
	s, path := openTemp(t, WithBusyTimeout(150*time.Millisecond))
	statetest.Sync(t, s, statetest.Epoch(), statetest.SampleInventory(5), nil)
	before, err := s.Inventory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.BeginSync(ctx, statetest.Epoch().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	last, err := s.LastSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w := state.SyncWrite{
		BaseSyncID: last.ID,
		Run:        state.SyncRun{ID: id, StartedAt: statetest.Epoch().Add(time.Hour), Outcome: state.OutcomeOK, Added: 7},
		Inventory:  statetest.SampleInventory(7),
	}

	// Another process holds the write lock.
	other := rawDB(t, path)
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	mustExec(t, conn, "BEGIN IMMEDIATE")
	mustExec(t, conn, "INSERT INTO operations (started_at, os_user, api_identity, action, target, params, upid, outcome, error, duration_ms, correlation_id) VALUES (1, 'other', '', 'apply', '', 'null', '', 'ok', '', 0, 'x')")

	err = s.CommitSync(ctx, w)
	if !errors.Is(err, state.ErrLocked) {
		t.Fatalf("CommitSync while another process writes: err = %v, want ErrLocked", err)
	}
	var le *LockedError
	if !errors.As(err, &le) || le.Hint() == "" || !strings.Contains(err.Error(), path) {
		t.Errorf("error %v: want a *LockedError naming %s with a hint", err, path)
	}
	// Readers are not blocked, and see the old inventory.
	during, err := s.Inventory(ctx)
	if err != nil {
		t.Fatalf("Inventory while locked: %v", err)
	}
	if diff := statetest.InventoryDiff(before, during); diff != "" {
		t.Errorf("Inventory while locked (-want +got):\n%s", diff)
	}

	mustExec(t, conn, "COMMIT")
	if err := s.CommitSync(ctx, w); err != nil {
		t.Fatalf("CommitSync after the lock was released: %v", err)
	}
	inv, err := s.Inventory(ctx)
	if err != nil || len(inv.Guests) != 7 {
		t.Errorf("Inventory after the retry: %d guests, %v; want 7", len(inv.Guests), err)
	}
	ops, err := s.Operations(ctx, state.OperationFilter{CorrelationID: "x"})
	if err != nil || len(ops) != 1 {
		t.Errorf("the other process's write: %d operations, %v; want 1", len(ops), err)
	}
	if err := s.Check(ctx); err != nil {
		t.Error(err)
	}
}

func TestTwoStoresSyncConcurrently(t *testing.T) {
	ctx := t.Context()
	a, path := openTemp(t)
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = b.Close() }()

	const rounds = 4
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ok, conflicts int
	for n, s := range []*Store{a, b} {
		wg.Go(func() {
			for r := range rounds {
				at := statetest.Epoch().Add(time.Duration(r*2+n) * time.Minute)
				base, err := s.LastSync(ctx)
				if err != nil && !errors.Is(err, state.ErrNotFound) {
					t.Errorf("store %d: LastSync: %v", n, err)
					return
				}
				id, err := s.BeginSync(ctx, at)
				if err != nil {
					t.Errorf("store %d: BeginSync: %v", n, err)
					return
				}
				guests := 200 + 10*n + r
				err = s.CommitSync(ctx, state.SyncWrite{
					BaseSyncID: base.ID,
					Run:        state.SyncRun{ID: id, StartedAt: at, Outcome: state.OutcomeOK, Added: guests},
					Inventory:  statetest.SampleInventory(guests),
				})
				mu.Lock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, state.ErrConflict):
					conflicts++
					err = s.FailSync(ctx, id, at, err.Error())
				}
				mu.Unlock()
				if err != nil {
					t.Errorf("store %d round %d: %v", n, r, err)
				}
			}
		})
	}
	wg.Wait()
	if ok == 0 || ok+conflicts != 2*rounds {
		t.Errorf("%d committed, %d conflicts; want at least one commit and %d runs in all", ok, conflicts, 2*rounds)
	}
	for _, s := range []*Store{a, b} {
		if err := s.Check(ctx); err != nil {
			t.Errorf("Check: %v", err)
		}
	}
	last, err := b.LastSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := a.Inventory(ctx)
	if err != nil || len(inv.Guests) != last.Added {
		t.Errorf("Inventory: %d guests, %v; the last sync wrote %d", len(inv.Guests), err, last.Added)
	}
}

func TestPathsWithURISpecialCharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "my lab?#%20", "state.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	statetest.Sync(t, s, statetest.Epoch(), statetest.SampleInventory(2), nil)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Errorf("database not at %q: %v", path, err)
	}
}

func TestWithNowFillsMissingTimes(t *testing.T) {
	ctx := t.Context()
	now := statetest.Epoch().Add(42 * time.Hour)
	s, _ := openTemp(t, WithNow(func() time.Time { return now }))
	id, err := s.RecordOperation(ctx, state.Operation{Action: "stop"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.FinishOperation(ctx, id, time.Time{}, state.OutcomeOK, "", ""); err != nil {
		t.Fatal(err)
	}
	ops, err := s.Operations(ctx, state.OperationFilter{})
	if err != nil || len(ops) != 1 {
		t.Fatalf("Operations: %v, %v", ops, err)
	}
	if !ops[0].StartedAt.Equal(now) || ops[0].FinishedAt == nil || !ops[0].FinishedAt.Equal(now) {
		t.Errorf("operation times = %v, %v; want both %v", ops[0].StartedAt, ops[0].FinishedAt, now)
	}
}
