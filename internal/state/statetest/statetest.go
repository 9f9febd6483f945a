package statetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// Run is the conformance suite of state.Store. open must return a fresh,
// empty, migrated store and register its Close with t.Cleanup; every
// sub-test calls it once. Run does not call t.Parallel, so open may reuse
// one database as long as it empties it.
//
// Contract details the suite pins down beyond the interface comments:
//   - CommitSync ignores the FirstSeen, LastSeen and RemovedAt of the
//     inventory's guests: first_seen is kept from the stored row (else
//     Run.StartedAt), last_seen is Run.StartedAt, removed_at is cleared;
//     stored guests absent from the inventory get removed_at =
//     Run.StartedAt (those already removed keep theirs).
//   - CommitSync fills a Change's zero SyncID with Run.ID and zero At with
//     Run.StartedAt; a Run.ID that BeginSync never returned is ErrNotFound.
//   - History with a Limit returns the NEWEST Limit changes, oldest first.
//     Ties in At keep insertion order.
//   - Operations with a Limit returns the newest Limit entries (newest first).
//     FinishOperation sets DurationMS = finishedAt - StartedAt and keeps the
//     recorded UPID when upid is "".
//   - Nil and empty slices and maps are interchangeable; nil and set
//     pointers are not. Times must survive to the microsecond.
func Run(t *testing.T, open func(t *testing.T) state.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s state.Store)
	}{
		{"Empty", testEmpty},
		{"RoundTrip", testRoundTrip},
		{"RoundTripSample", testRoundTripSample},
		{"SecondSync", testSecondSync},
		{"UnchangedHint", testUnchangedHint},
		{"Conflict", testConflict},
		{"CommitUnknownRun", testCommitUnknownRun},
		{"FailSync", testFailSync},
		{"SyncRuns", testSyncRuns},
		{"History", testHistory},
		{"Guests", testGuests},
		{"Operations", testOperations},
		{"Concurrent", testConcurrent},
		{"InfoCheck", testInfoCheck},
		{"GeneratedFiles", testGeneratedFiles},
		{"CodeCache", testCodeCache},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			tc.fn(t, s)
		})
	}
}

func isNotFound(err error) bool { return errors.Is(err, state.ErrNotFound) }

func mustInventory(t *testing.T, s state.Store) state.Inventory {
	t.Helper()
	inv, err := s.Inventory(t.Context())
	if err != nil {
		t.Fatalf("Inventory: %v", err)
	}
	return inv
}

func mustGuests(t *testing.T, s state.Store, f state.GuestFilter) []state.Guest {
	t.Helper()
	gs, err := s.Guests(t.Context(), f)
	if err != nil {
		t.Fatalf("Guests(%+v): %v", f, err)
	}
	return gs
}

func mustHistory(t *testing.T, s state.Store, f state.HistoryFilter) []state.Change {
	t.Helper()
	cs, err := s.History(t.Context(), f)
	if err != nil {
		t.Fatalf("History(%+v): %v", f, err)
	}
	return cs
}

func mustRuns(t *testing.T, s state.Store, limit int) []state.SyncRun {
	t.Helper()
	runs, err := s.SyncRuns(t.Context(), limit)
	if err != nil {
		t.Fatalf("SyncRuns(%d): %v", limit, err)
	}
	return runs
}

func testEmpty(t *testing.T, s state.Store) {
	ctx := t.Context()
	if _, err := s.LastSync(ctx); !isNotFound(err) {
		t.Errorf("LastSync on an empty store: err = %v, want ErrNotFound", err)
	}
	if runs := mustRuns(t, s, 0); len(runs) != 0 {
		t.Errorf("SyncRuns on an empty store = %+v, want none", runs)
	}
	if diff := InventoryDiff(state.Inventory{}, mustInventory(t, s)); diff != "" {
		t.Errorf("Inventory on an empty store (-want +got):\n%s", diff)
	}
	if gs := mustGuests(t, s, state.GuestFilter{IncludeRemoved: true}); len(gs) != 0 {
		t.Errorf("Guests on an empty store = %+v, want none", gs)
	}
	if cs := mustHistory(t, s, state.HistoryFilter{}); len(cs) != 0 {
		t.Errorf("History on an empty store = %+v, want none", cs)
	}
	ops, err := s.Operations(ctx, state.OperationFilter{})
	if err != nil || len(ops) != 0 {
		t.Errorf("Operations on an empty store = %+v, %v; want none", ops, err)
	}
	if err := s.Check(ctx); err != nil {
		t.Errorf("Check on an empty store: %v", err)
	}
}

