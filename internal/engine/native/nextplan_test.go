package native

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/engine"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/terraform"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// These tests close the loop of issue 6 point 8: plan (engine.Diff of the
// code against the live guests), apply with a fault, then plan again from
// a fresh read of the live guests with the same code. The next plan must
// hold exactly what did not happen: the failed and not-started steps'
// changes, with the same attributes, and nothing for what succeeded.

// codeOf wraps desired models as the code's guests, addressed as the
// other tests of this package address them.
func codeOf(models []iac.Guest) []terraform.Guest {
	out := make([]terraform.Guest, len(models))
	for i, m := range models {
		out[i] = terraform.Guest{Address: address(m), Guest: m}
	}
	return out
}

// planNow plans code against a fresh read of the live guests, as
// `proxmox-mpc plan` does.
func (f *fixture) planNow(t *testing.T, code []terraform.Guest) (engine.Plan, map[int]state.Guest) {
	t.Helper()
	live := f.live(t)
	guests := make([]state.Guest, 0, len(live))
	for _, id := range slices.Sorted(maps.Keys(live)) {
		guests = append(guests, live[id])
	}
	return engine.Diff(code, guests, engine.DiffOptions{}), live
}

// tenChanges is the code of a 10-guest apply over the homelab scenario:
// four in-place updates (a container's tags, a running VM's tags, a
// stopped VM's tags, a stopped VM's cores and disk size, which resizes in
// a task) and six creates, the fifth of which is started.
func tenChanges(t *testing.T, f *fixture) []iac.Guest {
	t.Helper()
	fx := f.sim.Fixtures()
	live := f.live(t)
	model := func(id int) iac.Guest {
		g, ok := live[id]
		if !ok {
			t.Fatalf("the scenario has no guest %d", id)
		}
		return iac.FromState(g)
	}
	ct := model(fx.CTID)
	ct.Tags = []string{"changed", "ct"}
	running := model(fx.VMID)
	running.Tags = []string{"changed", "running"}
	stopped := model(fx.StoppedVMID)
	stopped.VM.CPU.Cores = 3
	stopped.VM.Disks[0].SizeGiB += 2
	out := []iac.Guest{ct, running, stopped}
	for _, id := range slices.Sorted(maps.Keys(live)) {
		g := live[id]
		if g.Type == "vm" && g.Status == "stopped" && !g.Template && id != fx.StoppedVMID {
			m := iac.FromState(g)
			m.Tags = []string{"changed", "stopped"}
			out = append(out, m)
			break
		}
	}
	if len(out) != 4 {
		t.Fatal("the scenario has no second stopped VM")
	}
	for i := range 6 {
		g := newVM(800+i, fx.Node)
		g.Started = i == 4
		out = append(out, g)
	}
	return out
}

// stepKey names a step as the journal does.
func stepKey(s Step) string { return s.Action + " " + s.Target }

// checkJournal asserts the journal agrees with the result: every
// succeeded step journaled ok, every failed one with its outcome, nothing
// not started journaled, nothing left running.
func checkJournal(t *testing.T, f *fixture, res Result) {
	t.Helper()
	journal := journalOutcomes(f.ops(t))
	for k, o := range journal {
		if o == state.OutcomeRunning {
			t.Errorf("journal entry %s left running", k)
		}
	}
	for _, s := range res.Succeeded {
		if o := journal[stepKey(s)]; o != OutcomeOK {
			t.Errorf("succeeded %s journaled %q, want ok", stepKey(s), o)
		}
	}
	for _, s := range res.Failed {
		if o := journal[stepKey(s)]; o != s.Outcome {
			t.Errorf("failed %s journaled %q, want %q", stepKey(s), o, s.Outcome)
		}
	}
	for _, s := range res.NotStarted {
		if o, ok := journal[stepKey(s)]; ok {
			t.Errorf("not-started %s is in the journal as %q", stepKey(s), o)
		}
	}
}

