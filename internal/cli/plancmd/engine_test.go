package plancmd

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine/tofu"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
)

// fakeTofu is a Tofu that returns what it is given.
type fakeTofu struct {
	initErr     error
	changes     bool
	events      []tofu.Event // of Plan
	planErr     error
	applyEvents []tofu.Event // of Apply and Destroy
	applyErr    error

	planFile  string   // Plan's out
	applied   string   // Apply's plan file
	destroyed []string // Destroy's targets
}

func (f *fakeTofu) Init(context.Context) error { return f.initErr }

func (f *fakeTofu) Plan(_ context.Context, out string) (bool, []tofu.Event, error) {
	f.planFile = out
	return f.changes, f.events, f.planErr
}

func (f *fakeTofu) Apply(_ context.Context, planFile string, progress func(tofu.Event)) error {
	f.applied = planFile
	for _, ev := range f.applyEvents {
		progress(ev)
	}
	return f.applyErr
}

func (f *fakeTofu) Destroy(_ context.Context, targets []string, progress func(tofu.Event)) error {
	f.destroyed = targets
	for _, ev := range f.applyEvents {
		progress(ev)
	}
	return f.applyErr
}

// onPath is a LookPath that finds only names.
func onPath(names ...string) func(string) (string, error) {
	return func(n string) (string, error) {
		for _, m := range names {
			if n == m {
				return "/usr/bin/" + n, nil
			}
		}
		return "", exec.ErrNotFound
	}
}

var errOffline = &tofu.ProviderMissingError{Binary: "tofu", Providers: []string{"bpg/proxmox"},
	Summary: "Failed to query available provider packages", Detail: "could not connect to registry.opentofu.org"}