// fullInventory sets every field of every record type once, next to
// records that leave everything optional empty.
func fullInventory() state.Inventory {
	snapTime := Epoch().Add(-36 * time.Hour).In(time.FixedZone("CEST", 2*3600))
	bogus := Epoch().Add(-1000 * time.Hour)
	return state.Inventory{
		Cluster: state.Cluster{Endpoint: "https://10.0.0.5:8006", Name: "lab", Version: "9.1.2", Fingerprint: "AA:BB"},
		Nodes: []state.Node{
			{Name: "pve1", Status: "online", CPUs: 32, CPUUsage: 0.123456789, MemoryBytes: 137438953472, MemoryUsedBytes: 34359738368, DiskBytes: 1 << 40, DiskUsedBytes: 1 << 39, UptimeSeconds: 1234567, SSLFingerprint: "12:34"},
			{Name: "pve2", Status: "offline"},
		},
		Guests: []state.Guest{
			{
				VMID: 100, Type: state.TypeVM, Node: "pve1", Name: "web-01", Status: "running",
				Tags: []string{"prod", "web"}, Pool: "production", Template: true, HAState: "started", Lock: "backup",
				CPUs: 2.5, MemoryBytes: 8 << 30, DiskBytes: 32 << 30,
				Config: map[string]string{
					"cores": "4", "memory": "8192", "net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0,tag=10",
					"description": "line 1\nline 2 — \"quoted\" ünïcode", "empty": "", "json-ish": `{"a":[1,2]}`,
				},
				Digest:   "0123456789abcdef0123456789abcdef01234567",
				AgentIPs: []string{"10.0.0.10", "fd00::10"},
				// The store owns these three; CommitSync must ignore them.
				FirstSeen: bogus, LastSeen: bogus, RemovedAt: &bogus,
				UptimeSeconds: 86400, MemoryUsedBytes: 3 << 30,
			},
			{VMID: 101, Type: state.TypeCT, Node: "pve2", Name: "minimal", Status: "stopped"},
			{VMID: 999999999, Type: state.TypeVM, Node: "pve1", Name: "big-id", Status: "stopped", Config: map[string]string{}, Tags: []string{}, AgentIPs: []string{}},
		},
		Storages: []state.Storage{
			{Node: "pve1", Name: "local", Type: "dir", Content: []string{"iso", "vztmpl", "backup"}, Shared: true, Status: "available", UsedBytes: 10 << 30, TotalBytes: 100 << 30},
			{Node: "pve2", Name: "local"},
		},
		Networks: []state.Network{
			{Node: "pve1", Name: "vmbr0", Type: "bridge", CIDR: "192.168.1.10/24", Gateway: "192.168.1.1", Ports: "eno1 eno2", VLANAware: true, Active: true},
			{Node: "pve2", Name: "eno1"},
		},
		Volumes: []state.Volume{
			{Node: "pve1", Storage: "local", Volid: "local:vztmpl/debian-13-standard_13.1-1_amd64.tar.zst", Content: "vztmpl", SizeBytes: 132120576},
			{Storage: "nfs", Volid: "nfs:iso/debian-13.1.0-amd64-netinst.iso", Content: "iso", SizeBytes: 790626304},
		},
		Snapshots: []state.Snapshot{
			{VMID: 100, Name: "pre", Parent: "", Description: "before\nupgrade", Time: &snapTime, VMState: true},
			{VMID: 100, Name: "post", Parent: "pre"},
		},
	}
}

func testRoundTrip(t *testing.T, s state.Store) {
	at := Epoch().In(time.FixedZone("EST", -5*3600))
	in := fullInventory()
	Sync(t, s, at, in, nil)

	want := fullInventory()
	want.Guests = Seen(want.Guests, at, at)
	got := mustInventory(t, s)
	if diff := InventoryDiff(want, got); diff != "" {
		t.Errorf("Inventory after one sync (-want +got):\n%s", diff)
	}
	if diff := Diff(want.Guests, mustGuests(t, s, state.GuestFilter{})); diff != "" {
		t.Errorf("Guests ordered by vmid (-want +got):\n%s", diff)
	}
	for _, g := range got.Guests {
		if g.RemovedAt != nil {
			t.Errorf("guest %d: RemovedAt = %v, want nil", g.VMID, g.RemovedAt)
		}
	}
}

func testRoundTripSample(t *testing.T, s state.Store) {
	inv := SampleInventory(300)
	if diff := InventoryDiff(inv, SampleInventory(300)); diff != "" {
		t.Fatalf("SampleInventory is not deterministic:\n%s", diff)
	}
	t1 := Epoch()
	t2 := t1.Add(time.Hour)
	Sync(t, s, t1, inv, nil)
	Sync(t, s, t2, inv, nil)
	want := SampleInventory(300)
	want.Guests = Seen(want.Guests, t1, t2)
	if diff := InventoryDiff(want, mustInventory(t, s)); diff != "" {
		t.Errorf("Inventory after two identical syncs (-want +got):\n%s", diff)
	}
}

