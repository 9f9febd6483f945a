package engine

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/terraform"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// TestNoChangesAfterSync: the code sync generates plans no change for
// every guest of the simulator's scenarios.
func TestNoChangesAfterSync(t *testing.T) {
	t.Parallel()
	for _, sc := range []struct {
		name string
		n    int
	}{{pvesim.ScenarioHomelab, 0}, {pvesim.ScenarioLarge, 2000}} {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			live := scenarioGuests(t, sc.name, sc.n)
			code, hash := syncedCode(t, live)
			all := func(int) bool { return true }
			plan := Diff(code.Guests, live, DiffOptions{Managed: all, Files: code.Files, CodeHash: hash})
			for _, c := range plan.Changes {
				t.Errorf("%s (vmid %d): %s %v", c.Address, c.VMID, c.Action, c.Attrs)
			}
			if plan.NoOps != len(live) {
				t.Errorf("unchanged = %d, want %d", plan.NoOps, len(live))
			}
		})
	}
}

type wantAttr struct {
	path string
	d    Disruption
}

// TestDiffClasses: each edit of the homelab code plans the action and the
// disruption classes the simulator (and PVE) would show.
func TestDiffClasses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		vmid       int
		edit       func(g *iac.Guest)
		live       func(l *state.Guest)
		action     Action
		disruption Disruption
		attrs      []wantAttr
	}{
		{name: "cores of a running VM without cpu hotplug", vmid: 101, edit: func(g *iac.Guest) { g.VM.CPU.Cores = 4 },
			action: Update, disruption: Reboot, attrs: []wantAttr{{"cpu.cores", Reboot}}},
		{name: "cores with cpu hotplug and NUMA", vmid: 101,
			edit:   func(g *iac.Guest) { g.VM.CPU.Cores, g.VM.CPU.NUMA, g.VM.Hotplug = 4, true, "network,disk,cpu,memory" },
			live:   func(l *state.Guest) { l.Config["numa"], l.Config["hotplug"] = "1", "network,disk,cpu,memory" },
			action: Update, disruption: Hotplug, attrs: []wantAttr{{"cpu.cores", Hotplug}}},
		{name: "memory with memory hotplug and NUMA", vmid: 101,
			edit:   func(g *iac.Guest) { g.VM.Memory.DedicatedMiB, g.VM.CPU.NUMA, g.VM.Hotplug = 8192, true, "memory" },
			live:   func(l *state.Guest) { l.Config["numa"], l.Config["hotplug"] = "1", "memory" },
			action: Update, disruption: Hotplug, attrs: []wantAttr{{"memory.dedicated", Hotplug}}},
		{name: "memory without NUMA", vmid: 101, edit: func(g *iac.Guest) { g.VM.Memory.DedicatedMiB = 8192 },
			action: Update, disruption: Reboot, attrs: []wantAttr{{"memory.dedicated", Reboot}}},
		{name: "memory of a stopped VM", vmid: 107, edit: func(g *iac.Guest) { g.VM.Memory.DedicatedMiB = 16384 },
			action: Update, disruption: None, attrs: []wantAttr{{"memory.dedicated", None}}},
		{name: "disk grows online", vmid: 101, edit: func(g *iac.Guest) { g.VM.Disks[0].SizeGiB = 64 },
			action: Update, disruption: Hotplug, attrs: []wantAttr{{"disk[scsi0].size", Hotplug}}},
		{name: "disk shrink is refused", vmid: 101, edit: func(g *iac.Guest) { g.VM.Disks[0].SizeGiB = 16 },
			action: Update, disruption: DataLoss, attrs: []wantAttr{{"disk[scsi0].size", DataLoss}}},
		{name: "scsi disk added", vmid: 101, edit: func(g *iac.Guest) {
			g.VM.Disks = append(g.VM.Disks, iac.Disk{Interface: "scsi1", Datastore: "local-lvm", SizeGiB: 8, Cache: "none", Discard: "ignore", AIO: "io_uring", Backup: true, Replicate: true})
		}, action: Update, disruption: Hotplug},
		{name: "sata disk added", vmid: 101, edit: func(g *iac.Guest) {
			g.VM.Disks = append(g.VM.Disks, iac.Disk{Interface: "sata1", Datastore: "local-lvm", SizeGiB: 8, Cache: "none", Discard: "ignore", AIO: "io_uring", Backup: true, Replicate: true})
		}, action: Update, disruption: Reboot},
		{name: "disk removed", vmid: 101, live: func(l *state.Guest) { l.Config["scsi1"] = "local-lvm:vm-101-disk-1,size=8G" },
			action: Update, disruption: DataLoss},
		{name: "NIC bridge", vmid: 101, edit: func(g *iac.Guest) { g.VM.NICs[0].Bridge = "vmbr1" },
			action: Update, disruption: Hotplug, attrs: []wantAttr{{"network_device[0].bridge", Hotplug}}},
		{name: "NIC added", vmid: 101, edit: func(g *iac.Guest) { g.VM.NICs = append(g.VM.NICs, iac.NIC{Model: "virtio", Bridge: "vmbr1"}) },
			action: Update, disruption: Hotplug},
		{name: "bios", vmid: 101, edit: func(g *iac.Guest) { g.VM.BIOS = "ovmf" },
			action: Update, disruption: Reboot, attrs: []wantAttr{{"bios", Reboot}}},
		{name: "name and tags are metadata", vmid: 101, edit: func(g *iac.Guest) { g.Name, g.Tags = "web-01b", []string{"web"} },
			action: Update, disruption: None, attrs: []wantAttr{{"name", None}, {"tags", None}}},
		{name: "tags in another order", vmid: 101, edit: func(g *iac.Guest) { g.Tags = []string{"web", "prod"} }, action: NoOp},
		{name: "tags left out", vmid: 101, edit: func(g *iac.Guest) { g.Tags = nil }, action: NoOp},
		{name: "disks left out", vmid: 101, edit: func(g *iac.Guest) { g.VM.Disks = nil }, action: NoOp},
		{name: "mac left out", vmid: 101, edit: func(g *iac.Guest) { g.VM.NICs[0].MAC = "" }, action: NoOp},
		{name: "ignore_changes", vmid: 101, edit: func(g *iac.Guest) {
			g.VM.CPU.Cores = 8
			g.Ignore = append(g.Ignore, iac.IgnoredAttr{Attr: "cpu"})
		}, action: NoOp},
		{name: "VM migration while running", vmid: 101, edit: func(g *iac.Guest) { g.Node = "pve2" },
			action: Update, disruption: Hotplug, attrs: []wantAttr{{"node_name", Hotplug}}},
		{name: "CT migration while running", vmid: 200, edit: func(g *iac.Guest) { g.Node = "pve2" },
			action: Update, disruption: StopStart, attrs: []wantAttr{{"node_name", StopStart}}},
		{name: "stopped VM migration", vmid: 107, edit: func(g *iac.Guest) { g.Node = "pve1" },
			action: Update, disruption: None, attrs: []wantAttr{{"node_name", None}}},
		{name: "stop a running VM", vmid: 101, edit: func(g *iac.Guest) { g.Started = false },
			action: Update, disruption: StopStart, attrs: []wantAttr{{"started", StopStart}}},
		{name: "CT cores live", vmid: 200, edit: func(g *iac.Guest) { g.CT.Cores, g.CT.MemoryMiB = 2, 1024 },
			action: Update, disruption: Hotplug, attrs: []wantAttr{{"cpu.cores", Hotplug}, {"memory.dedicated", Hotplug}}},
		{name: "CT features", vmid: 200, edit: func(g *iac.Guest) { g.CT.Features.Keyctl = true },
			action: Update, disruption: Reboot, attrs: []wantAttr{{"features.keyctl", Reboot}}},
		{name: "CT unprivileged forces replacement", vmid: 200, edit: func(g *iac.Guest) { g.CT.Unprivileged = false },
			action: Replace, disruption: DataLoss, attrs: []wantAttr{{"unprivileged", DataLoss}}},
		{name: "CT rootfs datastore forces replacement", vmid: 203, edit: func(g *iac.Guest) { g.CT.RootFS.Datastore = "ceph" },
			action: Replace, disruption: DataLoss, attrs: []wantAttr{{"disk.datastore_id", DataLoss}}},
		{name: "CT mount point added forces replacement", vmid: 200, edit: func(g *iac.Guest) {
			g.CT.MountPoints = append(g.CT.MountPoints, iac.MountPoint{Volume: "local-lvm", Path: "/data", Size: "8G", Replicate: true})
		}, action: Replace, disruption: DataLoss},
		{name: "EFI type of a stopped VM forces replacement", vmid: 104, edit: func(g *iac.Guest) { g.VM.EFIDisk.Type = "2m" },
			action: Replace, disruption: DataLoss, attrs: []wantAttr{{"efi_disk.type", DataLoss}}},
		{name: "description trailing newline", vmid: 101, edit: func(g *iac.Guest) { g.Description += "\n" }, action: NoOp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			live := scenarioGuests(t, pvesim.ScenarioHomelab, 0)
			code, _ := syncedCode(t, live)
			for i := range code.Guests {
				if code.Guests[i].VMID == tt.vmid && tt.edit != nil {
					tt.edit(&code.Guests[i].Guest)
				}
			}
			for i := range live {
				if live[i].VMID == tt.vmid && tt.live != nil {
					tt.live(&live[i])
				}
			}
			plan := Diff(code.Guests, live, DiffOptions{})
			var got *GuestChange
			for i := range plan.Changes {
				if plan.Changes[i].VMID == tt.vmid {
					got = &plan.Changes[i]
				} else {
					t.Errorf("unexpected change of %s: %v", plan.Changes[i].Address, plan.Changes[i].Attrs)
				}
			}
			if tt.action == NoOp {
				if got != nil {
					t.Fatalf("want no change, got %s %v", got.Action, got.Attrs)
				}
				return
			}
			if got == nil {
				t.Fatalf("want %s, got no change", tt.action)
			}
			if got.Action != tt.action || got.Disruption != tt.disruption {
				t.Errorf("got %s/%s, want %s/%s: %v", got.Action, got.Disruption, tt.action, tt.disruption, got.Attrs)
			}
			if tt.attrs != nil {
				var gotAttrs []wantAttr
				for _, a := range got.Attrs {
					gotAttrs = append(gotAttrs, wantAttr{a.Path, a.Disruption})
				}
				if d := cmp.Diff(tt.attrs, gotAttrs, cmp.AllowUnexported(wantAttr{})); d != "" {
					t.Errorf("attributes (-want +got):\n%s\n%v", d, got.Attrs)
				}
			}
		})
	}
}

