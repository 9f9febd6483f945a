package sqlite

import (
	"testing"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state/statetest"
)

// BenchmarkCommitSync10k commits a 10,000-guest inventory with full
// configs: "first" into an empty database, "again" over the same guests.
func BenchmarkCommitSync10k(b *testing.B) {
	inv := statetest.SampleInventory(10000)
	b.Run("first", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			s, _ := openTemp(b)
			id, err := s.BeginSync(b.Context(), statetest.Epoch())
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if err := s.CommitSync(b.Context(), state.SyncWrite{Run: state.SyncRun{ID: id, StartedAt: statetest.Epoch()}, Inventory: inv}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("again", func(b *testing.B) {
		s, _ := openTemp(b)
		at := statetest.Epoch()
		statetest.Sync(b, s, at, inv, nil)
		for b.Loop() {
			at = at.Add(time.Minute)
			statetest.Sync(b, s, at, inv, nil)
		}
	})
}

func BenchmarkInventory10k(b *testing.B) {
	s, _ := openTemp(b)
	statetest.Sync(b, s, statetest.Epoch(), statetest.SampleInventory(10000), nil)
	for b.Loop() {
		inv, err := s.Inventory(b.Context())
		if err != nil || len(inv.Guests) != 10000 {
			b.Fatalf("Inventory: %d guests, %v", len(inv.Guests), err)
		}
	}
}

func BenchmarkGuests10k(b *testing.B) {
	s, _ := openTemp(b)
	statetest.Sync(b, s, statetest.Epoch(), statetest.SampleInventory(10000), nil)
	b.Run("all", func(b *testing.B) {
		for b.Loop() {
			gs, err := s.Guests(b.Context(), state.GuestFilter{})
			if err != nil || len(gs) != 10000 {
				b.Fatalf("Guests: %d, %v", len(gs), err)
			}
		}
	})
	b.Run("by-name", func(b *testing.B) {
		for b.Loop() {
			gs, err := s.Guests(b.Context(), state.GuestFilter{Name: "vm-05000"})
			if err != nil || len(gs) != 1 {
				b.Fatalf("Guests: %d, %v", len(gs), err)
			}
		}
	})
}

// BenchmarkOpen10k opens an existing 10,000-guest database: the probe,
// the connection pragmas and the (empty) migration check every command pays.
func BenchmarkOpen10k(b *testing.B) {
	s, path := openTemp(b)
	statetest.Sync(b, s, statetest.Epoch(), statetest.SampleInventory(10000), nil)
	for b.Loop() {
		s2, err := Open(b.Context(), path)
		if err != nil {
			b.Fatal(err)
		}
		if err := s2.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
