package native

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/engine"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

const taskDur = 20 * time.Millisecond

func apply(t *testing.T, f *fixture, opts Options, changes ...engine.GuestChange) Result {
	t.Helper()
	return Apply(context.Background(), engine.Plan{Changes: changes}, f.deps(), opts, nil)
}

func mustApply(t *testing.T, f *fixture, opts Options, changes ...engine.GuestChange) Result {
	t.Helper()
	res := apply(t, f, opts, changes...)
	if res.Err != nil {
		t.Fatalf("Apply: %v (failed %+v)", res.Err, res.Failed)
	}
	return res
}

// actions lists "action target" of steps.
func actions(steps []Step) []string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.Action + " " + s.Target
	}
	return out
}

// journalOutcomes maps "action target" to the journaled outcome.
func journalOutcomes(ops []state.Operation) map[string]string {
	out := map[string]string{}
	for _, o := range ops {
		out[o.Action+" "+o.Target] = o.Outcome
	}
	return out
}

// withServerMACs copies MACs the server generated into want's NICs that
// left them out (the MAC is computed when not given).
func withServerMACs(want, got iac.Guest) iac.Guest {
	if want.VM == nil || got.VM == nil {
		return want
	}
	vm := *want.VM
	vm.NICs = append([]iac.NIC(nil), vm.NICs...)
	for i := range vm.NICs {
		if vm.NICs[i].MAC == "" && i < len(got.VM.NICs) {
			vm.NICs[i].MAC = got.VM.NICs[i].MAC
		}
	}
	want.VM = &vm
	return want
}

func TestApplyCreateStart(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pvesim.Options{TaskDuration: taskDur})
	fx := f.sim.Fixtures()
	want := newVM(700, fx.Node)
	want.Started = true
	res := mustApply(t, f, fastOpts(), createChange(want))
	if d := cmp.Diff([]string{"apply-create vm/700", "apply-start vm/700"}, actions(res.Succeeded)); d != "" {
		t.Errorf("steps (-want +got):\n%s", d)
	}
	live := f.guest(t, 700)
	if live.Status != "running" {
		t.Errorf("status = %s, want running", live.Status)
	}
	if d := cmp.Diff(norm(withServerMACs(want, iac.FromState(live))), norm(iac.FromState(live)), cmpOpts); d != "" {
		t.Errorf("created guest (-want +got):\n%s", d)
	}
	ops := f.ops(t)
	if len(ops) != 2 {
		t.Fatalf("journal has %d entries, want 2: %+v", len(ops), ops)
	}
	for _, o := range ops {
		if o.Outcome != OutcomeOK || o.UPID == "" || o.CorrelationID != "test" {
			t.Errorf("journal entry %+v: want ok with a UPID and the correlation id", o)
		}
	}
}

// TestApplyUpdateStopped changes several attributes of a stopped VM; the
// result reads back as the desired model.
func TestApplyUpdateStopped(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pvesim.Options{TaskDuration: taskDur})
	fx := f.sim.Fixtures()
	live := f.guest(t, fx.StoppedVMID)
	d := iac.FromState(live)
	d.VM.CPU.Cores = 3
	d.VM.Memory.DedicatedMiB = 3072
	d.Tags = []string{"x", "y"}
	d.VM.Disks[0].SizeGiB += 5
	d.VM.NICs = append(d.VM.NICs, iac.NIC{Model: "virtio", Bridge: "vmbr0", VLAN: 30})
	res := mustApply(t, f, fastOpts(), updateChange(d, live))
	if d := cmp.Diff([]string{"apply-update vm/" + itoa(live.VMID), "apply-resize vm/" + itoa(live.VMID)}, actions(res.Succeeded)); d != "" {
		t.Errorf("steps (-want +got):\n%s", d)
	}
	if !strings.Contains(res.Succeeded[0].Params["digest"], live.Digest) {
		t.Errorf("the PUT did not carry the plan's digest: %v", res.Succeeded[0].Params)
	}
	got := iac.FromState(f.guest(t, live.VMID))
	if diff := cmp.Diff(norm(withServerMACs(d, got)), norm(got), cmpOpts); diff != "" {
		t.Errorf("after apply (-want +got):\n%s", diff)
	}
}

