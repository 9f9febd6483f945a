package discovery

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// TestSyncCancelled: Ctrl-C in the middle of discovery fails the sync,
// records the failed run with its error and leaves the stored inventory
// as the last sync wrote it.
func TestSyncCancelled(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pvesim.Options{Seed: 7, TaskDuration: -1})
	st := newMemStore()
	s := newSyncer(f, st)
	if _, err := s.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	before, _ := st.Inventory(t.Context())
	// something to lose if the cancelled run were written
	fx := f.sim.Fixtures()
	upid, err := f.admin.DeleteGuest(t.Context(), fx.Node, pve.KindVM, fx.StoppedVMID, nil)
	f.wait(t, upid, err)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	s.Options.Progress = func(p Progress) {
		if p.Phase == PhaseGuests && p.Done == 5 {
			cancel()
		}
	}
	res, err := s.Sync(ctx)
	if err == nil {
		t.Fatal("cancelled sync succeeded")
	}
	if !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("error %q does not name the cancellation", err)
	}
	assertFailedRun(t, st, res.SyncID, "context canceled")
	after, _ := st.Inventory(context.WithoutCancel(ctx))
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("cancelled sync changed the inventory:\n%s", diff)
	}
	if st.commits != 1 {
		t.Errorf("%d commits, want only the first sync's", st.commits)
	}
}

// TestSyncFaults: against a simulator that answers 5xx and drops
// connections, a sync either completes with the same inventory a clean
// sync sees, or fails cleanly: run recorded as failed, inventory intact.
func TestSyncFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                string
		failRate, resetRate float64
		attempts            int
		wantOK, wantFailed  bool // at least one run must end this way
	}{
		{name: "5% 5xx, 1% resets", failRate: 0.05, resetRate: 0.01, attempts: 3, wantOK: true},
		{name: "60% 5xx, 20% resets", failRate: 0.6, resetRate: 0.2, attempts: 1, wantFailed: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// The clean and the faulty simulator generate the same cluster
			// from the same seed and the same clock (creation times and
			// snapshot times are relative to it).
			fixed := time.Now()
			clock := func() time.Time { return fixed }
			clean := newFixture(t, pvesim.Options{Seed: 8, Now: clock})
			st := newMemStore()
			if _, err := newSyncer(clean, st).Sync(t.Context()); err != nil {
				t.Fatalf("clean sync: %v", err)
			}
			before, _ := st.Inventory(t.Context())
			// One faulty simulator for all attempts: its fault generator
			// moves on, so every attempt meets different faults.
			faulty := newFixture(t, pvesim.Options{Seed: 8, Now: clock, FailRate: tc.failRate, ResetRate: tc.resetRate})
			var ok, failed int
			for range tc.attempts {
				res, err := newSyncer(faulty, st).Sync(t.Context())
				after, _ := st.Inventory(t.Context())
				if err != nil {
					failed++
					t.Logf("sync failed cleanly: %v", err)
					assertFailedRun(t, st, res.SyncID, "")
					if diff := cmp.Diff(before, after); diff != "" {
						t.Errorf("failed sync changed the inventory:\n%s", diff)
					}
					continue
				}
				ok++
				if len(res.Changes) != 0 {
					t.Errorf("faulty sync saw changes the cluster did not make:\n%s", strings.Join(changeLines(res.Changes), "\n"))
				}
				if len(after.Guests) != len(before.Guests) {
					t.Errorf("%d guests stored, want %d", len(after.Guests), len(before.Guests))
				}
				runs, _ := st.SyncRuns(t.Context(), 1)
				if len(runs) != 1 || runs[0].ID != res.SyncID || runs[0].Outcome != state.OutcomeOK {
					t.Errorf("last run = %+v, want sync %d ok", runs, res.SyncID)
				}
				before = after
			}
			t.Logf("%d ok, %d failed", ok, failed)
			if tc.wantOK && ok == 0 {
				t.Error("no sync completed: retries do not absorb the faults")
			}
			if tc.wantFailed && failed == 0 {
				t.Error("no sync failed")
			}
		})
	}
}

// TestSyncGuestDeletedMidSync: a guest listed by /cluster/resources and
// gone by the time its config is read is a warning; the sync succeeds and
// records it as removed.
func TestSyncGuestDeletedMidSync(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pvesim.Options{Seed: 9, TaskDuration: -1})
	st := newMemStore()
	s := newSyncer(f, st)
	if _, err := s.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	fx := f.sim.Fixtures()
	var once sync.Once
	f.tap.setHook(func(req *http.Request) (*http.Response, error) {
		if strings.HasSuffix(req.URL.Path, "/qemu/109/config") {
			once.Do(func() {
				upid, err := f.admin.DeleteGuest(req.Context(), fx.Node, pve.KindVM, 109, nil)
				f.wait(t, upid, err)
			})
		}
		return nil, nil
	})
	res, err := s.Sync(t.Context())
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	want := []Warning{{Resource: "guest/109", Message: "vm 109 vanished during the sync"}}
	if diff := cmp.Diff(want, res.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"guest/109 removed"}, changeLines(res.Changes)); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if res.Summary.Removed != 1 {
		t.Errorf("summary = %+v", res.Summary)
	}
}

// TestReadRetry: transient failures are tried twice more, then fail;
// not-found and cancellation are not retried.
func TestReadRetry(t *testing.T) {
	t.Parallel()
	serverErr := &pve.APIError{Method: "GET", Path: "/x", Status: 500, Message: "got timeout"}
	notFound := &pve.APIError{Method: "GET", Path: "/x", Status: 500, Message: "Configuration file 'x' does not exist"}
	netErr := &pve.NetworkError{Endpoint: "https://x", Err: context.DeadlineExceeded}
	tests := []struct {
		name      string
		errs      []error // returned in turn; nil ends the list with success
		wantCalls int
		wantErr   bool
	}{
		{"success", []error{nil}, 1, false},
		{"one 500 then ok", []error{serverErr, nil}, 2, false},
		{"network error twice then ok", []error{netErr, netErr, nil}, 3, false},
		{"three 500s fail", []error{serverErr, serverErr, serverErr, nil}, 3, true},
		{"not found is final", []error{notFound, nil}, 1, true},
		{"forbidden is final", []error{&pve.APIError{Status: 403}, nil}, 1, true},
		{"cancelled is final", []error{context.Canceled, nil}, 1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			calls := 0
			_, err := readRetry(t.Context(), func(context.Context) (int, error) {
				e := tc.errs[calls]
				calls++
				return 1, e
			})
			if calls != tc.wantCalls || (err != nil) != tc.wantErr {
				t.Errorf("calls = %d, err = %v; want %d calls, error %v", calls, err, tc.wantCalls, tc.wantErr)
			}
		})
	}
}