// stepOf names the apply step that carries out an attribute of a change:
// the start, the create, or for an update the pool, migrate, resize or
// config step.
func stepOf(action engine.Action, a engine.AttrChange) string {
	path := a.Path
	switch {
	case path == "started" && a.New == "true":
		return ActionStart
	case action == engine.Create:
		return ActionCreate
	case path == "started":
		return ActionShutdown
	case path == "node_name":
		return ActionMigrate
	case path == "pool_id":
		return ActionPool
	case strings.HasPrefix(path, "disk[") && strings.HasSuffix(path, ".size"):
		return ActionResize
	}
	return ActionUpdate
}

// attrView is what the next plan is compared on.
type attrView struct{ Path, Old, New string }

type changeView struct {
	Action engine.Action
	Attrs  []attrView
}

func viewOf(c engine.GuestChange, withOld bool) changeView {
	v := changeView{Action: c.Action}
	for _, a := range c.Attrs {
		av := attrView{Path: a.Path, New: a.New}
		if withOld {
			av.Old = a.Old
		}
		v.Attrs = append(v.Attrs, av)
	}
	slices.SortFunc(v.Attrs, func(a, b attrView) int { return strings.Compare(a.Path, b.Path) })
	return v
}

// expectNext computes the next plan from the first plan and what the
// apply did: a guest none of whose steps happened keeps its change as it
// was; a guest some of whose steps happened keeps, as an update, only
// the attributes of the steps that did not (compared on path and new
// value: their old value is whatever the server has now); a guest all of
// whose steps happened has no change. happened reports whether an unknown
// step's effect shows in the live state.
func expectNext(first engine.Plan, res Result, happened func(Step) bool) (full, partial map[string]changeView) {
	done := map[string]map[string]bool{} // address → actions that happened
	missed := map[string]map[string]bool{}
	mark := func(m map[string]map[string]bool, s Step) {
		if m[s.Address] == nil {
			m[s.Address] = map[string]bool{}
		}
		m[s.Address][s.Action] = true
	}
	for _, s := range res.Succeeded {
		mark(done, s)
	}
	for _, s := range res.NotStarted {
		mark(missed, s)
	}
	for _, s := range res.Failed {
		if s.Outcome == OutcomeUnknown && happened(s) {
			mark(done, s)
		} else {
			mark(missed, s)
		}
	}
	full, partial = map[string]changeView{}, map[string]changeView{}
	for _, c := range first.Changes {
		switch {
		case len(missed[c.Address]) == 0:
		case len(done[c.Address]) == 0:
			full[c.Address] = viewOf(c, true)
		default:
			v := changeView{Action: engine.Update}
			for _, a := range c.Attrs {
				if missed[c.Address][stepOf(c.Action, a)] {
					v.Attrs = append(v.Attrs, attrView{Path: a.Path, New: a.New})
				}
			}
			slices.SortFunc(v.Attrs, func(a, b attrView) int { return strings.Compare(a.Path, b.Path) })
			partial[c.Address] = v
		}
	}
	return full, partial
}

// checkNext asserts that next is exactly what expectNext says.
func checkNext(t *testing.T, first, next engine.Plan, res Result, happened func(Step) bool) {
	t.Helper()
	full, partial := expectNext(first, res, happened)
	got := map[string]engine.GuestChange{}
	for _, c := range next.Changes {
		got[c.Address] = c
	}
	for addr, want := range full {
		c, ok := got[addr]
		if !ok {
			t.Errorf("next plan has nothing for %s, whose change did not happen; want %+v", addr, want)
			continue
		}
		if d := cmp.Diff(want, viewOf(c, true)); d != "" {
			t.Errorf("next plan for %s (-want +got):\n%s", addr, d)
		}
	}
	for addr, want := range partial {
		c, ok := got[addr]
		if !ok {
			t.Errorf("next plan has nothing for %s, part of whose change did not happen; want %+v", addr, want)
			continue
		}
		if d := cmp.Diff(want, viewOf(c, false)); d != "" {
			t.Errorf("next plan for %s, partly applied (-want +got):\n%s", addr, d)
		}
	}
	for addr, c := range got {
		_, f := full[addr]
		_, p := partial[addr]
		if !f && !p {
			t.Errorf("next plan has %s %s (%+v), whose change happened or was never planned", c.Action, addr, viewOf(c, true))
		}
	}
}