func TestSelect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		choice   string
		path     []string
		initErr  error
		newErr   error
		want     string // engine chosen; "" when an error
		wantBin  string // the binary New was given
		wantErr  any    // pointer to the error type wanted
		wantNote string // in errOut; "" = nothing printed
	}{
		{name: "native", choice: "native", path: []string{"tofu"}, want: "native"},
		{name: "auto no binary", choice: "auto", want: "native"},
		{name: "auto tofu init ok", choice: "auto", path: []string{"tofu", "terraform"}, want: "tofu", wantBin: "/usr/bin/tofu"},
		{name: "auto terraform init ok", choice: "auto", path: []string{"terraform"}, want: "terraform", wantBin: "/usr/bin/terraform"},
		{name: "auto provider missing", choice: "auto", path: []string{"tofu"}, initErr: errOffline, want: "native", wantBin: "/usr/bin/tofu",
			wantNote: "Note: using the native engine, as tofu is not usable here: tofu init: provider bpg/proxmox cannot be installed: could not connect to registry.opentofu.org (--engine native skips this check)\n"},
		{name: "auto engine cannot be made", choice: "auto", path: []string{"tofu"}, newErr: errors.New("no credentials for https://pve:8006"), want: "native", wantBin: "/usr/bin/tofu",
			wantNote: "Note: using the native engine, as tofu is not usable here: no credentials for https://pve:8006 (--engine native skips this check)\n"},
		{name: "tofu init ok", choice: "tofu", path: []string{"tofu"}, want: "tofu", wantBin: "/usr/bin/tofu"},
		{name: "tofu not on path", choice: "tofu", path: []string{"terraform"}, wantErr: new(*tofu.NotFoundError)},
		{name: "terraform", choice: "terraform", path: []string{"tofu", "terraform"}, want: "terraform", wantBin: "/usr/bin/terraform"},
		{name: "tofu provider missing", choice: "tofu", path: []string{"tofu"}, initErr: errOffline, wantBin: "/usr/bin/tofu", wantErr: new(*tofu.ProviderMissingError)},
		{name: "bad choice", choice: "pulumi", wantErr: new(*EngineError)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := &fakeTofu{initErr: tt.initErr}
			var gotBin string
			e := Engines{LookPath: onPath(tt.path...), New: func(_ context.Context, bin string) (Tofu, string, error) {
				gotBin = bin
				if tt.newErr != nil {
					return nil, "", tt.newErr
				}
				return fake, "/ws/.proxmox-mpc/tofu.plan", nil
			}}
			var note bytes.Buffer
			sel, err := e.Select(context.Background(), tt.choice, &note)
			if tt.wantErr != nil {
				if err == nil || !errors.As(err, tt.wantErr) {
					t.Fatalf("err %v, want a %T", err, tt.wantErr)
				}
				if h, ok := err.(interface{ Hint() string }); ok && h.Hint() == "" {
					t.Errorf("%T has no hint", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if sel.Name != tt.want {
				t.Errorf("engine %q, want %q", sel.Name, tt.want)
			}
			if (sel.Name == "tofu" || sel.Name == "terraform") && (sel.Tofu != fake || sel.PlanFile != "/ws/.proxmox-mpc/tofu.plan") {
				t.Errorf("selected %+v, want the fake and its plan file", sel)
			}
			if sel.Name == "native" && !sel.Native() {
				t.Errorf("native selection carries an engine: %+v", sel)
			}
			if gotBin != tt.wantBin {
				t.Errorf("New got binary %q, want %q", gotBin, tt.wantBin)
			}
			if d := cmp.Diff(tt.wantNote, note.String()); d != "" {
				t.Errorf("note (-want +got):\n%s", d)
			}
		})
	}
}

func TestSelectInterruptedDoesNotFallBack(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e := Engines{LookPath: onPath("tofu"), New: func(context.Context, string) (Tofu, string, error) {
		return &fakeTofu{initErr: context.Canceled}, "p", nil
	}}
	var note bytes.Buffer
	if _, err := e.Select(ctx, "auto", &note); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if note.Len() != 0 {
		t.Errorf("note on an interrupted init: %q", note.String())
	}
}

func TestEnginesFromWithoutTofu(t *testing.T) {
	t.Parallel()
	e := EnginesFrom(&cmdutil.Factory{})
	e.LookPath = onPath("tofu")
	var note bytes.Buffer
	sel, err := e.Select(context.Background(), "auto", &note)
	if err != nil || !sel.Native() || note.Len() != 0 {
		t.Fatalf("auto: sel %+v err %v note %q, want native without a note", sel, err, note.String())
	}
	if _, err := e.Select(context.Background(), "tofu", &note); !errors.Is(err, ErrNoTofuEngine) {
		t.Fatalf("tofu: err %v, want ErrNoTofuEngine", err)
	}
}

func TestNewCmdPlanEngineFlag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args, want, wantErr string
	}{
		{args: "", want: "auto"},
		{args: "--engine native", want: "native"},
		{args: "--engine terraform", want: "terraform"},
		{args: "--engine opentofu", wantErr: "--engine must be one of native, tofu, terraform, auto"},
	}
	for _, tt := range tests {
		t.Run(tt.args, func(t *testing.T) {
			t.Parallel()
			ios, _, _, _ := iostreams.Test()
			f := &cmdutil.Factory{IOStreams: ios}
			var got string
			cmd := NewCmdPlan(f, nil, func(_ context.Context, o *Options) error { got = o.Engine; return nil })
			cmd.SetArgs(strings.Fields(tt.args))
			cmd.SetOut(&bytes.Buffer{})
			cmd.SetErr(&bytes.Buffer{})
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || cmdutil.ExitCode(err) != 2 {
					t.Fatalf("err %v (exit %d), want %q with exit 2", err, cmdutil.ExitCode(err), tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("engine %q err %v, want %q", got, err, tt.want)
			}
		})
	}
}

// planEvents is a tofu plan of a sync's import blocks, one new VM, one
// update and one replacement, as ParseUI yields it.
func planEvents() []tofu.Event {
	return []tofu.Event{
		{Type: tofu.EventVersion, Message: "OpenTofu 1.12.6"},
		{Type: tofu.EventDiagnostic, Severity: tofu.SeverityWarning, Message: "Deprecated attribute", Detail: "use cpu.units\nsecond line"},
		{Type: tofu.EventPlannedChange, Address: "proxmox_virtual_environment_vm.web_77", Action: "create"},
		{Type: tofu.EventPlannedChange, Address: "proxmox_virtual_environment_vm.web_01", Action: "update"},
		{Type: tofu.EventPlannedChange, Address: "proxmox_virtual_environment_container.dns", Action: "replace", Detail: "cannot_update"},
		{Type: tofu.EventPlannedChange, Address: "proxmox_virtual_environment_vm.db", Action: "import"},
		{Type: tofu.EventChangeSummary, Summary: &tofu.ChangeSummary{Add: 2, Change: 1, Remove: 1, Import: 1, Operation: "plan"}},
	}
}

func TestTofuPlanRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fake     *fakeTofu
		tty      bool
		format   string
		detailed bool
		wantCode int
	}{
		{name: "changes", fake: &fakeTofu{changes: true, events: planEvents()}},
		{name: "changes_tty", fake: &fakeTofu{changes: true, events: planEvents()}, tty: true},
		{name: "changes_detailed", fake: &fakeTofu{changes: true, events: planEvents()}, detailed: true, wantCode: 2},
		{name: "changes_json", fake: &fakeTofu{changes: true, events: planEvents()}, format: "json"},
		{name: "no_changes_detailed", fake: &fakeTofu{events: []tofu.Event{{Type: tofu.EventChangeSummary, Summary: &tofu.ChangeSummary{Operation: "plan"}}}}, detailed: true},
		{name: "failed", fake: &fakeTofu{planErr: &tofu.CommandError{Binary: "tofu", Command: "plan", Err: errors.New("exit status 1")}}, wantCode: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, out, errOut := iostreams.Test()
			ios.SetStdoutTTY(tt.tty)
			ios.SetColorEnabled(tt.tty)
			sourced := false
			src := func(context.Context, bool) (*engine.Inputs, error) {
				sourced = true
				return nil, errors.New("not wanted")
			}
			opts := &Options{IO: ios, Source: src, Now: fixedNow, Refresh: true, Engine: "tofu", DetailedExitCode: tt.detailed,
				Output: cmdutil.OutputOptions{Format: tt.format},
				Engines: Engines{LookPath: onPath("tofu"), New: func(context.Context, string) (Tofu, string, error) {
					return tt.fake, "/ws/.proxmox-mpc/tofu.plan", nil
				}}}
			err := planRun(context.Background(), opts)
			if got := cmdutil.ExitCode(err); got != tt.wantCode {
				t.Fatalf("exit code %d (%v), want %d", got, err, tt.wantCode)
			}
			if sourced {
				t.Error("the tofu plan read the native plan's source")
			}
			if tt.fake.planFile != "/ws/.proxmox-mpc/tofu.plan" {
				t.Errorf("planned into %q", tt.fake.planFile)
			}
			golden(t, "TestTofuPlanRun_"+tt.name, append(out.Bytes(), append([]byte("--- stderr\n"), errOut.Bytes()...)...))
		})
	}
}

func TestTofuPlanFlagsNativeOnly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		opts    Options
		wantErr string // "" = the native engine runs without asking tofu
	}{
		{name: "auto refresh=false", opts: Options{Engine: "auto"}},
		{name: "auto out", opts: Options{Engine: "auto", Refresh: true, Out: "p.plan"}},
		{name: "tofu refresh=false", opts: Options{Engine: "tofu"}, wantErr: "--refresh=false works with the native engine only"},
		{name: "terraform out", opts: Options{Engine: "terraform", Refresh: true, Out: "p.plan"}, wantErr: "--out works with the native engine only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, _, _ := iostreams.Test()
			opts := tt.opts
			opts.IO = ios
			opts.Engines = Engines{LookPath: onPath("tofu", "terraform"), New: func(context.Context, string) (Tofu, string, error) {
				t.Error("tofu was asked")
				return nil, "", errors.New("no")
			}}
			sel, err := selectForPlan(context.Background(), &opts)
			if tt.wantErr == "" {
				if err != nil || !sel.Native() {
					t.Fatalf("sel %+v err %v, want native", sel, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || cmdutil.ExitCode(err) != 2 {
				t.Fatalf("err %v, want a usage error %q", err, tt.wantErr)
			}
		})
	}
}

func TestSummarizeTofuWithoutSummary(t *testing.T) {
	t.Parallel()
	evs := planEvents()
	got := SummarizeTofu(evs[:len(evs)-1])
	want := TofuSummary{Add: 2, Change: 1, Destroy: 1, Import: 1}
	if d := cmp.Diff(want, got, cmpopts.IgnoreFields(TofuSummary{}, "Changes")); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if PlanLine(got) != "Plan: 1 to import, 2 to add, 1 to change, 1 to destroy." {
		t.Errorf("plan line %q", PlanLine(got))
	}
}
