package discovery

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

func newSyncer(f *fixture, st state.Store) *Syncer {
	return &Syncer{Store: st, Client: f.client, Options: testOptions()}
}

// changeLines renders changes as "key kind [field old→new]" lines.
func changeLines(cs []state.Change) []string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		if c.Field == "" {
			out = append(out, c.ResourceKey+" "+c.Kind)
			continue
		}
		out = append(out, c.ResourceKey+" "+c.Kind+" "+c.Field+" "+c.Old+"→"+c.New)
	}
	return out
}

func TestSyncTwiceNoChanges(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pvesim.Options{Seed: 2, TaskDuration: -1})
	st := newMemStore()
	s := newSyncer(f, st)
	first, err := s.Sync(t.Context())
	if err != nil {
		t.Fatalf("first sync: %v", err)
	}
	fx := f.sim.Fixtures()
	if first.Summary.Added != fx.Guests || first.Summary.Changed+first.Summary.Removed+first.Summary.Unchanged != 0 {
		t.Errorf("first summary = %+v, want %d added", first.Summary, fx.Guests)
	}
	if first.SyncID == 0 {
		t.Error("first sync has no id")
	}
	for _, c := range first.Changes {
		if c.Kind != state.ChangeCreated || c.SyncID != first.SyncID {
			t.Errorf("first sync change %+v: want created in sync %d", c, first.SyncID)
		}
	}
	second, err := s.Sync(t.Context())
	if err != nil {
		t.Fatalf("second sync: %v", err)
	}
	if len(second.Changes) != 0 {
		t.Errorf("second sync changes:\n%s", strings.Join(changeLines(second.Changes), "\n"))
	}
	if want := (Summary{Unchanged: fx.Guests}); second.Summary.Added != 0 || second.Summary.Changed != 0 ||
		second.Summary.Removed != 0 || second.Summary.Unchanged != want.Unchanged {
		t.Errorf("second summary = %+v, want %d unchanged", second.Summary, want.Unchanged)
	}
	hist, err := st.History(t.Context(), state.HistoryFilter{SyncID: second.SyncID})
	if err != nil || len(hist) != 0 {
		t.Errorf("history of second sync: %d rows, err %v", len(hist), err)
	}
	runs, _ := st.SyncRuns(t.Context(), 0)
	if len(runs) != 2 || runs[0].Outcome != state.OutcomeOK || runs[0].Unchanged != fx.Guests || runs[0].FinishedAt == nil {
		t.Errorf("runs = %+v", runs)
	}
}

