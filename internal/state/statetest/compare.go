package statetest

import (
	"cmp"
	"slices"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// Options are the cmp options the suite compares records with: times are
// equal when they denote the same instant to the microsecond (backends need
// not keep nanoseconds or the location), and a nil slice or map equals an
// empty one. Pointers stay strict: nil is not &time.Time{}.
func Options() gocmp.Options {
	return gocmp.Options{
		gocmp.Comparer(func(a, b time.Time) bool {
			return a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond))
		}),
		cmpopts.EquateEmpty(),
	}
}

// Diff is cmp.Diff(want, got) under Options.
func Diff(want, got any) string { return gocmp.Diff(want, got, Options()) }

// InventoryDiff compares two inventories regardless of the order of their
// records (guests by vmid, the rest by their natural keys): the Store
// contract fixes only the order of guests.
func InventoryDiff(want, got state.Inventory) string {
	return Diff(sortedInventory(want), sortedInventory(got))
}

func sortedInventory(in state.Inventory) state.Inventory {
	out := in
	out.Nodes = slices.Clone(in.Nodes)
	slices.SortFunc(out.Nodes, func(a, b state.Node) int { return cmp.Compare(a.Name, b.Name) })
	out.Guests = slices.Clone(in.Guests)
	slices.SortFunc(out.Guests, func(a, b state.Guest) int { return cmp.Compare(a.VMID, b.VMID) })
	out.Storages = slices.Clone(in.Storages)
	slices.SortFunc(out.Storages, func(a, b state.Storage) int {
		return cmp.Or(cmp.Compare(a.Node, b.Node), cmp.Compare(a.Name, b.Name))
	})
	out.Networks = slices.Clone(in.Networks)
	slices.SortFunc(out.Networks, func(a, b state.Network) int {
		return cmp.Or(cmp.Compare(a.Node, b.Node), cmp.Compare(a.Name, b.Name))
	})
	out.Volumes = slices.Clone(in.Volumes)
	slices.SortFunc(out.Volumes, func(a, b state.Volume) int {
		return cmp.Or(cmp.Compare(a.Node, b.Node), cmp.Compare(a.Storage, b.Storage), cmp.Compare(a.Volid, b.Volid))
	})
	out.Snapshots = slices.Clone(in.Snapshots)
	slices.SortFunc(out.Snapshots, func(a, b state.Snapshot) int {
		return cmp.Or(cmp.Compare(a.VMID, b.VMID), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// Seen returns a copy of guests as the store reports them after a sync:
// FirstSeen and LastSeen set, RemovedAt nil.
func Seen(guests []state.Guest, firstSeen, lastSeen time.Time) []state.Guest {
	out := make([]state.Guest, len(guests))
	for i, g := range guests {
		g.FirstSeen, g.LastSeen, g.RemovedAt = firstSeen, lastSeen, nil
		out[i] = g
	}
	return out
}

// Sync records one successful sync of inv that started at startedAt,
// computed against the store's last successful sync, and returns its id.
func Sync(tb testing.TB, s state.Store, startedAt time.Time, inv state.Inventory, changes []state.Change) int64 {
	tb.Helper()
	ctx := tb.Context()
	base, err := lastSyncID(tb, s)
	if err != nil {
		tb.Fatal(err)
	}
	id, err := s.BeginSync(ctx, startedAt)
	if err != nil {
		tb.Fatalf("BeginSync: %v", err)
	}
	finished := startedAt.Add(1500 * time.Millisecond)
	w := state.SyncWrite{
		BaseSyncID: base,
		Run: state.SyncRun{
			ID: id, StartedAt: startedAt, FinishedAt: &finished, Outcome: state.OutcomeOK,
			Added: len(inv.Guests), Changed: 0, Removed: 0, Unchanged: 0,
		},
		Inventory: inv,
		Changes:   changes,
	}
	if err := s.CommitSync(ctx, w); err != nil {
		tb.Fatalf("CommitSync (base %d, run %d): %v", base, id, err)
	}
	return id
}

func lastSyncID(tb testing.TB, s state.Store) (int64, error) {
	tb.Helper()
	run, err := s.LastSync(tb.Context())
	switch {
	case err == nil:
		return run.ID, nil
	case isNotFound(err):
		return 0, nil
	default:
		return 0, err
	}
}
