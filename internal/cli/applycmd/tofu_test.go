package applycmd

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/plancmd"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine/native"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine/tofu"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/terraform"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// fakeTofu plans events and applies applyEvents.
type fakeTofu struct {
	changes     bool
	events      []tofu.Event
	applyEvents []tofu.Event
	applyErr    error
	applied     string
}

func (f *fakeTofu) Init(context.Context) error { return nil }
func (f *fakeTofu) Plan(context.Context, string) (bool, []tofu.Event, error) {
	return f.changes, f.events, nil
}
func (f *fakeTofu) Apply(_ context.Context, planFile string, progress func(tofu.Event)) error {
	f.applied = planFile
	for _, ev := range f.applyEvents {
		progress(ev)
	}
	return f.applyErr
}
func (f *fakeTofu) Destroy(context.Context, []string, func(tofu.Event)) error { return nil }

// memJournal is a Journal in memory.
type memJournal struct {
	mu  sync.Mutex
	ops []state.Operation
}

func (j *memJournal) RecordOperation(_ context.Context, op state.Operation) (int64, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.ops = append(j.ops, op)
	return int64(len(j.ops)), nil
}

func (j *memJournal) FinishOperation(_ context.Context, id int64, finishedAt time.Time, outcome, errText, _ string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	op := &j.ops[id-1]
	op.FinishedAt, op.Outcome, op.Error = &finishedAt, outcome, errText
	op.DurationMS = finishedAt.Sub(op.StartedAt).Milliseconds()
	return nil
}

// ticking is a clock that moves one second per reading.
func ticking() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Second)
		return t
	}
}

func codeSource(t *testing.T) plancmd.Source {
	t.Helper()
	return func(context.Context, bool) (*engine.Inputs, error) {
		return &engine.Inputs{Code: &terraform.Code{Guests: []terraform.Guest{{Address: "proxmox_virtual_environment_vm.web_77", Guest: iac.Guest{Kind: iac.KindVM, VMID: 77}}}}}, nil
	}
}

