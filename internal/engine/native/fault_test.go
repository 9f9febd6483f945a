package native

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/engine"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// tenCreates plans ten started VMs 800..809.
func tenCreates(node string) []engine.GuestChange {
	var out []engine.GuestChange
	for i := range 10 {
		g := newVM(800+i, node)
		g.Started = true
		out = append(out, createChange(g))
	}
	return out
}

// checkConsistent asserts that the journal and the live state agree with
// the result: every succeeded step journaled ok, every failed one with its
// outcome, nothing not-started journaled, nothing left "running"; a VM
// exists iff its create succeeded and runs iff its start succeeded.
func checkConsistent(t *testing.T, f *fixture, res Result) {
	t.Helper()
	journal := journalOutcomes(f.ops(t))
	for k, o := range journal {
		if o == state.OutcomeRunning {
			t.Errorf("journal entry %s left running", k)
		}
	}
	for _, s := range res.Succeeded {
		if o := journal[s.Action+" "+s.Target]; o != OutcomeOK {
			t.Errorf("succeeded %s %s journaled %q", s.Action, s.Target, o)
		}
	}
	for _, s := range res.Failed {
		if o := journal[s.Action+" "+s.Target]; o != s.Outcome {
			t.Errorf("failed %s %s journaled %q, want %q", s.Action, s.Target, o, s.Outcome)
		}
	}
	for _, s := range res.NotStarted {
		if o, ok := journal[s.Action+" "+s.Target]; ok {
			t.Errorf("not-started %s %s is in the journal as %q", s.Action, s.Target, o)
		}
	}
	if n := len(res.Succeeded) + len(res.Failed) + len(res.NotStarted); n != 20 {
		t.Errorf("%d steps reported, want 20", n)
	}
	live := f.live(t)
	created := map[string]bool{}
	started := map[string]bool{}
	for _, s := range res.Succeeded {
		switch s.Action {
		case ActionCreate:
			created[s.Target] = true
		case ActionStart:
			started[s.Target] = true
		}
	}
	for i := range 10 {
		id := 800 + i
		tgt := "vm/" + itoa(id)
		g, exists := live[id]
		if exists != created[tgt] && !unknown(res, tgt) {
			t.Errorf("%s exists = %v, but its create succeeded = %v", tgt, exists, created[tgt])
		}
		if exists && (g.Status == "running") != started[tgt] && !unknown(res, tgt) {
			t.Errorf("%s status %s, but its start succeeded = %v", tgt, g.Status, started[tgt])
		}
	}
}

func unknown(res Result, tgt string) bool {
	for _, s := range res.Failed {
		if s.Target == tgt && (s.Outcome == OutcomeUnknown || s.Outcome == OutcomeInterrupted) {
			return true
		}
	}
	return false
}

// TestFaultTaskFailsMidApply: one task of a 10-guest apply fails; nothing
// new starts after it and journal and live state agree.
func TestFaultTaskFailsMidApply(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pvesim.Options{TaskDuration: taskDur})
	fx := f.sim.Fixtures()
	opts := fastOpts()
	opts.Parallelism = 2
	// fail the 4th create: its form names a storage that does not exist,
	// so the server refuses it
	changes := tenCreates(fx.Node)
	bad := *changes[3].Desired
	bad.VM = cloneVM(bad.VM)
	bad.VM.Disks[0].Datastore = "no-such-storage"
	changes[3].Desired = &bad
	res := Apply(context.Background(), engine.Plan{Changes: changes}, f.deps(), opts, nil)
	if len(res.Failed) != 1 || res.Failed[0].Target != "vm/803" {
		t.Fatalf("failed = %v, want vm/803 only", actions(res.Failed))
	}
	if len(res.Succeeded) == 0 || len(res.NotStarted) == 0 {
		t.Errorf("succeeded %v, not started %v: want some of each", actions(res.Succeeded), actions(res.NotStarted))
	}
	var ae *ApplyError
	if !errors.As(res.Err, &ae) || ae.Failed != 1 {
		t.Errorf("Err = %v, want an ApplyError with one failure", res.Err)
	}
	checkConsistent(t, f, res)
}