// TestApplyRunningCoresPending: a running VM's cores change is accepted
// as pending: the current config keeps the old value until a reboot.
func TestApplyRunningCoresPending(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pvesim.Options{TaskDuration: taskDur})
	fx := f.sim.Fixtures()
	live := f.guest(t, fx.VMID)
	old := iac.FromState(live).VM.CPU.Cores
	d := iac.FromState(live)
	d.VM.CPU.Cores = old + 2
	mustApply(t, f, fastOpts(), updateChange(d, live))
	current := func() int {
		var conf pve.GuestConfig
		if err := f.admin.Get(context.Background(), "/nodes/"+live.Node+"/qemu/"+itoa(live.VMID)+"/config", map[string][]string{"current": {"1"}}, &conf); err != nil {
			t.Fatal(err)
		}
		g := live
		g.Config = conf.Values
		return iac.FromState(g).VM.CPU.Cores
	}
	if got := current(); got != old {
		t.Errorf("current cores = %d before the reboot, want the old %d", got, old)
	}
	pending, err := f.admin.GuestPending(context.Background(), live.Node, pve.KindVM, live.VMID)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range pending {
		found = found || (p.Key == "cores" && p.Pending != nil && *p.Pending == itoa(old+2))
	}
	if !found {
		t.Errorf("no pending cores=%d in %+v", old+2, pending)
	}
	upid, err := f.admin.GuestAction(context.Background(), live.Node, pve.KindVM, live.VMID, "reboot")
	f.wait(t, upid, err)
	if got := current(); got != old+2 {
		t.Errorf("current cores = %d after the reboot, want %d", got, old+2)
	}
}

func TestApplyDeleteRunning(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pvesim.Options{TaskDuration: taskDur})
	fx := f.sim.Fixtures()
	live := f.guest(t, fx.CTID)
	res := mustApply(t, f, fastOpts(), engine.GuestChange{Address: "ct", Kind: iac.KindCT, VMID: live.VMID, Action: engine.Delete, Disruption: engine.DataLoss, Digest: live.Digest, Live: &live})
	want := []string{"apply-stop ct/" + itoa(live.VMID), "apply-delete ct/" + itoa(live.VMID)}
	if d := cmp.Diff(want, actions(res.Succeeded)); d != "" {
		t.Errorf("steps (-want +got):\n%s", d)
	}
	if _, ok := f.live(t)[live.VMID]; ok {
		t.Error("the container still exists")
	}
}

func TestApplyReplace(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pvesim.Options{TaskDuration: taskDur})
	fx := f.sim.Fixtures()
	live := f.guest(t, fx.VMID)
	d := newVM(live.VMID, live.Node)
	d.Started = true
	ch := engine.GuestChange{Address: "vm", Kind: iac.KindVM, VMID: live.VMID, Node: live.Node, Action: engine.Replace, Disruption: engine.DataLoss, Digest: live.Digest, Desired: &d, Live: &live}
	res := apply(t, f, fastOpts(), ch)
	var dl *DataLossError
	if !errors.As(res.Err, &dl) || len(res.Succeeded)+len(res.Failed) != 0 {
		t.Fatalf("without AllowDataLoss: err = %v, ran %v %v; want a DataLossError and nothing run", res.Err, res.Succeeded, res.Failed)
	}
	opts := fastOpts()
	opts.AllowDataLoss = true
	res = mustApply(t, f, opts, ch)
	id := itoa(live.VMID)
	want := []string{"apply-stop vm/" + id, "apply-delete vm/" + id, "apply-create vm/" + id, "apply-start vm/" + id}
	if d := cmp.Diff(want, actions(res.Succeeded)); d != "" {
		t.Errorf("steps (-want +got):\n%s", d)
	}
	got := iac.FromState(f.guest(t, live.VMID))
	if diff := cmp.Diff(norm(withServerMACs(d, got)), norm(got), cmpOpts); diff != "" {
		t.Errorf("replaced guest (-want +got):\n%s", diff)
	}
}

func TestApplyMigrateAndPool(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pvesim.Options{TaskDuration: taskDur})
	fx := f.sim.Fixtures()
	live := f.guest(t, fx.VMID)
	d := iac.FromState(live)
	d.Node = fx.OtherNode
	d.Pool = fx.Pool
	if live.Pool == fx.Pool {
		d.Pool = ""
	}
	res := mustApply(t, f, fastOpts(), updateChange(d, live))
	id := itoa(live.VMID)
	if diff := cmp.Diff([]string{"apply-pool vm/" + id, "apply-migrate vm/" + id}, actions(res.Succeeded)); diff != "" {
		t.Fatalf("steps (-want +got):\n%s", diff)
	}
	if m := res.Succeeded[len(res.Succeeded)-1]; m.Action != ActionMigrate || m.Params["online"] != "1" {
		t.Errorf("last step %+v: want an online migration of the running VM", m)
	}
	got := f.guest(t, live.VMID)
	if got.Node != fx.OtherNode || got.Pool != d.Pool || got.Status != "running" {
		t.Errorf("after apply: node %s pool %q status %s; want %s %q running", got.Node, got.Pool, got.Status, fx.OtherNode, d.Pool)
	}
}