func TestTofuApply(t *testing.T) {
	t.Parallel()
	vm, ct := "proxmox_virtual_environment_vm.web_77", "proxmox_virtual_environment_container.dns"
	planned := []tofu.Event{
		{Type: tofu.EventPlannedChange, Address: vm, Action: "create"},
		{Type: tofu.EventPlannedChange, Address: ct, Action: "update"},
		{Type: tofu.EventChangeSummary, Summary: &tofu.ChangeSummary{Add: 1, Change: 1}},
	}
	applied := []tofu.Event{
		{Type: tofu.EventApplyStart, Address: vm, Action: "create"},
		{Type: tofu.EventApplyStart, Address: ct, Action: "update"},
		{Type: tofu.EventApplyProgress, Address: vm, Action: "create", Elapsed: time.Second},
		{Type: tofu.EventApplyComplete, Address: vm, Action: "create", Elapsed: 1200 * time.Millisecond},
		{Type: tofu.EventApplyErrored, Address: ct, Action: "update", Elapsed: 2 * time.Second, Message: "proxmox_virtual_environment_container.dns: Modifying... errored after 2s"},
	}
	tests := []struct {
		name        string
		fake        *fakeTofu
		opts        Options
		wantErr     string
		wantOps     []state.Operation // Action, Target, Outcome, Error
		wantStderr  []string
		wantApplied bool
	}{
		{name: "no changes", fake: &fakeTofu{events: []tofu.Event{{Type: tofu.EventChangeSummary, Summary: &tofu.ChangeSummary{}}}}},
		{name: "applied", fake: &fakeTofu{changes: true, events: planned, applyEvents: applied, applyErr: errors.New("tofu apply: exit status 1")},
			opts: Options{Yes: true}, wantErr: "exit status 1", wantApplied: true,
			wantOps: []state.Operation{
				{Action: "tofu-apply-create", Target: "vm/77", Outcome: "ok"},
				{Action: "tofu-apply-update", Target: "ct/dns", Outcome: "failed", Error: "proxmox_virtual_environment_container.dns: Modifying... errored after 2s"},
			},
			wantStderr: []string{
				"vm/77 proxmox_virtual_environment_vm.web_77: create…",
				"✓ vm/77 proxmox_virtual_environment_vm.web_77: create (ok, 1.2s)",
				"X ct/dns proxmox_virtual_environment_container.dns: update (failed, 2.0s): proxmox_virtual_environment_container.dns: Modifying... errored after 2s",
			}},
		{name: "interrupted mid-resource", fake: &fakeTofu{changes: true, events: planned, applyEvents: applied[:2], applyErr: errors.New("killed")},
			opts: Options{Yes: true}, wantErr: "killed", wantApplied: true,
			wantOps: []state.Operation{
				{Action: "tofu-apply-create", Target: "vm/77", Outcome: native.OutcomeUnknown, Error: "tofu stopped before reporting on it: killed"},
				{Action: "tofu-apply-update", Target: "ct/dns", Outcome: native.OutcomeUnknown, Error: "tofu stopped before reporting on it: killed"},
			}},
		{name: "no terminal no yes", fake: &fakeTofu{changes: true, events: planned}, wantErr: "pass --yes"},
		{name: "replace needs allow-data-loss", fake: &fakeTofu{changes: true, events: []tofu.Event{{Type: tofu.EventPlannedChange, Address: vm, Action: "replace"}}},
			opts: Options{Yes: true}, wantErr: "--allow-data-loss"},
		{name: "saved native plan", fake: &fakeTofu{}, opts: Options{PlanFile: "web.plan"}, wantErr: "apply it with --engine native"},
		{name: "snapshot-before", fake: &fakeTofu{}, opts: Options{SnapshotBefore: true}, wantErr: "--snapshot-before works with the native engine only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, _, errOut := iostreams.Test()
			j := &memJournal{}
			opts := tt.opts
			opts.IO, opts.Now, opts.Engine, opts.Source = ios, ticking(), "tofu", codeSource(t)
			opts.Journal = func(context.Context) (Journal, error) { return j, nil }
			opts.Engines = plancmd.Engines{
				LookPath: func(string) (string, error) { return "/usr/bin/tofu", nil },
				New: func(context.Context, string) (plancmd.Tofu, string, error) {
					return tt.fake, "/ws/.proxmox-mpc/tofu.plan", nil
				},
			}
			err := applyRun(context.Background(), &opts)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err %v, want %q", err, tt.wantErr)
			}
			if got := tt.fake.applied != ""; got != tt.wantApplied {
				t.Errorf("applied %v, want %v", got, tt.wantApplied)
			}
			var got []state.Operation
			for _, op := range j.ops {
				if op.FinishedAt == nil || op.DurationMS <= 0 || op.Params["engine"] != "tofu" {
					t.Errorf("journal entry not finished, without duration or engine: %+v", op)
				}
				got = append(got, state.Operation{Action: op.Action, Target: op.Target, Outcome: op.Outcome, Error: op.Error})
			}
			slices.SortFunc(got, func(a, b state.Operation) int { return strings.Compare(a.Action, b.Action) })
			if d := cmp.Diff(tt.wantOps, got); d != "" {
				t.Errorf("journal (-want +got):\n%s", d)
			}
			for _, l := range tt.wantStderr {
				if !strings.Contains(errOut.String(), l+"\n") {
					t.Errorf("stderr lacks %q:\n%s", l, errOut)
				}
			}
		})
	}
}

func TestAddressTarget(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"proxmox_virtual_environment_vm.web":        "vm/web",
		"proxmox_virtual_environment_container.dns": "ct/dns",
		"terraform_data.x":                          "terraform_data.x",
		"module.a.proxmox_virtual_environment_vm.b": "module.a.proxmox_virtual_environment_vm.b",
		"": "",
	}
	for in, want := range tests {
		if got := addressTarget(in); got != want {
			t.Errorf("addressTarget(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestApplyEngineFlag(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--engine", "tofu"}, {"--engine", "nope"}} {
		ios, _, _, _ := iostreams.Test()
		f := &cmdutil.Factory{IOStreams: ios}
		var got string
		cmd := NewCmdApply(f, nil, func(_ context.Context, o *Options) error { got = o.Engine; return nil })
		cmd.SetArgs(args)
		err := cmd.Execute()
		if args[1] == "nope" {
			if cmdutil.ExitCode(err) != 2 {
				t.Errorf("--engine nope: err %v, want a usage error", err)
			}
			continue
		}
		if err != nil || got != "tofu" {
			t.Errorf("engine %q err %v", got, err)
		}
	}
}