// showsInLive reports whether the live guests show a step's effect: a
// created guest exists; the attributes an update step carries read back
// as the plan's new values.
func showsInLive(first engine.Plan, live map[int]state.Guest) func(Step) bool {
	return func(s Step) bool {
		for _, c := range first.Changes {
			if c.Address != s.Address {
				continue
			}
			g, exists := live[c.VMID]
			if s.Action == ActionCreate {
				return exists
			}
			if !exists {
				return false
			}
			have := map[string]string{}
			for _, a := range iac.Flatten(iac.FromState(g)) {
				have[a.Path] = a.Value
			}
			for _, a := range c.Attrs {
				if stepOf(c.Action, a) == s.Action && have[a.Path] != a.New {
					return false
				}
			}
			return true
		}
		return false
	}
}

// TestNextPlanTaskFailsMidApply: one step of a 10-guest apply fails;
// the next plan holds the failed and the not-started changes, unchanged,
// and nothing for the guests that were done.
func TestNextPlanTaskFailsMidApply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts pvesim.Options
		// bad makes the code refuse server-side (nil: the simulator's task
		// failures decide).
		bad        func([]iac.Guest)
		wantFailed string
	}{
		{
			name:       "4th task fails",
			opts:       pvesim.Options{TaskDuration: -1, TaskFailRate: 0.2, Seed: seedFourthTaskFails},
			wantFailed: "apply-create vm/802",
		},
		{
			name:       "resize after a config update fails",
			opts:       pvesim.Options{TaskDuration: -1, TaskFailRate: 0.2, Seed: seedResizeFails},
			wantFailed: "apply-resize vm/109",
		},
		{
			name:       "start after a create fails",
			opts:       pvesim.Options{TaskDuration: -1, TaskFailRate: 0.2, Seed: seedStartFails},
			wantFailed: "apply-start vm/804",
		},
		{
			name: "server refuses the 4th create",
			opts: pvesim.Options{TaskDuration: -1},
			bad: func(ms []iac.Guest) {
				for i := range ms {
					if ms[i].VMID == 803 {
						ms[i].VM = cloneVM(ms[i].VM)
						ms[i].VM.Disks[0].Datastore = "no-such-storage"
					}
				}
			},
			wantFailed: "apply-create vm/803",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, tt.opts)
			models := tenChanges(t, f)
			if tt.bad != nil {
				tt.bad(models)
			}
			code := codeOf(models)
			first, _ := f.planNow(t, code)
			if n := len(first.Changes); n != 10 {
				t.Fatalf("first plan has %d changes, want 10: %+v", n, first.Changes)
			}
			opts := fastOpts()
			opts.Parallelism = 1 // one step at a time: the seed decides which fails
			res := Apply(context.Background(), first, f.deps(), opts, nil)
			if got := actions(res.Failed); len(got) != 1 || got[0] != tt.wantFailed {
				t.Fatalf("failed = %v, want [%s] (the seed no longer picks that task?)", got, tt.wantFailed)
			}
			if len(res.Succeeded) == 0 || len(res.NotStarted) == 0 {
				t.Fatalf("succeeded %v, not started %v: want some of each", actions(res.Succeeded), actions(res.NotStarted))
			}
			var ae *ApplyError
			if !errors.As(res.Err, &ae) || ae.Failed != 1 || ae.NotStarted != len(res.NotStarted) {
				t.Errorf("Err = %v, want an ApplyError with 1 failure and %d not started", res.Err, len(res.NotStarted))
			}
			checkJournal(t, f, res)
			next, live := f.planNow(t, code)
			for _, s := range append(slices.Clone(res.Failed), res.NotStarted...) {
				if _, ok := live[vmidOf(s.Target)]; s.Action == ActionCreate && ok {
					t.Errorf("%s did not succeed but the guest exists", stepKey(s))
				}
			}
			checkNext(t, first, next, res, func(Step) bool { return false })
		})
	}
}

