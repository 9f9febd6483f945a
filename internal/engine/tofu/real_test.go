package tofu

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// realEngine is an Engine on the real OpenTofu binary in a fresh folder
// holding testdata/config/<config>. Missing, the test is skipped — or
// fails when PMC_REQUIRE_TOOLS=1 (scripts/with-tools.sh installs it).
//
// The CLI configuration it gets allows only an empty filesystem mirror:
// the user's is not read, and no provider lookup leaves the machine.
func realEngine(t *testing.T, config string) *Engine {
	t.Helper()
	bin, err := exec.LookPath("tofu")
	if err != nil {
		if os.Getenv("PMC_REQUIRE_TOOLS") == "1" {
			t.Fatalf("tofu not on PATH, and PMC_REQUIRE_TOOLS=1")
		}
		t.Skip("tofu not installed (scripts/with-tools.sh installs it)")
	}
	dir, mirror := t.TempDir(), t.TempDir()
	src, err := os.ReadFile(filepath.Join("testdata", "config", config, "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	cli := filepath.Join(t.TempDir(), "cli.tfrc")
	rc := fmt.Sprintf("provider_installation {\n  filesystem_mirror {\n    path = %q\n  }\n}\n", mirror)
	if err := os.WriteFile(cli, []byte(rc), 0o644); err != nil {
		t.Fatal(err)
	}
	return &Engine{
		Binary: bin,
		Dir:    dir,
		Env: map[string]string{
			"TF_CLI_CONFIG_FILE":   cli,
			"CHECKPOINT_DISABLE":   "1",
			"TF_PLUGIN_CACHE_DIR":  "",
			"PROXMOX_VE_API_TOKEN": "root@pam!test=not-a-secret",
		},
		InterruptGrace: 30 * time.Second,
	}
}

// ctxFor bounds one real run.
func ctxFor(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

type change struct{ Address, Action string }

// changes lists the events of one type as (address, action), sorted:
// tofu works on independent resources in parallel.
func changes(events []Event, typ string) []change {
	var out []change
	for _, ev := range events {
		if ev.Type == typ {
			out = append(out, change{ev.Address, ev.Action})
		}
	}
	slices.SortFunc(out, func(a, b change) int { return strings.Compare(a.Address+a.Action, b.Address+b.Action) })
	return out
}

func summaryOf(events []Event) *ChangeSummary {
	var s *ChangeSummary
	for _, ev := range events {
		if ev.Type == EventChangeSummary {
			s = ev.Summary
		}
	}
	return s
}

// TestRealLifecycle: init, plan to a file, apply it, plan again (no
// changes), destroy one target, destroy the rest — against the real
// binary, on builtin terraform_data resources.
func TestRealLifecycle(t *testing.T) {
	t.Parallel()
	e := realEngine(t, "e2e")
	ctx := ctxFor(t)
	all := []string{"terraform_data.db", "terraform_data.web[0]", "terraform_data.web[1]"}
	each := func(action string, addrs ...string) []change {
		var out []change
		for _, a := range addrs {
			out = append(out, change{a, action})
		}
		return out
	}

	if err := e.Init(ctx); err != nil {
		t.Fatalf("Init: %v", err)
	}

	has, events, err := e.Plan(ctx, "create.tfplan")
	if err != nil || !has {
		t.Fatalf("Plan = %v, %v; want changes", has, err)
	}
	if diff := cmp.Diff(each("create", all...), changes(events, EventPlannedChange)); diff != "" {
		t.Errorf("planned changes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&ChangeSummary{Add: 3, Operation: "plan"}, summaryOf(events)); diff != "" {
		t.Errorf("plan summary (-want +got):\n%s", diff)
	}

	var applied []Event
	if err := e.Apply(ctx, "create.tfplan", func(ev Event) { applied = append(applied, ev) }); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if diff := cmp.Diff(each("create", all...), changes(applied, EventApplyStart)); diff != "" {
		t.Errorf("apply_start (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(each("create", all...), changes(applied, EventApplyComplete)); diff != "" {
		t.Errorf("apply_complete (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&ChangeSummary{Add: 3, Operation: "apply"}, summaryOf(applied)); diff != "" {
		t.Errorf("apply summary (-want +got):\n%s", diff)
	}

	has, events, err = e.Plan(ctx, "")
	if err != nil || has {
		t.Fatalf("Plan after apply = %v, %v; want no changes", has, err)
	}
	if diff := cmp.Diff(&ChangeSummary{Operation: "plan"}, summaryOf(events)); diff != "" {
		t.Errorf("second plan summary (-want +got):\n%s", diff)
	}

	var destroyed []Event
	if err := e.Destroy(ctx, []string{"terraform_data.web[1]"}, func(ev Event) { destroyed = append(destroyed, ev) }); err != nil {
		t.Fatalf("Destroy web[1]: %v", err)
	}
	if diff := cmp.Diff(each("delete", "terraform_data.web[1]"), changes(destroyed, EventApplyComplete)); diff != "" {
		t.Errorf("targeted destroy (-want +got):\n%s", diff)
	}

	destroyed = nil
	if err := e.Destroy(ctx, nil, func(ev Event) { destroyed = append(destroyed, ev) }); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	if diff := cmp.Diff(each("delete", "terraform_data.db", "terraform_data.web[0]"), changes(destroyed, EventApplyComplete)); diff != "" {
		t.Errorf("destroy (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&ChangeSummary{Remove: 2, Operation: "destroy"}, summaryOf(destroyed)); diff != "" {
		t.Errorf("destroy summary (-want +got):\n%s", diff)
	}
}

// TestRealErrors: a precondition failing in plan, and a postcondition and
// a provisioner failing in apply, come back as *CommandError with their
// diagnostics; the apply reports the resource that failed.
func TestRealErrors(t *testing.T) {
	t.Parallel()
	t.Run("plan", func(t *testing.T) {
		t.Parallel()
		e := realEngine(t, "plan-error")
		ctx := ctxFor(t)
		if err := e.Init(ctx); err != nil {
			t.Fatalf("Init: %v", err)
		}
		_, _, err := e.Plan(ctx, "x.tfplan")
		var ce *CommandError
		if !errors.As(err, &ce) || len(ce.Diagnostics) != 1 {
			t.Fatalf("Plan = %v, want a *CommandError with one diagnostic", err)
		}
		d := ce.Diagnostics[0]
		if d.Message != "Resource precondition failed" || d.Detail != "cores must be positive" || d.File != "main.tf" || d.Line != 11 {
			t.Errorf("diagnostic = %+v", d)
		}
	})
	t.Run("apply", func(t *testing.T) {
		t.Parallel()
		e := realEngine(t, "apply-error")
		ctx := ctxFor(t)
		if err := e.Init(ctx); err != nil {
			t.Fatalf("Init: %v", err)
		}
		if _, _, err := e.Plan(ctx, "x.tfplan"); err != nil {
			t.Fatalf("Plan: %v", err)
		}
		var events []Event
		err := e.Apply(ctx, "x.tfplan", func(ev Event) { events = append(events, ev) })
		var ce *CommandError
		if !errors.As(err, &ce) {
			t.Fatalf("Apply = %v, want a *CommandError", err)
		}
		var got []string
		for _, d := range ce.Diagnostics {
			got = append(got, fmt.Sprintf("%s %s:%d", d.Message, d.File, d.Line))
		}
		want := []string{"Resource postcondition failed main.tf:11", "local-exec provisioner error main.tf:20"}
		if diff := cmp.Diff(want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
			t.Errorf("diagnostics (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]change{{"terraform_data.broken", "create"}}, changes(events, EventApplyErrored)); diff != "" {
			t.Errorf("apply_errored (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]change{{"terraform_data.bad", "create"}, {"terraform_data.good", "create"}}, changes(events, EventApplyComplete)); diff != "" {
			t.Errorf("apply_complete (-want +got):\n%s", diff)
		}
	})
}

// TestRealProviderMissing: init of code that needs bpg/proxmox, with no
// mirror that has it, fails at once with a *ProviderMissingError.
func TestRealProviderMissing(t *testing.T) {
	t.Parallel()
	e := realEngine(t, "provider")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	err := e.Init(ctx)
	var pm *ProviderMissingError
	if !errors.As(err, &pm) {
		t.Fatalf("Init = %v (%T), want a *ProviderMissingError", err, err)
	}
	if diff := cmp.Diff([]string{"bpg/proxmox"}, pm.Providers); diff != "" {
		t.Errorf("providers (-want +got):\n%s", diff)
	}
	if pm.Binary != KindTofu || pm.Hint() == "" || !strings.Contains(pm.Error(), "tofu init: provider bpg/proxmox cannot be installed") {
		t.Errorf("error %q, hint %q", pm, pm.Hint())
	}
}

// TestRealInterrupt: cancelling the ctx during an apply interrupts tofu,
// which stops the running provisioner, records what it did and exits.
func TestRealInterrupt(t *testing.T) {
	t.Parallel()
	e := realEngine(t, "slow")
	ctx := ctxFor(t)
	if err := e.Init(ctx); err != nil {
		t.Fatalf("Init: %v", err)
	}
	if _, _, err := e.Plan(ctx, "x.tfplan"); err != nil {
		t.Fatalf("Plan: %v", err)
	}
	applyCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var events []Event
	err := e.Apply(applyCtx, "x.tfplan", func(ev Event) {
		events = append(events, ev)
		if ev.Type == "provision_start" {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Apply = %v, want an interruption", err)
	}
	// SIGINT, not a kill: tofu says it shuts down gracefully.
	if !slices.ContainsFunc(events, func(ev Event) bool { return strings.Contains(ev.Message, "Gracefully shutting down") }) {
		t.Errorf("tofu did not report a graceful shutdown:\n%s", render(events))
	}
	if got := changes(events, EventApplyComplete); len(got) != 0 {
		t.Errorf("apply_complete after an interrupt: %v", got)
	}
	// The state tofu wrote on its way out lets the next plan run.
	if _, _, err := e.Plan(ctx, ""); err != nil {
		t.Errorf("Plan after the interrupt: %v", err)
	}
}
