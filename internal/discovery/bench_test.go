package discovery

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state/postgres"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state/sqlite"
)

const postgresEnv = "PMC_TEST_POSTGRES_URL"

// largeOptions is the benchmark scenario: 20 nodes, 10,000 guests, 2 ms per request.
func largeOptions() pvesim.Options {
	return pvesim.Options{Scenario: pvesim.ScenarioLarge, Nodes: 20, Guests: 10_000, Latency: 2 * time.Millisecond, Seed: 1}
}

type storeCase struct {
	name string
	open func(b *testing.B) state.Store
}

// benchStores: SQLite in a temporary directory always; PostgreSQL when
// PMC_TEST_POSTGRES_URL is set (scripts/with-postgres.sh gives a fresh
// database per run).
func benchStores(withPostgres bool) []storeCase {
	cases := []storeCase{{"sqlite", func(b *testing.B) state.Store {
		st, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "state.db"))
		if err != nil {
			b.Fatalf("open sqlite: %v", err)
		}
		return st
	}}}
	if u := os.Getenv(postgresEnv); u != "" && withPostgres {
		cases = append(cases, storeCase{"postgres", func(b *testing.B) state.Store {
			st, err := postgres.Open(b.Context(), u)
			if err != nil {
				b.Fatalf("open postgres: %v", err)
			}
			return st
		}})
	}
	return cases
}

// benchSync measures one sync of the large scenario per iteration: a full
// sync into an empty store, or (unchanged) a second sync after a first.
func benchSync(b *testing.B, open func(b *testing.B) state.Store, concurrency int, unchanged bool) {
	f := newFixtureTap(b, largeOptions(), false)
	var total time.Duration
	n := 0
	for b.Loop() {
		b.StopTimer()
		st := open(b)
		s := &Syncer{Store: st, Client: f.client, Options: Options{Concurrency: concurrency}}
		if unchanged {
			if _, err := s.Sync(b.Context()); err != nil {
				b.Fatalf("first sync: %v", err)
			}
		} else if _, err := st.LastSync(b.Context()); !errors.Is(err, state.ErrNotFound) {
			b.Skipf("the full-sync benchmark needs an empty store (LastSync: %v)", err)
		}
		b.StartTimer()
		start := time.Now()
		res, err := s.Sync(b.Context())
		total += time.Since(start)
		n++
		b.StopTimer()
		if err != nil {
			b.Fatalf("sync: %v", err)
		}
		if unchanged {
			hist, err := st.History(b.Context(), state.HistoryFilter{SyncID: res.SyncID})
			if err != nil {
				b.Fatal(err)
			}
			if len(hist) != 0 || len(res.Changes) != 0 {
				b.Fatalf("unchanged sync wrote %d history rows (%d changes)", len(hist), len(res.Changes))
			}
		} else if res.Summary.Added != largeOptions().Guests {
			b.Fatalf("summary %v, want %d added", res.Summary, largeOptions().Guests)
		}
		_ = st.Close()
		b.StartTimer()
	}
	b.ReportMetric(total.Seconds()/float64(n), "s/sync")
}

func BenchmarkSyncLarge10k(b *testing.B) {
	for _, sc := range benchStores(true) {
		b.Run(sc.name, func(b *testing.B) { benchSync(b, sc.open, 0, false) })
	}
}

func BenchmarkSyncLarge10kUnchanged(b *testing.B) {
	for _, sc := range benchStores(true) {
		b.Run(sc.name, func(b *testing.B) { benchSync(b, sc.open, 0, true) })
	}
}

// BenchmarkSyncNaive is one request at a time on the same scenario;
// compare with BenchmarkSyncLarge10k/sqlite.
func BenchmarkSyncNaive(b *testing.B) {
	for _, sc := range benchStores(false) {
		b.Run(sc.name, func(b *testing.B) { benchSync(b, sc.open, 1, false) })
	}
}