// The seeds of the simulator's task failures (TaskFailRate 0.2) that,
// with one step at a time and tenChanges, fail first: the 4th task (the
// third create), the 1st (the resize that follows a config update) and
// the 7th (the start of vm/804, after its create).
const (
	seedFourthTaskFails = 5
	seedResizeFails     = 0
	seedStartFails      = 20
)

func vmidOf(target string) int {
	_, id, _ := strings.Cut(target, "/")
	n, _ := strconv.Atoi(id) // 0 (no guest) when it is not a number
	return n
}

// writeFault cuts the n-th write (any method but GET) of the apply: before
// it reaches the server (it did not happen) or after the server carried
// it out (the answer is lost).
type writeFault struct {
	mu     sync.Mutex
	n      int
	after  bool
	writes int
}

func (w *writeFault) hook(base http.RoundTripper) func(*http.Request) (*http.Response, error) {
	return func(req *http.Request) (*http.Response, error) {
		if req.Method == http.MethodGet {
			return nil, nil
		}
		w.mu.Lock()
		w.writes++
		hit := w.writes == w.n
		w.mu.Unlock()
		if !hit {
			return nil, nil
		}
		if w.after {
			res, err := base.RoundTrip(req)
			if err != nil {
				return nil, err
			}
			_ = res.Body.Close()
		}
		return nil, pvesim.ErrConnectionReset
	}
}

// TestNextPlanConnectionResets: a write whose connection resets has an
// unknown outcome; the next plan, from a fresh read, tells the truth
// either way: it has the change iff the live guest does not show it.
func TestNextPlanConnectionResets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		opts  pvesim.Options
		fault *writeFault // nil: the simulator's resets
		// wantUnknown is the step cut off and whether it happened.
		wantUnknown string
		wantShows   bool
	}{
		// the simulator drops a connection before serving the request
		{name: "simulator resets a create", opts: resetOpts(seedResetCreate), wantUnknown: "apply-create vm/801"},
		{name: "simulator resets a resize", opts: resetOpts(seedResetResize), wantUnknown: "apply-resize vm/109"},
		{name: "simulator resets a start", opts: resetOpts(seedResetStart), wantUnknown: "apply-start vm/804"},
		{name: "update cut before the server", fault: &writeFault{n: 3}, wantUnknown: "apply-update vm/104"},
		{name: "update answer lost", fault: &writeFault{n: 3, after: true}, wantUnknown: "apply-update vm/104", wantShows: true},
		{name: "resize answer lost", fault: &writeFault{n: 5, after: true}, wantUnknown: "apply-resize vm/109", wantShows: true},
		{name: "create cut before the server", fault: &writeFault{n: 7}, wantUnknown: "apply-create vm/801"},
		{name: "create answer lost", fault: &writeFault{n: 7, after: true}, wantUnknown: "apply-create vm/801", wantShows: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.fault != nil {
				tt.opts = pvesim.Options{TaskDuration: -1}
			}
			f := newFixture(t, tt.opts)
			code := codeOf(tenChanges(t, f))
			first, _ := f.planNow(t, code)
			if tt.fault != nil {
				f.tap.mu.Lock()
				f.tap.hook = tt.fault.hook(f.tap.base)
				f.tap.mu.Unlock()
			}
			opts := fastOpts()
			opts.Parallelism = 1 // one write at a time: the seed or the count decides which is cut
			res := Apply(context.Background(), first, f.deps(), opts, nil)
			if got := actions(res.Failed); len(got) != 1 || got[0] != tt.wantUnknown {
				t.Fatalf("failed = %v, want [%s]", got, tt.wantUnknown)
			}
			var ue *UnknownError
			if s := res.Failed[0]; s.Outcome != OutcomeUnknown || !errors.As(s.Err, &ue) {
				t.Fatalf("failed %s: outcome %s err %v; want unknown", stepKey(s), s.Outcome, s.Err)
			}
			checkJournal(t, f, res)
			next, live := f.planNow(t, code)
			shows := showsInLive(first, live)
			inNext := map[string]bool{}
			for _, c := range next.Changes {
				inNext[c.Address] = true
			}
			for _, s := range res.Failed {
				if got := shows(s); got != tt.wantShows {
					t.Errorf("live shows %s = %v, want %v", stepKey(s), got, tt.wantShows)
				}
				// the guest's other steps did not start: the next plan has the
				// guest unless the cut step was its last and it happened
				last := true
				for _, n := range res.NotStarted {
					last = last && n.Address != s.Address
				}
				if want := !shows(s) || !last; inNext[s.Address] != want {
					t.Errorf("next plan has %s = %v, want %v (live shows the cut %s: %v)", s.Address, inNext[s.Address], want, s.Action, shows(s))
				}
			}
			checkNext(t, first, next, res, shows)
		})
	}
}