func guestByVMID(gs []state.Guest, vmid int) (state.Guest, bool) {
	for _, g := range gs {
		if g.VMID == vmid {
			return g, true
		}
	}
	return state.Guest{}, false
}

func testSecondSync(t *testing.T, s state.Store) {
	t1 := Epoch()
	t2 := t1.Add(time.Hour)
	t3 := t2.Add(time.Hour)
	t4 := t3.Add(time.Hour)
	base := SampleInventory(4) // vmids 100..103
	Sync(t, s, t1, base, nil)

	// Second sync: 101 changed and migrated, 102 gone, 104 new, one node and
	// one snapshot gone, a storage added.
	second := SampleInventory(4)
	second.Guests[1].Node, second.Guests[1].Config["cores"], second.Guests[1].CPUs = "pve9", "16", 16
	second.Guests = append(second.Guests[:2], second.Guests[3])
	second.Guests = append(second.Guests, state.Guest{VMID: 104, Type: state.TypeVM, Node: "pve1", Name: "new-one", Status: "running"})
	second.Nodes = append(second.Nodes, state.Node{Name: "pve9", Status: "online"})
	second.Snapshots = second.Snapshots[:1]
	second.Storages = append(second.Storages, state.Storage{Node: "pve9", Name: "ceph", Type: "rbd", Shared: true})
	second.Cluster.Version = "9.1.3"
	Sync(t, s, t2, second, nil)

	want := second
	want.Guests = []state.Guest{}
	for _, g := range second.Guests {
		first := t1
		if g.VMID == 104 {
			first = t2
		}
		want.Guests = append(want.Guests, Seen([]state.Guest{g}, first, t2)...)
	}
	if diff := InventoryDiff(want, mustInventory(t, s)); diff != "" {
		t.Errorf("Inventory after the second sync (-want +got):\n%s", diff)
	}

	all := mustGuests(t, s, state.GuestFilter{IncludeRemoved: true})
	gone, ok := guestByVMID(all, 102)
	if !ok {
		t.Fatalf("guest 102 missing from Guests(IncludeRemoved) after it disappeared: %+v", all)
	}
	wantGone := Seen([]state.Guest{base.Guests[2]}, t1, t1)[0]
	wantGone.RemovedAt = &t2
	if diff := Diff(wantGone, gone); diff != "" {
		t.Errorf("removed guest 102 (-want +got):\n%s", diff)
	}
	if _, ok := guestByVMID(mustGuests(t, s, state.GuestFilter{}), 102); ok {
		t.Errorf("Guests without IncludeRemoved returned removed guest 102")
	}

	// Third sync without 102 again: its removed_at stays t2.
	Sync(t, s, t3, second, nil)
	gone, _ = guestByVMID(mustGuests(t, s, state.GuestFilter{VMID: 102, IncludeRemoved: true}), 102)
	if gone.RemovedAt == nil || !gone.RemovedAt.Truncate(time.Microsecond).Equal(t2.Truncate(time.Microsecond)) {
		t.Errorf("guest 102 absent again: RemovedAt = %v, want %v (kept)", gone.RemovedAt, t2)
	}

	// Fourth sync: 102 is back; first_seen comes from its old row.
	fourth := second
	fourth.Guests = append(append([]state.Guest{}, second.Guests...), base.Guests[2])
	Sync(t, s, t4, fourth, nil)
	back, ok := guestByVMID(mustGuests(t, s, state.GuestFilter{}), 102)
	if !ok {
		t.Fatalf("guest 102 did not come back")
	}
	wantBack := Seen([]state.Guest{base.Guests[2]}, t1, t4)[0]
	if diff := Diff(wantBack, back); diff != "" {
		t.Errorf("guest 102 after it reappeared (-want +got):\n%s", diff)
	}
}

// testUnchangedHint: guests hinted as unchanged get their volatile values
// updated; a hinted guest that is not stored, or was removed, is written
// in full. The result equals the inventory, as without the hint.
func testUnchangedHint(t *testing.T, s state.Store) {
	t1 := Epoch()
	t2 := t1.Add(time.Hour)
	base := SampleInventory(3) // vmids 100..102
	base.Guests = base.Guests[:2]
	Sync(t, s, t1, base, nil)

	next := SampleInventory(3)
	for i := range next.Guests {
		next.Guests[i].UptimeSeconds += 600
		next.Guests[i].MemoryUsedBytes += 1 << 20
		next.Guests[i].Digest = fmt.Sprintf("digest-%d", i)
	}
	ctx := t.Context()
	baseID, err := lastSyncID(t, s)
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.BeginSync(ctx, t2)
	if err != nil {
		t.Fatal(err)
	}
	finished := t2.Add(time.Second)
	w := state.SyncWrite{
		BaseSyncID: baseID,
		Run:        state.SyncRun{ID: id, StartedAt: t2, FinishedAt: &finished, Outcome: state.OutcomeOK, Unchanged: 3},
		Inventory:  next,
		// 102 is not stored: the hint must not lose it.
		Unchanged: map[int]bool{100: true, 101: true, 102: true},
	}
	if err := s.CommitSync(ctx, w); err != nil {
		t.Fatalf("CommitSync: %v", err)
	}
	want := next
	want.Guests = append(Seen(next.Guests[:2], t1, t2), Seen(next.Guests[2:], t2, t2)...)
	if diff := InventoryDiff(want, mustInventory(t, s)); diff != "" {
		t.Errorf("Inventory after a hinted sync (-want +got):\n%s", diff)
	}
}