func TestSyncChanges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(t *testing.T, f *fixture)
		want   []string
		sum    Summary // Unchanged is checked as total - the rest
	}{
		{
			name: "config update",
			change: func(t *testing.T, f *fixture) {
				fx := f.sim.Fixtures()
				form := url.Values{"cores": {"4"}, "description": {"sandbox"}, "delete": {"numa"}}
				upid, err := f.admin.UpdateConfig(t.Context(), fx.Node, pve.KindVM, fx.StoppedVMID, form, false)
				f.wait(t, upid, err)
			},
			want: []string{
				"guest/109 changed cpus 2→4",
				"guest/109 changed config.cores 2→4",
				"guest/109 changed config.description →sandbox",
				"guest/109 changed config.numa 0→",
			},
			sum: Summary{Changed: 1},
		},
		{
			name: "start a vm",
			change: func(t *testing.T, f *fixture) {
				fx := f.sim.Fixtures()
				upid, err := f.admin.GuestAction(t.Context(), fx.Node, pve.KindVM, fx.StoppedVMID, "start")
				f.wait(t, upid, err)
			},
			// 109 has no agent configured: only the status changes
			want: []string{"guest/109 changed status stopped→running"},
			sum:  Summary{Changed: 1},
		},
		{
			name: "migrate a running vm",
			change: func(t *testing.T, f *fixture) {
				fx := f.sim.Fixtures()
				form := url.Values{"target": {fx.OtherNode}, "online": {"1"}}
				upid, err := f.admin.Migrate(t.Context(), fx.Node, pve.KindVM, fx.VMID, form)
				f.wait(t, upid, err)
			},
			want: []string{"guest/101 changed node pve1→pve2"},
			sum:  Summary{Changed: 1},
		},
		{
			name: "snapshot and delete",
			change: func(t *testing.T, f *fixture) {
				fx := f.sim.Fixtures()
				upid, err := f.admin.CreateSnapshot(t.Context(), fx.Node, pve.KindCT, fx.CTID, "nightly")
				f.wait(t, upid, err)
				upid, err = f.admin.DeleteGuest(t.Context(), fx.Node, pve.KindCT, 203, nil)
				f.wait(t, upid, err)
			},
			want: []string{
				"guest/200 changed config.parent stable→nightly",
				"guest/203 removed",
				"snapshot/200/nightly created",
			},
			sum: Summary{Changed: 1, Removed: 1},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, pvesim.Options{Seed: 3, TaskDuration: -1})
			st := newMemStore()
			s := newSyncer(f, st)
			first, err := s.Sync(t.Context())
			if err != nil {
				t.Fatalf("first sync: %v", err)
			}
			tc.change(t, f)
			res, err := s.Sync(t.Context())
			if err != nil {
				t.Fatalf("second sync: %v", err)
			}
			if diff := cmp.Diff(tc.want, changeLines(res.Changes)); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			want := tc.sum
			want.Unchanged = first.Summary.Added - want.Changed - want.Removed
			want.Duration = res.Summary.Duration
			if diff := cmp.Diff(want, res.Summary); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
			hist, err := st.History(t.Context(), state.HistoryFilter{SyncID: res.SyncID})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, changeLines(hist)); diff != "" {
				t.Errorf("stored history (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pvesim.Options{Seed: 4, TaskDuration: -1})
	st := newMemStore()
	s := newSyncer(f, st)
	dry, err := s.DryRun(t.Context())
	if err != nil {
		t.Fatalf("DryRun on an empty store: %v", err)
	}
	fx := f.sim.Fixtures()
	if dry.Summary.Added != fx.Guests || dry.SyncID != 0 {
		t.Errorf("dry run = id %d %+v, want %d added", dry.SyncID, dry.Summary, fx.Guests)
	}
	if runs, _ := st.SyncRuns(t.Context(), 0); len(runs) != 0 {
		t.Errorf("dry run wrote %d runs", len(runs))
	}
	if _, err := s.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	upid, err := f.admin.UpdateConfig(t.Context(), fx.Node, pve.KindVM, fx.StoppedVMID, url.Values{"memory": {"3072"}}, false)
	f.wait(t, upid, err)
	before, _ := st.Inventory(t.Context())
	dry, err = s.DryRun(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"guest/109 changed memory_bytes 2147483648→3221225472", "guest/109 changed config.memory 2048→3072"}
	if diff := cmp.Diff(want, changeLines(dry.Changes)); diff != "" {
		t.Errorf("dry run changes (-want +got):\n%s", diff)
	}
	after, _ := st.Inventory(t.Context())
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("dry run changed the stored inventory:\n%s", diff)
	}
	if runs, _ := st.SyncRuns(t.Context(), 0); len(runs) != 1 {
		t.Errorf("%d runs after one sync and two dry runs", len(runs))
	}
}

// TestSyncSilentAgentKeepsIPs: an agent that does not answer is a warning,
// and the guest keeps the addresses the last sync saw.
func TestSyncSilentAgentKeepsIPs(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pvesim.Options{Seed: 5})
	st := newMemStore()
	s := newSyncer(f, st)
	s.Options.AgentTimeout = 50_000_000 // 50ms
	s.Options.AgentMaxAge = -1          // ask every agent every time
	if _, err := s.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	f.tap.setHook(blockAgent("101"))
	res, err := s.Sync(t.Context())
	if err != nil {
		t.Fatalf("sync with a silent agent: %v", err)
	}
	if len(res.Warnings) != 1 || res.Warnings[0].Resource != "guest/101" {
		t.Errorf("warnings = %v", res.Warnings)
	}
	if len(res.Changes) != 0 {
		t.Errorf("changes:\n%s", strings.Join(changeLines(res.Changes), "\n"))
	}
}