// The simulator's fault seeds (ResetRate 0.15) that, with one step at a
// time, cut first the second create of tenChanges, the resize of the
// stopped VM, and the start of vm/804.
const (
	seedResetCreate = 10
	seedResetResize = 3
	seedResetStart  = 8
)

func resetOpts(seed int64) pvesim.Options {
	return pvesim.Options{TaskDuration: -1, ResetRate: 0.15, Seed: seed}
}

// TestNextPlanStaleGuest: a guest changed on the server between plan and
// apply; its update is refused as stale, the rest of the apply does not
// start, and the next plan shows the code's change against the new live
// value, and the server's change as a difference too.
func TestNextPlanStaleGuest(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pvesim.Options{TaskDuration: taskDur})
	fx := f.sim.Fixtures()
	code := codeOf(tenChanges(t, f))
	first, live := f.planNow(t, code)
	before := live[fx.StoppedVMID]
	oldMem := iac.FromState(before).VM.Memory.DedicatedMiB
	handMem := oldMem + 2048
	// someone changes the memory by hand after the plan
	if _, err := f.admin.UpdateConfig(context.Background(), before.Node, pve.KindVM, before.VMID, map[string][]string{"memory": {itoa(handMem)}}, false); err != nil {
		t.Fatal(err)
	}
	opts := fastOpts()
	opts.Parallelism = 1
	res := Apply(context.Background(), first, f.deps(), opts, nil)
	staleStep := "apply-update vm/" + itoa(fx.StoppedVMID)
	if got := actions(res.Failed); len(got) != 1 || got[0] != staleStep {
		t.Fatalf("failed = %v, want [%s]", got, staleStep)
	}
	var stale *StaleError
	if !errors.As(res.Failed[0].Err, &stale) {
		t.Errorf("failed %s: %v, want a StaleError", staleStep, res.Failed[0].Err)
	}
	var ae *ApplyError
	if !errors.As(res.Err, &ae) || !strings.Contains(ae.Hint(), "plan") {
		t.Errorf("Err = %v: want an ApplyError whose hint says to plan again", res.Err)
	}
	if len(res.NotStarted) == 0 {
		t.Errorf("nothing not started: the apply should stop at the stale guest")
	}
	checkJournal(t, f, res)
	next, live := f.planNow(t, code)
	got := iac.FromState(live[fx.StoppedVMID]).VM
	if got.Memory.DedicatedMiB != handMem || got.CPU.Cores == 3 {
		t.Errorf("live memory %d cores %d: want the hand-made %d kept and the refused cores 3 not applied", got.Memory.DedicatedMiB, got.CPU.Cores, handMem)
	}
	// The next plan: as the first for the guests not done, but the stale
	// guest's change also undoes the hand-made memory.
	want := first
	want.Changes = slices.Clone(first.Changes)
	found := false
	for i, c := range want.Changes {
		if c.VMID == fx.StoppedVMID {
			c.Attrs = append(slices.Clone(c.Attrs), engine.AttrChange{Path: "memory.dedicated", Old: itoa(handMem), New: itoa(oldMem)})
			want.Changes[i] = c
			found = true
		}
	}
	if !found {
		t.Fatalf("the first plan has no change of %d", fx.StoppedVMID)
	}
	checkNext(t, want, next, res, func(Step) bool { return false })
}