// TestFaultTaskFailure uses the simulator's task failures.
func TestFaultTaskFailure(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pvesim.Options{TaskDuration: taskDur, TaskFailRate: 0.2, Seed: 7})
	opts := fastOpts()
	opts.Parallelism = 3
	res := Apply(context.Background(), engine.Plan{Changes: tenCreates(f.sim.Fixtures().Node)}, f.deps(), opts, nil)
	if len(res.Failed) == 0 {
		t.Skip("no task failed with this seed")
	}
	for _, s := range res.Failed {
		if len(s.LogTail) == 0 {
			t.Errorf("failed %s %s has no task log tail", s.Action, s.Target)
		}
	}
	checkConsistent(t, f, res)
}

// TestFaultConnectionResets: GETs are retried; a reset during a POST is
// reported as unknown, never retried.
func TestFaultConnectionResets(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pvesim.Options{TaskDuration: taskDur, ResetRate: 0.15, Seed: 3})
	opts := fastOpts()
	res := Apply(context.Background(), engine.Plan{Changes: tenCreates(f.sim.Fixtures().Node)}, f.deps(), opts, nil)
	for _, s := range res.Failed {
		var ue *UnknownError
		if s.Outcome != OutcomeUnknown || !errors.As(s.Err, &ue) {
			t.Errorf("failed %s %s: outcome %s err %v; want unknown", s.Action, s.Target, s.Outcome, s.Err)
		}
	}
	// no create was sent twice
	attempted := 0
	for _, s := range append(res.Succeeded, res.Failed...) {
		if s.Action == ActionCreate {
			attempted++
		}
	}
	if n := f.tap.count("POST /nodes/" + f.sim.Fixtures().Node + "/qemu"); n != attempted {
		t.Errorf("%d create POSTs for %d attempted creates: a POST was retried", n, attempted)
	}
	checkConsistent(t, f, res)
}

// TestFaultCtrlC: the first cancel lets in-flight steps finish and starts
// nothing new; the journal is consistent.
func TestFaultCtrlC(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pvesim.Options{TaskDuration: taskDur})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := fastOpts()
	opts.Parallelism = 2
	res := Apply(ctx, engine.Plan{Changes: tenCreates(f.sim.Fixtures().Node)}, f.deps(), opts, func(ev Event) {
		if ev.Status == EventStarted {
			cancel()
		}
	})
	if len(res.Failed) != 0 {
		t.Errorf("failed %v: in-flight steps should finish", actions(res.Failed))
	}
	if len(res.Succeeded) == 0 || len(res.NotStarted) == 0 {
		t.Errorf("succeeded %v, not started %v: want the in-flight ones done and the rest not started", actions(res.Succeeded), actions(res.NotStarted))
	}
	var ae *ApplyError
	if !errors.As(res.Err, &ae) || !ae.Interrupted {
		t.Errorf("Err = %v, want an interrupted ApplyError", res.Err)
	}
	checkConsistent(t, f, res)
}

// TestFaultHardCtrlC: a second cancel stops waiting; in-flight steps are
// journaled interrupted, never left running.
func TestFaultHardCtrlC(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pvesim.Options{TaskDuration: 5 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hard := make(chan struct{})
	var once sync.Once
	opts := fastOpts()
	opts.Hard = hard
	opts.Parallelism = 2
	res := Apply(ctx, engine.Plan{Changes: tenCreates(f.sim.Fixtures().Node)}, f.deps(), opts, func(ev Event) {
		if ev.Status == EventRunning { // a task is in flight
			once.Do(func() {
				cancel()
				close(hard)
			})
		}
	})
	interrupted := 0
	for _, s := range res.Failed {
		if s.Outcome == OutcomeInterrupted {
			interrupted++
		}
	}
	if interrupted == 0 {
		t.Errorf("failed %+v: want the in-flight step interrupted", res.Failed)
	}
	checkConsistent(t, f, res)
}

func cloneVM(vm *iac.VM) *iac.VM {
	out := *vm
	out.Disks = append([]iac.Disk(nil), vm.Disks...)
	return &out
}
