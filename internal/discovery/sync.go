package discovery

import (
	"context"
	"errors"
	"fmt"
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
	type stored struct {
		base int64
		prev state.Inventory
		err  error
	}
	storedc := make(chan stored, 1)
	go func() {
		var r stored
		defer func() { storedc <- r }()
		last, err := s.Store.LastSync(ctx)
		switch {
		case err == nil:
			r.base = last.ID
		case errors.Is(err, state.ErrNotFound):
		default:
			r.err = fmt.Errorf("read last sync: %w", err)
			return
		}
		r.prev, err = s.Store.Inventory(ctx)
		if err != nil && !errors.Is(err, state.ErrNotFound) {
			r.err = fmt.Errorf("read stored inventory: %w", err)
		}
	}()
	d, err := discover(ctx, s.Client, opts)
	st := <-storedc
	if err != nil {
		return Result{}, err
	}
	if st.err != nil {
		return Result{}, st.err
	}
	base, prev := st.base, st.prev
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
	if err := s.Store.CommitSync(ctx, state.SyncWrite{BaseSyncID: base, Run: run, Inventory: d.inv, Changes: changes}); err != nil {
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
	d, err := discover(ctx, s.Client, opts)
	if err != nil {
		return Result{}, err
	}
	prev, err := s.Store.Inventory(ctx)
	if err != nil && !errors.Is(err, state.ErrNotFound) {
		return Result{}, fmt.Errorf("read stored inventory: %w", err)
	}
	reconcile(prev, &d.inv, d.agentFailed)
	finished := opts.Now()
	changes, sum := Diff(prev, d.inv, 0, finished)
	sum.Duration = finished.Sub(startedAt)
	return Result{Summary: sum, Changes: changes, Warnings: d.warnings, Inventory: d.inv}, nil
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
