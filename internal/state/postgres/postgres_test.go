package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state/statetest"
)

const urlEnv = "PMC_TEST_POSTGRES_URL"

// serverURL is the test server's URL, or skips the test when there is none.
func serverURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(urlEnv)
	if u == "" {
		tb.Skip(urlEnv + " is not set: PostgreSQL tests skipped " +
			"(run them with ./scripts/with-postgres.sh go test ./internal/state/postgres/)")
	}
	return u
}

// freshURL creates a uniquely named schema on the test server, dropped at
// cleanup, and returns a URL whose search_path points at it.
func freshURL(tb testing.TB) string {
	tb.Helper()
	base := serverURL(tb)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "pmc_t_" + hex.EncodeToString(b[:])
	conn, err := pgx.Connect(tb.Context(), base)
	if err != nil {
		tb.Fatalf("connect to %s: %v", redactURL(base), err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	if _, err := conn.Exec(tb.Context(), "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer func() { _ = c.Close(ctx) }()
		if _, err := c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("parse %s: %v", urlEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func openFresh(tb testing.TB) (*Store, string) {
	tb.Helper()
	u := freshURL(tb)
	s, err := Open(tb.Context(), u)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s, u
}

func TestPostgresConformance(t *testing.T) {
	serverURL(t)
	statetest.Run(t, func(t *testing.T) state.Store {
		s, _ := openFresh(t)
		return s
	})
}

func TestPostgresSchemaTooNew(t *testing.T) {
	t.Parallel()
	s, u := openFresh(t)
	ctx := t.Context()
	if _, err := s.pool.Exec(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (9999, true)`); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()

	_, err := Open(ctx, u)
	if !errors.Is(err, state.ErrSchemaTooNew) {
		t.Fatalf("Open of a newer schema: err = %v, want ErrSchemaTooNew", err)
	}
	var te *SchemaTooNewError
	if !errors.As(err, &te) {
		t.Fatalf("err %T is not a *SchemaTooNewError", err)
	}
	if te.DBVersion != 9999 || te.BinaryVersion != SchemaVersion() {
		t.Errorf("versions = %d/%d, want 9999/%d", te.DBVersion, te.BinaryVersion, SchemaVersion())
	}
	for _, want := range []string{"9999", "upgrade"} {
		if !strings.Contains(err.Error()+te.Hint(), want) {
			t.Errorf("error %q / hint %q lacks %q", err, te.Hint(), want)
		}
	}
}

func TestPostgresReopenKeepsData(t *testing.T) {
	t.Parallel()
	s, u := openFresh(t)
	ctx := t.Context()
	inv := statetest.SampleInventory(30)
	id := statetest.Sync(t, s, statetest.Epoch(), inv, nil)
	_ = s.Close()

	s2, err := Open(ctx, u)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s2.Close()
	last, err := s2.LastSync(ctx)
	if err != nil || last.ID != id {
		t.Fatalf("LastSync after reopen = %d, %v; want %d", last.ID, err, id)
	}
	info, err := s2.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Backend != "postgres" || info.SchemaVersion != SchemaVersion() || info.SizeBytes <= 0 {
		t.Errorf("Info = %+v", info)
	}
	if err := s2.Check(ctx); err != nil {
		t.Errorf("Check: %v", err)
	}
}

// TestPostgresConcurrentCommitsSerialize holds the sync lock while two
// stores (two processes, in effect) commit syncs based on the same last
// sync, then releases it: exactly one commit wins, the other gets
// ErrConflict, and the inventory is the winner's, whole.
func TestPostgresConcurrentCommitsSerialize(t *testing.T) {
	t.Parallel()
	s1, u := openFresh(t)
	s2, err := Open(t.Context(), u)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	ctx := t.Context()
	base := statetest.Sync(t, s1, statetest.Epoch(), statetest.SampleInventory(20), nil)

	invs := []state.Inventory{statetest.SampleInventory(200), statetest.SampleInventory(300)}
	stores := []*Store{s1, s2}

	// Hold the lock row so both commits queue behind it.
	holder, err := s1.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := holder.Exec(ctx, `SELECT id FROM sync_lock WHERE id = 1 FOR UPDATE`); err != nil {
		t.Fatal(err)
	}

	errs := make([]error, 2)
	ids := make([]int64, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		id, err := stores[i].BeginSync(ctx, statetest.Epoch().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
		wg.Go(func() {
			fin := statetest.Epoch().Add(time.Hour + time.Minute)
			errs[i] = stores[i].CommitSync(ctx, state.SyncWrite{
				BaseSyncID: base,
				Run:        state.SyncRun{ID: id, StartedAt: statetest.Epoch().Add(time.Hour), FinishedAt: &fin, Added: len(invs[i].Guests)},
				Inventory:  invs[i],
				Changes: []state.Change{{
					ResourceType: "guest", ResourceKey: "guest/100", Kind: state.ChangeUpdated, Field: "name", Old: "a", New: "b",
				}},
			})
		})
	}
	waitForLockWaiters(t, s1, 2)
	if err := holder.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()

	winner := -1
	for i, err := range errs {
		switch {
		case err == nil:
			if winner >= 0 {
				t.Fatalf("both commits succeeded")
			}
			winner = i
		case errors.Is(err, state.ErrConflict):
		default:
			t.Fatalf("commit %d: %v", i, err)
		}
	}
	if winner < 0 {
		t.Fatalf("no commit succeeded: %v", errs)
	}
	last, err := s1.LastSync(ctx)
	if err != nil || last.ID != ids[winner] {
		t.Fatalf("LastSync = %d, %v; want %d", last.ID, err, ids[winner])
	}
	got, err := s2.Inventory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Guests) != len(invs[winner].Guests) || len(got.Snapshots) != len(invs[winner].Snapshots) {
		t.Errorf("inventory has %d guests, %d snapshots; want the winner's %d, %d",
			len(got.Guests), len(got.Snapshots), len(invs[winner].Guests), len(invs[winner].Snapshots))
	}
	hist, err := s1.History(ctx, state.HistoryFilter{ResourceKey: "guest/100"})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 || hist[0].SyncID != ids[winner] {
		t.Errorf("history = %+v, want one change of sync %d", hist, ids[winner])
	}
}

// waitForLockWaiters polls pg_stat_activity until n backends of this
// database wait on a lock (the two queued commits).
func waitForLockWaiters(t *testing.T, s *Store, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		var waiting int
		err := s.pool.QueryRow(ctx, `
			SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'
			  AND query LIKE '%FROM sync_lock%FOR UPDATE%' AND pid <> pg_backend_pid()`).Scan(&waiting)
		if err != nil {
			t.Fatalf("poll lock waiters: %v", err)
		}
		if waiting >= n {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("only %d of %d commits queued on the sync lock", waiting, n)
		case <-tick.C:
		}
	}
}

// TestOpenRedactsPassword needs no server: the connection is refused.
func TestOpenRedactsPassword(t *testing.T) {
	t.Parallel()
	const secret = "s3cret-Pa55word"
	tests := []struct {
		name string
		url  string
	}{
		{"user info", "postgres://pmc:" + secret + "@127.0.0.1:1/pmc?sslmode=disable&connect_timeout=5"},
		{"query", "postgres://pmc@127.0.0.1:1/pmc?sslmode=disable&connect_timeout=5&password=" + secret},
		{"bad port", "postgres://pmc:" + secret + "@127.0.0.1:notaport/pmc"},
		{"bad option", "postgres://pmc:" + secret + "@127.0.0.1:1/pmc?sslmode=bogus"},
		{"keyword form", "host=127.0.0.1 port=1 user=pmc password=" + secret + " sslmode=disable connect_timeout=5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := Open(t.Context(), tt.url)
			if err == nil {
				_ = s.Close()
				t.Fatal("Open succeeded against a closed port")
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error leaks the password: %v", err)
			}
			if got := redactURL(tt.url); strings.Contains(got, secret) {
				t.Errorf("redactURL = %q leaks the password", got)
			}
		})
	}
}

// BenchmarkCommitSync10k measures one CommitSync of 10,000 guests (with
// their storages, networks, snapshots) replacing an equal inventory.
func BenchmarkCommitSync10k(b *testing.B) {
	s, _ := openFresh(b)
	inv := statetest.SampleInventory(10000)
	start := statetest.Epoch()
	statetest.Sync(b, s, start, inv, nil)
	for b.Loop() {
		start = start.Add(time.Minute)
		statetest.Sync(b, s, start, inv, nil)
	}
}
