package discovery

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state/sqlite"
)

// TestSyncSQLite runs the sync life cycle against the real SQLite store:
// first sync, unchanged sync, a migration, a cancelled sync.
func TestSyncSQLite(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pvesim.Options{Seed: 10, TaskDuration: -1})
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	s := newSyncer(f, st)
	fx := f.sim.Fixtures()

	first, err := s.Sync(t.Context())
	if err != nil {
		t.Fatalf("first sync: %v", err)
	}
	if first.Summary.Added != fx.Guests {
		t.Errorf("first summary %v, want %d added", first.Summary, fx.Guests)
	}
	second, err := s.Sync(t.Context())
	if err != nil {
		t.Fatalf("second sync: %v", err)
	}
	if len(second.Changes) != 0 {
		t.Errorf("unchanged sync found changes:\n%s", strings.Join(changeLines(second.Changes), "\n"))
	}
	if hist, err := st.History(t.Context(), state.HistoryFilter{SyncID: second.SyncID}); err != nil || len(hist) != 0 {
		t.Errorf("unchanged sync wrote %d history rows (err %v)", len(hist), err)
	}

	upid, err := f.admin.Migrate(t.Context(), fx.Node, pve.KindVM, fx.StoppedVMID, url.Values{"target": {fx.OtherNode}})
	f.wait(t, upid, err)
	third, err := s.Sync(t.Context())
	if err != nil {
		t.Fatalf("sync after migration: %v", err)
	}
	want := []string{"guest/109 changed node pve1→pve2"}
	if diff := cmp.Diff(want, changeLines(third.Changes)); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	hist, err := st.History(t.Context(), state.HistoryFilter{ResourceKey: "guest/109"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(hist); n != 2 || hist[0].Kind != state.ChangeCreated || hist[1].Field != "node" {
		t.Errorf("history of guest/109 = %+v, want created then node", hist)
	}

	before, err := st.Inventory(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	upid, err = f.admin.DeleteGuest(t.Context(), fx.OtherNode, pve.KindVM, fx.StoppedVMID, nil)
	f.wait(t, upid, err)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	s.Options.Progress = func(p Progress) {
		if p.Phase == PhaseGuests && p.Done == 4 {
			cancel()
		}
	}
	res, err := s.Sync(ctx)
	if err == nil {
		t.Fatal("cancelled sync succeeded")
	}
	assertFailedRun(t, st, res.SyncID, "context canceled")
	after, err := st.Inventory(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Guests) != len(before.Guests) || len(after.Snapshots) != len(before.Snapshots) {
		t.Errorf("cancelled sync changed the inventory: %d → %d guests", len(before.Guests), len(after.Guests))
	}
	if last, err := st.LastSync(t.Context()); err != nil || last.ID != third.SyncID {
		t.Errorf("LastSync = %d (err %v), want %d", last.ID, err, third.SyncID)
	}
}