// TestApplyStaleDigest: the guest changed on the server after the plan;
// the PUT with the plan's digest is refused and reported as stale.
func TestApplyStaleDigest(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pvesim.Options{TaskDuration: taskDur})
	fx := f.sim.Fixtures()
	live := f.guest(t, fx.StoppedVMID)
	d := iac.FromState(live)
	d.VM.CPU.Cores = 7
	// someone else edits the guest
	if _, err := f.admin.UpdateConfig(context.Background(), live.Node, pve.KindVM, live.VMID, map[string][]string{"description": {"edited by hand"}}, false); err != nil {
		t.Fatal(err)
	}
	res := apply(t, f, fastOpts(), updateChange(d, live))
	var stale *StaleError
	if len(res.Failed) != 1 || !errors.As(res.Failed[0].Err, &stale) {
		t.Fatalf("failed = %+v, want one stale step", res.Failed)
	}
	var ae *ApplyError
	if !errors.As(res.Err, &ae) || !strings.Contains(ae.Hint(), "plan") {
		t.Errorf("Err = %v: want an ApplyError whose hint says to plan again", res.Err)
	}
	if got := iac.FromState(f.guest(t, live.VMID)).VM.CPU.Cores; got == 7 {
		t.Error("the stale change was applied")
	}
	if o := journalOutcomes(f.ops(t))["apply-update vm/"+itoa(live.VMID)]; o != OutcomeFailed {
		t.Errorf("journal outcome %q, want failed", o)
	}
}

// TestApplySnapshotBefore: every changed guest is snapshotted before the
// first change, and the update still applies (with the new digest).
func TestApplySnapshotBefore(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pvesim.Options{TaskDuration: taskDur})
	fx := f.sim.Fixtures()
	live := f.guest(t, fx.StoppedVMID)
	d := iac.FromState(live)
	d.VM.CPU.Cores = 5
	opts := fastOpts()
	opts.SnapshotBefore = true
	opts.Now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	res := mustApply(t, f, opts, updateChange(d, live), createChange(newVM(701, fx.Node)))
	got := actions(res.Succeeded)
	if len(got) != 3 || got[0] != "apply-snapshot vm/"+itoa(live.VMID) {
		t.Errorf("steps = %v, want the snapshot first, then the update and the create", got)
	}
	snaps, err := f.admin.Snapshots(context.Background(), live.Node, pve.KindVM, live.VMID)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range snaps {
		found = found || s.Name == "pmc-before-apply-20260102T030405"
	}
	if !found {
		t.Errorf("no snapshot pmc-before-apply-20260102T030405 in %+v", snaps)
	}
	if c := iac.FromState(f.guest(t, live.VMID)).VM.CPU.Cores; c != 5 {
		t.Errorf("cores = %d, want 5", c)
	}
}

// TestApplyOrder: deletes run before updates, updates before creates.
func TestApplyOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pvesim.Options{TaskDuration: taskDur})
	fx := f.sim.Fixtures()
	stopped := f.guest(t, fx.StoppedVMID)
	ct := f.guest(t, fx.CTID)
	d := iac.FromState(stopped)
	d.VM.CPU.Cores = 4
	var events []Event
	res := Apply(context.Background(), engine.Plan{Changes: []engine.GuestChange{
		createChange(newVM(702, fx.Node)),
		updateChange(d, stopped),
		{Address: "ct", Kind: iac.KindCT, VMID: ct.VMID, Action: engine.Delete, Digest: ct.Digest, Live: &ct},
	}}, f.deps(), fastOpts(), func(ev Event) {
		if ev.Status == EventStarted {
			events = append(events, ev)
		}
	})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	var order []string
	for _, ev := range events {
		order = append(order, ev.Action)
	}
	want := []string{ActionStop, ActionDelete, ActionUpdate, ActionCreate}
	if d := cmp.Diff(want, order); d != "" {
		t.Errorf("start order (-want +got):\n%s", d)
	}
}

func TestApplyRefusesUnsupported(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pvesim.Options{TaskDuration: taskDur})
	fx := f.sim.Fixtures()
	live := f.guest(t, fx.StoppedVMID)
	d := iac.FromState(live)
	d.VM.Disks[0].SizeGiB = 1
	res := apply(t, f, fastOpts(), createChange(newVM(703, fx.Node)), updateChange(d, live))
	var ue *UnsupportedError
	if !errors.As(res.Err, &ue) || len(res.Succeeded) != 0 {
		t.Fatalf("Err = %v, succeeded %v: want an UnsupportedError and nothing run", res.Err, res.Succeeded)
	}
	if _, ok := f.live(t)[703]; ok {
		t.Error("the create ran although the plan was refused")
	}
}
