package engine

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
)

// samplePlan is a plan over the homelab with one change of each kind.
func samplePlan(t *testing.T) Plan {
	t.Helper()
	live := scenarioGuests(t, pvesim.ScenarioHomelab, 0)
	code, hash := syncedCode(t, live)
	desired := code.Guests[:0:0]
	for _, g := range code.Guests {
		switch g.VMID {
		case 102:
			continue // removed from the code: destroyed
		case 101:
			g.VM.CPU.Cores = 4
		case 103:
			g.VM.Disks[0].SizeGiB = 128
		case 200:
			g.CT.Unprivileged = false
		}
		desired = append(desired, g)
	}
	for _, g := range code.Guests {
		if g.VMID == 109 {
			g.Address, g.VMID, g.Name = "proxmox_virtual_environment_vm.new_01", 0, "new-01"
			vm := *g.VM
			vm.Disks = slices.Clone(vm.Disks)
			vm.Disks[0].SizeGiB = 32
			g.VM = &vm
			desired = append(desired, g)
		}
	}
	return Diff(desired, live, DiffOptions{Managed: func(int) bool { return true }, CodeHash: hash, Now: time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)})
}

func TestRender(t *testing.T) {
	t.Parallel()
	plan := samplePlan(t)
	for _, tt := range []struct {
		name  string
		plan  Plan
		color bool
	}{
		{"TestRender_plain", plan, false},
		{"TestRender_color", plan, true},
		{"TestRender_empty", Plan{NoOps: 3}, false},
	} {
		var b bytes.Buffer
		if err := Render(&b, tt.plan, RenderOptions{Color: tt.color}); err != nil {
			t.Fatal(err)
		}
		golden(t, tt.name, b.Bytes())
		if !tt.color && strings.Contains(b.String(), "\x1b[") {
			t.Errorf("%s: colour codes without colour", tt.name)
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(plan.View()); err != nil {
		t.Fatal(err)
	}
	golden(t, "TestRender_json", b.Bytes())
}

func TestSummaryLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    Summary
		want string
	}{
		{Summary{Add: 2, Change: 1, NeedsReboot: 1}, "Plan: 2 to add, 1 to change (1 needs reboot), 0 to destroy."},
		{Summary{Change: 3, NeedsReboot: 2, Destroy: 1}, "Plan: 0 to add, 3 to change (2 need reboot), 1 to destroy."},
		{Summary{Add: 1, Replace: 1}, "Plan: 2 to add, 0 to change, 1 to destroy."},
	}
	for _, tt := range tests {
		if got := SummaryLine(tt.s); got != tt.want {
			t.Errorf("SummaryLine(%+v) = %q, want %q", tt.s, got, tt.want)
		}
	}
}