// TestSyncReusesAgentAddresses: a second sync asks again only the agents
// of VMs that restarted or changed config since, or all of them once the
// addresses may be older than AgentMaxAge, or with AgentMaxAge < 0.
func TestSyncReusesAgentAddresses(t *testing.T) {
	t.Parallel()
	isAgent := func(p string) bool { return strings.HasSuffix(p, "/agent/network-get-interfaces") }
	tests := []struct {
		name   string
		maxAge time.Duration
		step   time.Duration // clock advance between the syncs
		change func(t *testing.T, f *fixture)
		want   func(first int) int // agent probes of the second sync
	}{
		{name: "nothing changed", step: time.Minute, want: func(int) int { return 0 }},
		{name: "rebooted", step: time.Minute, want: func(int) int { return 1 },
			change: func(t *testing.T, f *fixture) {
				upid, err := f.admin.GuestAction(t.Context(), "pve1", pve.KindVM, 101, "reboot")
				f.wait(t, upid, err)
			}},
		{name: "config changed", step: time.Minute, want: func(int) int { return 1 },
			change: func(t *testing.T, f *fixture) {
				_, err := f.admin.UpdateConfig(t.Context(), "pve1", pve.KindVM, 101, url.Values{"description": {"x"}}, false)
				if err != nil {
					t.Fatal(err)
				}
			}},
		{name: "next window", step: DefaultAgentMaxAge, want: func(n int) int { return n }},
		{name: "refresh", maxAge: -1, step: time.Second, want: func(n int) int { return n }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
			clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
			f := newFixture(t, pvesim.Options{Seed: 5, Now: clock, TaskDuration: -1})
			st := newMemStore()
			s := newSyncer(f, st)
			s.Options.Now, s.Options.AgentMaxAge = clock, tc.maxAge
			if _, err := s.Sync(t.Context()); err != nil {
				t.Fatal(err)
			}
			first := f.tap.count("GET", isAgent)
			if first < 2 {
				t.Fatalf("first sync probed %d agents; the scenario needs more", first)
			}
			before, _ := st.Inventory(t.Context())
			mu.Lock()
			now = now.Add(tc.step)
			mu.Unlock()
			if tc.change != nil {
				tc.change(t, f)
			}
			if _, err := s.Sync(t.Context()); err != nil {
				t.Fatal(err)
			}
			if got, want := f.tap.count("GET", isAgent)-first, tc.want(first); got != want {
				t.Errorf("second sync probed %d agents, want %d", got, want)
			}
			after, _ := st.Inventory(t.Context())
			for i := range after.Guests {
				if !slices.Equal(before.Guests[i].AgentIPs, after.Guests[i].AgentIPs) {
					t.Errorf("vm %d agent IPs %v → %v", after.Guests[i].VMID, before.Guests[i].AgentIPs, after.Guests[i].AgentIPs)
				}
			}
		})
	}
}

func TestSyncCommitFailure(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pvesim.Options{Seed: 6})
	st := newMemStore()
	s := newSyncer(f, st)
	if _, err := s.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	before, _ := st.Inventory(t.Context())
	st.commitErr = state.ErrLocked
	res, err := s.Sync(t.Context())
	if !errors.Is(err, state.ErrLocked) {
		t.Fatalf("err = %v, want ErrLocked", err)
	}
	assertFailedRun(t, st, res.SyncID, "database is locked")
	after, _ := st.Inventory(t.Context())
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("inventory changed by a failed sync:\n%s", diff)
	}
}

func TestSyncConflict(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pvesim.Options{Seed: 6})
	st := newMemStore()
	a, b := newSyncer(f, st), newSyncer(f, st)
	// b commits between a's diff and a's commit: a's base is stale, its
	// commit must be refused and its run recorded as failed.
	ctx := t.Context()
	hook := true
	a.Options.Progress = func(p Progress) {
		if hook && p.Phase == PhaseWriting && p.Done == 0 {
			hook = false
			if _, err := b.Sync(ctx); err != nil {
				t.Errorf("inner sync: %v", err)
			}
		}
	}
	_, err := a.Sync(ctx)
	if !errors.Is(err, state.ErrConflict) {
		t.Fatalf("err = %v, want ErrConflict", err)
	}
	runs, _ := st.SyncRuns(ctx, 0)
	if len(runs) != 2 || runs[0].Outcome != state.OutcomeOK || runs[1].Outcome != state.OutcomeFailed {
		t.Errorf("runs = %+v", runs)
	}
}

func assertFailedRun(t *testing.T, st state.Store, id int64, errText string) {
	t.Helper()
	runs, err := st.SyncRuns(context.WithoutCancel(t.Context()), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if r.ID != id {
			continue
		}
		if r.Outcome != state.OutcomeFailed || r.FinishedAt == nil || r.Error == "" || !strings.Contains(r.Error, errText) {
			t.Errorf("run %d = %+v, want failed with %q", id, r, errText)
		}
		return
	}
	t.Errorf("run %d not recorded", id)
}
