package discovery

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/observe"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// Syncer runs discovery into a state store.
type Syncer struct {
	Store   state.Store
	Client  *pve.Client
	Options Options
}

// Result is what one sync (or dry run) found.
type Result struct {
	SyncID    int64 // 0 for a dry run
	Summary   Summary
	Changes   []state.Change
	Warnings  []Warning
	Inventory state.Inventory
}

// Sync discovers the cluster, diffs it against the stored inventory and
// commits inventory, changes and run in one transaction. On any error —
// including a cancelled ctx — it records the run as failed (with a ctx
// that outlives the cancellation) and returns the error; the stored
// inventory stays as it was.
func (s *Syncer) Sync(ctx context.Context) (Result, error) {
	opts := s.Options.withDefaults()
	log := opts.Logger.With(observe.KeySubsys, "discovery")
	startedAt := opts.Now()
	id, err := s.Store.BeginSync(ctx, startedAt)
	if err != nil {
		return Result{}, fmt.Errorf("begin sync: %w", err)
	}
	res, err := s.run(ctx, opts, id, startedAt)
	if err != nil {
		if ferr := s.Store.FailSync(context.WithoutCancel(ctx), id, opts.Now(), err.Error()); ferr != nil {
			err = errors.Join(err, fmt.Errorf("record failed sync %d: %w", id, ferr))
		}
		return Result{SyncID: id}, fmt.Errorf("sync %d: %w", id, err)
	}
	log.Info("sync finished", "sync_id", id, "added", res.Summary.Added, "changed", res.Summary.Changed,
		"removed", res.Summary.Removed, "unchanged", res.Summary.Unchanged, "changes", len(res.Changes),
		"warnings", len(res.Warnings), observe.KeyDurationMS, res.Summary.Duration.Milliseconds())
	return res, nil
}

func (s *Syncer) run(ctx context.Context, opts Options, id int64, startedAt time.Time) (Result, error) {
	// Read the base and the previous inventory while discovery waits on
	// the network. Base first: if another sync commits in between, the
	// commit below fails with ErrConflict instead of recording a diff
	// against the wrong base.
	st := s.readStored(ctx)
	d, err := discover(ctx, s.Client, opts, st.memo)
	if err != nil {
		return Result{}, err
	}
	base, prev, err := st.wait()
	if err != nil {
		return Result{}, err
	}
	reconcile(prev, &d.inv, d.agentFailed)
	finished := opts.Now()
	changes, sum := Diff(prev, d.inv, id, finished)
	sum.Duration = finished.Sub(startedAt)

	rep := &reporter{fn: opts.Progress}
	rep.report(PhaseWriting, 0, 1)
	run := state.SyncRun{
		ID: id, StartedAt: startedAt, FinishedAt: &finished, Outcome: state.OutcomeOK,
		Added: sum.Added, Changed: sum.Changed, Removed: sum.Removed, Unchanged: sum.Unchanged,
	}
	w := state.SyncWrite{BaseSyncID: base, Run: run, Inventory: d.inv, Changes: changes, Unchanged: unchangedGuests(prev, d.inv, changes)}
	if err := s.Store.CommitSync(ctx, w); err != nil {
		return Result{}, fmt.Errorf("commit sync: %w", err)
	}
	rep.report(PhaseWriting, 1, 1)
	if done := opts.Now(); done.After(finished) {
		sum.Duration = done.Sub(startedAt)
	}
	return Result{SyncID: id, Summary: sum, Changes: changes, Warnings: d.warnings, Inventory: d.inv}, nil
}

// DryRun discovers the cluster and diffs it against the stored inventory.
// It writes nothing, not even a run record.
func (s *Syncer) DryRun(ctx context.Context) (Result, error) {
	opts := s.Options.withDefaults()
	startedAt := opts.Now()
	st := s.readStored(ctx)
	d, err := discover(ctx, s.Client, opts, st.memo)
	if err != nil {
		return Result{}, err
	}
	_, prev, err := st.wait()
	if err != nil {
		return Result{}, err
	}
	reconcile(prev, &d.inv, d.agentFailed)
	finished := opts.Now()
	changes, sum := Diff(prev, d.inv, 0, finished)
	sum.Duration = finished.Sub(startedAt)
	return Result{Summary: sum, Changes: changes, Warnings: d.warnings, Inventory: d.inv}, nil
}

// stored is the previous sync as read from the store, in the background
// while discovery waits on the network.
type stored struct {
	done chan struct{}
	base int64 // the last sync's ID, 0 when none
	at   time.Time
	prev state.Inventory
	err  error
}

// readStored starts reading the base and the previous inventory. Base
// first: if another sync commits in between, the commit fails with
// ErrConflict instead of recording a diff against the wrong base.
func (s *Syncer) readStored(ctx context.Context) *stored {
	st := &stored{done: make(chan struct{})}
	go func() {
		defer close(st.done)
		last, err := s.Store.LastSync(ctx)
		switch {
		case err == nil:
			st.base = last.ID
			if last.FinishedAt != nil {
				st.at = *last.FinishedAt
			}
		case errors.Is(err, state.ErrNotFound):
		default:
			st.err = fmt.Errorf("read last sync: %w", err)
			return
		}
		st.prev, err = s.Store.Inventory(ctx)
		if err != nil && !errors.Is(err, state.ErrNotFound) {
			st.err = fmt.Errorf("read stored inventory: %w", err)
		}
	}()
	return st
}

func (st *stored) wait() (int64, state.Inventory, error) {
	<-st.done
	return st.base, st.prev, st.err
}

// memo is discover's view of the previous sync's agent addresses.
func (st *stored) memo() (agentMemo, error) {
	if _, _, err := st.wait(); err != nil {
		return agentMemo{}, err
	}
	return newAgentMemo(st.prev, st.at), nil
}

// unchangedGuests lists the guests present before and now that have no
// change record: their stored rows differ only in volatile values.
func unchangedGuests(prev, next state.Inventory, changes []state.Change) map[int]bool {
	if len(prev.Guests) == 0 {
		return nil
	}
	was := make(map[int]bool, len(prev.Guests))
	for _, g := range prev.Guests {
		was[g.VMID] = true
	}
	out := make(map[int]bool, len(next.Guests))
	for _, g := range next.Guests {
		if was[g.VMID] {
			out[g.VMID] = true
		}
	}
	for _, c := range changes {
		if c.ResourceType != ResourceGuest {
			continue
		}
		if id, err := strconv.Atoi(strings.TrimPrefix(c.ResourceKey, "guest/")); err == nil {
			delete(out, id)
		}
	}
	return out
}

// reconcile carries over what this run could not know: when a guest was
// first seen, and the agent IPs of guests whose agent did not answer (the
// addresses are unknown this time, not gone).
func reconcile(prev state.Inventory, next *state.Inventory, agentFailed map[int]bool) {
	if len(prev.Guests) == 0 {
		return
	}
	old := make(map[int]*state.Guest, len(prev.Guests))
	for i := range prev.Guests {
		old[prev.Guests[i].VMID] = &prev.Guests[i]
	}
	for i := range next.Guests {
		g := &next.Guests[i]
		o, ok := old[g.VMID]
		if !ok {
			continue
		}
		if !o.FirstSeen.IsZero() && o.FirstSeen.Before(g.FirstSeen) {
			g.FirstSeen = o.FirstSeen
		}
		if agentFailed[g.VMID] {
			g.AgentIPs = o.AgentIPs
		}
	}
}