// TestDiffMatchCreateDelete: matching by name, creates, deletes of managed
// guests only, never of templates.
func TestDiffMatchCreateDelete(t *testing.T) {
	t.Parallel()
	live := scenarioGuests(t, pvesim.ScenarioHomelab, 0)
	code, _ := syncedCode(t, live)
	var desired []terraform.Guest
	for _, g := range code.Guests {
		switch g.VMID {
		case 102, 9000: // code removed: 102 is deleted (managed), the template is kept
			continue
		case 101: // no vmid in the code: matched by name
			g.VMID = 0
		}
		desired = append(desired, g)
	}
	newVM := desired[0]
	newVM.Address, newVM.VMID, newVM.Name = "proxmox_virtual_environment_vm.new_01", 0, "new-01"
	desired = append(desired, newVM)
	plan := Diff(desired, live, DiffOptions{Managed: func(int) bool { return true }})
	var got []string
	for _, c := range plan.Changes {
		got = append(got, fmt.Sprintf("%s %d %s %s", c.Action, c.VMID, c.Address, c.Disruption))
	}
	want := []string{
		"create 0 proxmox_virtual_environment_vm.new_01 none",
		"delete 102 proxmox_virtual_environment_vm.web_02 data-loss",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if s := plan.Summary(); s.Add != 1 || s.Destroy != 1 {
		t.Errorf("summary %+v", s)
	}
	// Without Managed nothing is deleted.
	plan = Diff(desired, live, DiffOptions{})
	for _, c := range plan.Changes {
		if c.Action == Delete {
			t.Errorf("deleted %s without Managed", c.Address)
		}
	}
}

func TestFindings(t *testing.T) {
	t.Parallel()
	live := scenarioGuests(t, pvesim.ScenarioHomelab, 0)
	code, _ := syncedCode(t, live)
	var vm terraform.Guest
	for _, g := range code.Guests {
		if g.VMID == 100 {
			vm = g
		}
	}
	for i := range code.Guests {
		switch code.Guests[i].VMID {
		case 101:
			code.Guests[i].VM.Disks[0].SizeGiB = 8
		case 200: // the code says VM, the server has a CT with this vmid
			vm.Address, vm.VMID = "proxmox_virtual_environment_vm.clash", 200
			code.Guests[i] = vm
		}
	}
	plan := Diff(code.Guests, live, DiffOptions{})
	var got []string
	for _, f := range plan.Findings() {
		got = append(got, f.Path+" "+f.Address)
		if f.Hint == "" {
			t.Errorf("%s: no hint", f.Summary)
		}
	}
	want := []string{"vm_id proxmox_virtual_environment_vm.clash", "disk[scsi0].size proxmox_virtual_environment_vm.web_01"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}