func testConflict(t *testing.T, s state.Store) {
	ctx := t.Context()
	t1 := Epoch()
	invA := SampleInventory(3)
	id1 := Sync(t, s, t1, invA, nil)

	id2, err := s.BeginSync(ctx, t1.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	id3, err := s.BeginSync(ctx, t1.Add(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	invC := SampleInventory(5)
	t3 := t1.Add(2 * time.Minute)
	if err := s.CommitSync(ctx, state.SyncWrite{
		BaseSyncID: id1, Run: state.SyncRun{ID: id3, StartedAt: t3, Outcome: state.OutcomeOK, Added: 2},
		Inventory: invC, Changes: []state.Change{{ResourceType: "guest", ResourceKey: "guest/103", Name: "vm-00103", Kind: state.ChangeCreated}},
	}); err != nil {
		t.Fatalf("CommitSync of run %d on base %d: %v", id3, id1, err)
	}

	stale := []struct {
		name string
		run  int64
		base int64
	}{
		{"base is an older successful sync", id2, id1},
		{"base zero although syncs exist", id2, 0},
		{"base never existed", id2, id3 + 100},
		{"base is the run itself", id2, id2},
	}
	for _, tc := range stale {
		t.Run(tc.name, func(t *testing.T) {
			err := s.CommitSync(ctx, state.SyncWrite{
				BaseSyncID: tc.base,
				Run:        state.SyncRun{ID: tc.run, StartedAt: t1.Add(time.Minute), Outcome: state.OutcomeOK, Removed: 3},
				Inventory:  state.Inventory{Cluster: state.Cluster{Endpoint: "https://other:8006"}},
				Changes:    []state.Change{{ResourceType: "guest", ResourceKey: "guest/100", Kind: state.ChangeRemoved}},
			})
			if !errors.Is(err, state.ErrConflict) {
				t.Fatalf("CommitSync on stale base %d: err = %v, want ErrConflict", tc.base, err)
			}
			want := invC
			want.Guests = Seen(invC.Guests, t1, t3)
			want.Guests[3].FirstSeen, want.Guests[4].FirstSeen = t3, t3
			if diff := InventoryDiff(want, mustInventory(t, s)); diff != "" {
				t.Errorf("Inventory changed by a conflicting write (-want +got):\n%s", diff)
			}
			if cs := mustHistory(t, s, state.HistoryFilter{SyncID: tc.run}); len(cs) != 0 {
				t.Errorf("conflicting write recorded history: %+v", cs)
			}
			last, err := s.LastSync(ctx)
			if err != nil || last.ID != id3 {
				t.Errorf("LastSync = %d, %v; want %d", last.ID, err, id3)
			}
			for _, r := range mustRuns(t, s, 0) {
				if r.ID == tc.run && r.Outcome != state.OutcomeRunning {
					t.Errorf("conflicting run %d: outcome %q, want %q", r.ID, r.Outcome, state.OutcomeRunning)
				}
			}
		})
	}
}

func testCommitUnknownRun(t *testing.T, s state.Store) {
	ctx := t.Context()
	err := s.CommitSync(ctx, state.SyncWrite{
		Run:       state.SyncRun{ID: 424242, StartedAt: Epoch(), Outcome: state.OutcomeOK},
		Inventory: SampleInventory(2),
	})
	if !isNotFound(err) {
		t.Fatalf("CommitSync of a run never begun: err = %v, want ErrNotFound", err)
	}
	if diff := InventoryDiff(state.Inventory{}, mustInventory(t, s)); diff != "" {
		t.Errorf("Inventory after a refused CommitSync (-want +got):\n%s", diff)
	}
	if _, err := s.LastSync(ctx); !isNotFound(err) {
		t.Errorf("LastSync after a refused CommitSync: err = %v, want ErrNotFound", err)
	}
}

func testFailSync(t *testing.T, s state.Store) {
	ctx := t.Context()
	t1 := Epoch()
	inv := SampleInventory(6)
	id1 := Sync(t, s, t1, inv, nil)
	before := mustInventory(t, s)

	t2 := t1.Add(time.Hour)
	id2, err := s.BeginSync(ctx, t2)
	if err != nil {
		t.Fatal(err)
	}
	end := t2.Add(3 * time.Second)
	cause := "GET /nodes/pve1/qemu/101/config: 500 Internal Server Error (connection reset)"
	if err := s.FailSync(ctx, id2, end, cause); err != nil {
		t.Fatalf("FailSync: %v", err)
	}
	if diff := InventoryDiff(before, mustInventory(t, s)); diff != "" {
		t.Errorf("FailSync touched the inventory (-want +got):\n%s", diff)
	}
	last, err := s.LastSync(ctx)
	if err != nil || last.ID != id1 {
		t.Errorf("LastSync after a failed run = %d, %v; want %d", last.ID, err, id1)
	}
	runs := mustRuns(t, s, 1)
	want := []state.SyncRun{{ID: id2, StartedAt: t2, FinishedAt: &end, Outcome: state.OutcomeFailed, Error: cause}}
	if diff := Diff(want, runs); diff != "" {
		t.Errorf("SyncRuns(1) after a failed run (-want +got):\n%s", diff)
	}
	if err := s.FailSync(ctx, id2+1000, end, "x"); !isNotFound(err) {
		t.Errorf("FailSync of an unknown run: err = %v, want ErrNotFound", err)
	}
}

func testSyncRuns(t *testing.T, s state.Store) {
	ctx := t.Context()
	if _, err := s.LastSync(ctx); !isNotFound(err) {
		t.Fatalf("LastSync before any sync: err = %v, want ErrNotFound", err)
	}
	t1 := Epoch()
	f1, f2, f3 := t1.Add(time.Second), t1.Add(time.Hour+time.Second), t1.Add(2*time.Hour+time.Second)

	id1, err := s.BeginSync(ctx, t1)
	if err != nil {
		t.Fatal(err)
	}
	run1 := state.SyncRun{ID: id1, StartedAt: t1, FinishedAt: &f1, Outcome: state.OutcomeOK, Added: 6}
	if err := s.CommitSync(ctx, state.SyncWrite{Run: run1, Inventory: SampleInventory(6)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LastSync(ctx); err != nil {
		t.Fatalf("LastSync after the first sync: %v", err)
	}
	id2, err := s.BeginSync(ctx, t1.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.FailSync(ctx, id2, f2, "interrupted"); err != nil {
		t.Fatal(err)
	}
	id3, err := s.BeginSync(ctx, t1.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	run3 := state.SyncRun{ID: id3, StartedAt: t1.Add(2 * time.Hour), FinishedAt: &f3, Outcome: state.OutcomeOK, Added: 1, Changed: 2, Removed: 3, Unchanged: 4}
	if err := s.CommitSync(ctx, state.SyncWrite{BaseSyncID: id1, Run: run3, Inventory: SampleInventory(4)}); err != nil {
		t.Fatal(err)
	}
	id4, err := s.BeginSync(ctx, t1.Add(3*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if id1 >= id2 || id2 >= id3 || id3 >= id4 {
		t.Errorf("run ids not increasing: %d %d %d %d", id1, id2, id3, id4)
	}

	last, err := s.LastSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := Diff(run3, last); diff != "" {
		t.Errorf("LastSync is the newest successful run (-want +got):\n%s", diff)
	}
	all := []state.SyncRun{
		{ID: id4, StartedAt: t1.Add(3 * time.Hour), Outcome: state.OutcomeRunning},
		run3,
		{ID: id2, StartedAt: t1.Add(time.Hour), FinishedAt: &f2, Outcome: state.OutcomeFailed, Error: "interrupted"},
		run1,
	}
	for _, limit := range []int{0, 2, 4, 10} {
		want := all
		if limit > 0 && limit < len(all) {
			want = all[:limit]
		}
		if diff := Diff(want, mustRuns(t, s, limit)); diff != "" {
			t.Errorf("SyncRuns(%d), newest first (-want +got):\n%s", limit, diff)
		}
	}
}

func testHistory(t *testing.T, s state.Store) {
	t1 := Epoch()
	t2 := t1.Add(time.Hour)
	inv := SampleInventory(2)
	// Zero SyncID and At are filled from the run.
	c1 := []state.Change{
		{ResourceType: "guest", ResourceKey: "guest/100", Name: "vm-00100", Kind: state.ChangeCreated},
		{ResourceType: "guest", ResourceKey: "guest/101", Name: "ct-00101", Kind: state.ChangeCreated},
		{ResourceType: "node", ResourceKey: "node/pve1", Name: "pve1", Kind: state.ChangeCreated},
	}
	id1 := Sync(t, s, t1, inv, c1)
	c2 := []state.Change{
		{At: t2, ResourceType: "guest", ResourceKey: "guest/100", Name: "vm-00100", Kind: state.ChangeUpdated, Field: "cores", Old: "2", New: "4"},
		{At: t2, ResourceType: "guest", ResourceKey: "guest/100", Name: "vm-00100", Kind: state.ChangeUpdated, Field: "description", Old: "", New: "multi\nline — ü"},
		{At: t2, ResourceType: "guest", ResourceKey: "guest/101", Name: "ct-00101", Kind: state.ChangeRemoved},
	}
	id2 := Sync(t, s, t2, SampleInventory(1), c2)
	for i := range c1 {
		c1[i].SyncID, c1[i].At = id1, t1
	}
	for i := range c2 {
		c2[i].SyncID = id2
	}
	all := append(append([]state.Change{}, c1...), c2...)

	tests := []struct {
		name string
		f    state.HistoryFilter
		want []state.Change
	}{
		{"all, oldest first", state.HistoryFilter{}, all},
		{"one resource", state.HistoryFilter{ResourceKey: "guest/100"}, []state.Change{c1[0], c2[0], c2[1]}},
		{"one sync", state.HistoryFilter{SyncID: id2}, c2},
		{"resource and sync", state.HistoryFilter{ResourceKey: "guest/101", SyncID: id1}, []state.Change{c1[1]}},
		{"limit keeps the newest", state.HistoryFilter{Limit: 2}, []state.Change{c2[1], c2[2]}},
		{"limit over a resource", state.HistoryFilter{ResourceKey: "guest/100", Limit: 2}, []state.Change{c2[0], c2[1]}},
		{"limit larger than the result", state.HistoryFilter{ResourceKey: "node/pve1", Limit: 5}, []state.Change{c1[2]}},
		{"unknown resource", state.HistoryFilter{ResourceKey: "guest/999"}, nil},
		{"unknown sync", state.HistoryFilter{SyncID: id2 + 100}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := Diff(tc.want, mustHistory(t, s, tc.f)); diff != "" {
				t.Errorf("History(%+v) (-want +got):\n%s", tc.f, diff)
			}
		})
	}
}

func testGuests(t *testing.T, s state.Store) {
	t1 := Epoch()
	t2 := t1.Add(time.Hour)
	inv := SampleInventory(8) // 100..107; 101 and 105 are containers
	Sync(t, s, t1, inv, nil)
	second := SampleInventory(8)
	second.Guests = append(second.Guests[:5:5], second.Guests[6:]...) // 105 (a container) goes away
	Sync(t, s, t2, second, nil)

	seen := func(i int) state.Guest { return Seen([]state.Guest{inv.Guests[i]}, t1, t2)[0] }
	removed := Seen([]state.Guest{inv.Guests[5]}, t1, t1)[0]
	removed.RemovedAt = &t2

	tests := []struct {
		name string
		f    state.GuestFilter
		want []state.Guest
	}{
		{"all present", state.GuestFilter{}, []state.Guest{seen(0), seen(1), seen(2), seen(3), seen(4), seen(6), seen(7)}},
		{"all with removed", state.GuestFilter{IncludeRemoved: true}, []state.Guest{seen(0), seen(1), seen(2), seen(3), seen(4), removed, seen(6), seen(7)}},
		{"containers", state.GuestFilter{Type: state.TypeCT}, []state.Guest{seen(1)}},
		{"containers with removed", state.GuestFilter{Type: state.TypeCT, IncludeRemoved: true}, []state.Guest{seen(1), removed}},
		{"vms", state.GuestFilter{Type: state.TypeVM}, []state.Guest{seen(0), seen(2), seen(3), seen(4), seen(6), seen(7)}},
		{"by vmid", state.GuestFilter{VMID: 103}, []state.Guest{seen(3)}},
		{"removed by vmid, excluded", state.GuestFilter{VMID: 105}, nil},
		{"removed by vmid, included", state.GuestFilter{VMID: 105, IncludeRemoved: true}, []state.Guest{removed}},
		{"by name", state.GuestFilter{Name: "vm-00104"}, []state.Guest{seen(4)}},
		{"name is exact", state.GuestFilter{Name: "vm-0010"}, nil},
		{"name and wrong type", state.GuestFilter{Name: "vm-00104", Type: state.TypeCT}, nil},
		{"unknown vmid", state.GuestFilter{VMID: 9999}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := Diff(tc.want, mustGuests(t, s, tc.f)); diff != "" {
				t.Errorf("Guests(%+v) (-want +got):\n%s", tc.f, diff)
			}
		})
	}
}

func testOperations(t *testing.T, s state.Store) {
	ctx := t.Context()
	t1 := Epoch()
	t2, t3 := t1.Add(time.Minute), t1.Add(2*time.Minute)
	ops := []state.Operation{
		{
			StartedAt: t1, OSUser: "alice", APIIdentity: "root@pam!mpc", Action: "start", Target: "vm/100",
			Params: map[string]any{
				"wait": true, "timeout": 30.0, "nodes": []any{"pve1", "pve2"},
				"opts": map[string]any{"force": false, "note": "ü \"q\""}, "none": nil,
			},
			Outcome: state.OutcomeRunning, CorrelationID: "c1",
		},
		{StartedAt: t2, OSUser: "bob", Action: "stop", Target: "ct/101", Outcome: state.OutcomeRunning, CorrelationID: "c2"},
		{StartedAt: t3, OSUser: "alice", Action: "start", Target: "vm/102", UPID: "UPID:pve1:0000A1B2:00C3D4E5:65F0A0B0:qmstart:102:root@pam:", Outcome: state.OutcomeRunning, CorrelationID: "c1", DurationMS: 7},
	}
	var prev int64
	for i := range ops {
		id, err := s.RecordOperation(ctx, ops[i])
		if err != nil {
			t.Fatalf("RecordOperation: %v", err)
		}
		if id <= prev {
			t.Fatalf("RecordOperation returned id %d after %d, want increasing positive ids", id, prev)
		}
		ops[i].ID, prev = id, id
	}
	end1 := t1.Add(1500 * time.Millisecond)
	upid1 := "UPID:pve1:00001234:0000ABCD:65F0A000:qmstart:100:root@pam:"
	if err := s.FinishOperation(ctx, ops[0].ID, end1, state.OutcomeOK, "", upid1); err != nil {
		t.Fatalf("FinishOperation: %v", err)
	}
	ops[0].FinishedAt, ops[0].Outcome, ops[0].UPID, ops[0].DurationMS = &end1, state.OutcomeOK, upid1, 1500
	end3 := t3.Add(250 * time.Millisecond)
	if err := s.FinishOperation(ctx, ops[2].ID, end3, state.OutcomeFailed, "task failed: exit code 1", ""); err != nil {
		t.Fatalf("FinishOperation: %v", err)
	}
	ops[2].FinishedAt, ops[2].Outcome, ops[2].Error, ops[2].DurationMS = &end3, state.OutcomeFailed, "task failed: exit code 1", 250
	if err := s.FinishOperation(ctx, ops[2].ID+1000, end3, state.OutcomeOK, "", ""); !isNotFound(err) {
		t.Errorf("FinishOperation of an unknown id: err = %v, want ErrNotFound", err)
	}

	tests := []struct {
		name string
		f    state.OperationFilter
		want []state.Operation
	}{
		{"all, newest first", state.OperationFilter{}, []state.Operation{ops[2], ops[1], ops[0]}},
		{"by action", state.OperationFilter{Action: "start"}, []state.Operation{ops[2], ops[0]}},
		{"by correlation id", state.OperationFilter{CorrelationID: "c2"}, []state.Operation{ops[1]}},
		{"since is inclusive", state.OperationFilter{Since: t2}, []state.Operation{ops[2], ops[1]}},
		{"limit keeps the newest", state.OperationFilter{Limit: 2}, []state.Operation{ops[2], ops[1]}},
		{"combined", state.OperationFilter{Action: "start", CorrelationID: "c1", Since: t1.Add(time.Second), Limit: 5}, []state.Operation{ops[2]}},
		{"nothing matches", state.OperationFilter{Action: "migrate"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Operations(ctx, tc.f)
			if err != nil {
				t.Fatalf("Operations(%+v): %v", tc.f, err)
			}
			if diff := Diff(tc.want, got); diff != "" {
				t.Errorf("Operations(%+v) (-want +got):\n%s", tc.f, diff)
			}
		})
	}
}

// testConcurrent runs syncs, journal writes and reads at once: every sync
// either commits or is refused with ErrConflict, and the store stays whole.
func testConcurrent(t *testing.T, s state.Store) {
	ctx := t.Context()
	const workers = 6
	var wg sync.WaitGroup
	errs := make(chan error, 3*workers)
	committed := make(chan int64, workers)
	for w := range workers {
		wg.Go(func() {
			at := Epoch().Add(time.Duration(w) * time.Minute)
			run, err := s.LastSync(ctx)
			if err != nil && !isNotFound(err) {
				errs <- fmt.Errorf("worker %d: LastSync: %w", w, err)
				return
			}
			id, err := s.BeginSync(ctx, at)
			if err != nil {
				errs <- fmt.Errorf("worker %d: BeginSync: %w", w, err)
				return
			}
			err = s.CommitSync(ctx, state.SyncWrite{
				BaseSyncID: run.ID,
				Run:        state.SyncRun{ID: id, StartedAt: at, Outcome: state.OutcomeOK, Added: 40 + w},
				Inventory:  SampleInventory(40 + w),
				Changes:    []state.Change{{ResourceType: "guest", ResourceKey: fmt.Sprintf("guest/%d", 100+w), Kind: state.ChangeCreated}},
			})
			switch {
			case err == nil:
				committed <- id
			case errors.Is(err, state.ErrConflict):
				if err := s.FailSync(ctx, id, at.Add(time.Second), err.Error()); err != nil {
					errs <- fmt.Errorf("worker %d: FailSync: %w", w, err)
				}
			default:
				errs <- fmt.Errorf("worker %d: CommitSync: %w", w, err)
			}
		})
		wg.Go(func() {
			if _, err := s.RecordOperation(ctx, state.Operation{StartedAt: Epoch(), Action: "sync", Target: fmt.Sprint(w), Params: map[string]any{"w": float64(w)}}); err != nil {
				errs <- fmt.Errorf("reader %d: RecordOperation: %w", w, err)
			}
			inv, err := s.Inventory(ctx)
			if err != nil {
				errs <- fmt.Errorf("reader %d: Inventory: %w", w, err)
				return
			}
			// A reader sees one whole sync or none, never a mix.
			if n := len(inv.Guests); n != 0 && (n < 40 || n >= 40+workers) {
				errs <- fmt.Errorf("reader %d: Inventory has %d guests, not one whole sync", w, n)
			}
		})
	}
	wg.Wait()
	close(errs)
	close(committed)
	for err := range errs {
		t.Error(err)
	}
	var ids []int64
	for id := range committed {
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		t.Fatalf("no concurrent sync committed")
	}
	if err := s.Check(ctx); err != nil {
		t.Errorf("Check after concurrent syncs: %v", err)
	}
	last, err := s.LastSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(mustInventory(t, s).Guests); got != last.Added {
		t.Errorf("Inventory has %d guests, the last sync (%d) wrote %d", got, last.ID, last.Added)
	}
	for _, r := range mustRuns(t, s, 0) {
		if r.Outcome == state.OutcomeRunning {
			t.Errorf("run %d left running", r.ID)
		}
	}
}

func testInfoCheck(t *testing.T, s state.Store) {
	ctx := t.Context()
	Sync(t, s, Epoch(), SampleInventory(20), nil)
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if info.Backend != "sqlite" && info.Backend != "postgres" {
		t.Errorf("Info.Backend = %q, want sqlite or postgres", info.Backend)
	}
	if info.Location == "" {
		t.Errorf("Info.Location is empty")
	}
	if info.SchemaVersion < 1 {
		t.Errorf("Info.SchemaVersion = %d, want >= 1", info.SchemaVersion)
	}
	if info.SizeBytes <= 0 {
		t.Errorf("Info.SizeBytes = %d, want > 0", info.SizeBytes)
	}
	if err := s.Check(ctx); err != nil {
		t.Errorf("Check: %v", err)
	}
}

// testGeneratedFiles: files are stored by path (replaced on a second
// record), removed paths are forgotten, and the list is ordered by path.
func testGeneratedFiles(t *testing.T, s state.Store) {
	ctx := t.Context()
	got, err := s.GeneratedFiles(ctx)
	if err != nil || len(got) != 0 {
		t.Fatalf("GeneratedFiles on an empty store = %v, %v", got, err)
	}
	t1 := Epoch()
	first := []state.GeneratedFile{
		{Path: "terraform/web_01.tf", SHA256: "aa", Content: []byte("resource {}\n"), GeneratedAt: t1},
		{Path: "ansible/inventory.yml", SHA256: "bb", Content: []byte("all: {}\n"), GeneratedAt: t1},
		{Path: "terraform/empty.tf", SHA256: "cc", Content: nil, GeneratedAt: t1},
	}
	if err := s.RecordGeneratedFiles(ctx, first, nil); err != nil {
		t.Fatalf("RecordGeneratedFiles: %v", err)
	}
	t2 := t1.Add(time.Hour)
	second := []state.GeneratedFile{{Path: "terraform/web_01.tf", SHA256: "dd", Content: []byte("resource { x = 1 }\n"), GeneratedAt: t2}}
	if err := s.RecordGeneratedFiles(ctx, second, []string{"terraform/empty.tf", "never/stored.tf"}); err != nil {
		t.Fatalf("RecordGeneratedFiles again: %v", err)
	}
	got, err = s.GeneratedFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []state.GeneratedFile{first[1], second[0]}
	if len(got) != len(want) {
		t.Fatalf("GeneratedFiles = %d files, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Path != w.Path || g.SHA256 != w.SHA256 || string(g.Content) != string(w.Content) ||
			!g.GeneratedAt.Truncate(time.Microsecond).Equal(w.GeneratedAt.Truncate(time.Microsecond)) {
			t.Errorf("file %d = %+v, want %+v", i, g, w)
		}
	}
}
