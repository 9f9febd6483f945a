package native

import (
	"context"
	"errors"
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// TestCreateFormRoundTrip creates a copy of every homelab guest from its
// model (new VMID) and checks that the simulator accepts the form (it
// validates against the PVE schema) and that the created guest reads back
// as the model.
func TestCreateFormRoundTrip(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pvesim.Options{TaskDuration: -1})
	fx := f.sim.Fixtures()
	live := f.live(t)
	ids := slices.Sorted(maps.Keys(live))
	for i, id := range ids {
		g := live[id]
		want := iac.FromState(g)
		want.VMID = 5000 + i
		want.Started = false
		if want.CT != nil {
			for j := range want.CT.MountPoints {
				want.CT.MountPoints[j].Volume = volumeStorage(want.CT.MountPoints[j].Volume)
			}
			want.Pool = "" // the model has no pool for containers
		}
		t.Run(g.Type+"/"+itoa(id), func(t *testing.T) {
			form, err := CreateForm(want, fx.CTTemplate)
			if err != nil {
				t.Fatalf("CreateForm: %v", err)
			}
			upid, err := f.admin.CreateGuest(context.Background(), want.Node, pveKind(want.Kind), form)
			f.wait(t, upid, err)
			got := iac.FromState(f.guest(t, want.VMID))
			if d := cmp.Diff(norm(want), norm(got), cmpOpts); d != "" {
				t.Errorf("created guest differs from the model (-want +got):\n%s\nform: %v", d, form)
			}
		})
	}
}

func TestCreateFormErrors(t *testing.T) {
	t.Parallel()
	ct := iac.Guest{Kind: iac.KindCT, VMID: 300, Node: "pve1", CT: &iac.CT{Cores: 1}}
	vm := newVM(301, "pve1")
	clone := newVM(302, "pve1")
	clone.Clone = &iac.Clone{VMID: 9000}
	noID := newVM(0, "pve1")
	noSize := newVM(303, "pve1")
	noSize.VM.Disks[0].SizeGiB = 0
	tests := []struct {
		name    string
		g       iac.Guest
		tmpl    string
		wantErr string
	}{
		{"container without template", ct, "", "template_file_id"},
		{"container", ct, "local:vztmpl/debian.tar.zst", ""},
		{"vm", vm, "", ""},
		{"clone", clone, "", "cloning"},
		{"no vmid", noID, "", "VMID"},
		{"disk without size", noSize, "", "size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := CreateForm(tt.g, tt.tmpl)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("CreateForm: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("CreateForm error = %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}

func TestEncodeSSHKeys(t *testing.T) {
	t.Parallel()
	keys := []string{"ssh-ed25519 AAAAC3Nza+/= alice@host", "ssh-rsa BBBB bob"}
	got := EncodeSSHKeys(keys)
	if strings.ContainsAny(got, " +@\n") {
		t.Fatalf("EncodeSSHKeys = %q: want spaces, '+', '@' and newlines escaped", got)
	}
	dec, err := url.PathUnescape(got)
	if err != nil || dec != strings.Join(keys, "\n")+"\n" {
		t.Fatalf("decode(%q) = %q, %v", got, dec, err)
	}
}

// TestPlanUpdate checks the PUT form of in-place changes on a stopped VM
// of the homelab.
func TestPlanUpdate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pvesim.Options{TaskDuration: -1})
	fx := f.sim.Fixtures()
	live := f.guest(t, fx.StoppedVMID)
	base := iac.FromState(live)
	tests := []struct {
		name       string
		edit       func(g *iac.Guest)
		wantSet    []string
		wantDelete []string
		wantResize []resize
		wantErr    string
	}{
		{name: "no change", edit: func(*iac.Guest) {}},
		{name: "cores", edit: func(g *iac.Guest) { g.VM.CPU.Cores = 6 }, wantSet: []string{"cores"}},
		{name: "memory and tags", edit: func(g *iac.Guest) { g.VM.Memory.DedicatedMiB = 4096; g.Tags = []string{"a", "b"} }, wantSet: []string{"memory", "tags"}},
		{name: "remove description", edit: func(g *iac.Guest) { g.Description = "" }, wantDelete: deleteIf(live.Config, "description")},
		{name: "add nic", edit: func(g *iac.Guest) {
			g.VM.NICs = append(g.VM.NICs, iac.NIC{Model: "virtio", Bridge: "vmbr0", VLAN: 20})
		}, wantSet: []string{"net" + itoa(len(base.VM.NICs))}},
		{name: "grow disk", edit: func(g *iac.Guest) { g.VM.Disks[0].SizeGiB += 10 }, wantResize: []resize{{base.VM.Disks[0].Interface, itoa(base.VM.Disks[0].SizeGiB+10) + "G"}}},
		{name: "shrink disk", edit: func(g *iac.Guest) { g.VM.Disks[0].SizeGiB = 1 }, wantErr: "shrink"},
		{name: "move disk", edit: func(g *iac.Guest) { g.VM.Disks[0].Datastore = "other" }, wantErr: "moving"},
		{name: "template", edit: func(g *iac.Guest) { g.Template = true }, wantErr: "template"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := iac.FromState(live)
			tt.edit(&d)
			u, err := planUpdate(d, live)
			if tt.wantErr != "" {
				var ue *UnsupportedError
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("planUpdate error = %v, want an UnsupportedError about %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("planUpdate: %v", err)
			}
			if d := cmp.Diff(tt.wantSet, slices.Sorted(maps.Keys(u.Set)), cmpOpts); d != "" {
				t.Errorf("set keys (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.wantDelete, u.Delete, cmpOpts); d != "" {
				t.Errorf("deleted keys (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tt.wantResize, u.Resizes, cmpOpts, cmp.AllowUnexported(resize{})); d != "" {
				t.Errorf("resizes (-want +got):\n%s", d)
			}
			// the simulator accepts the form (subtests share the guest, so no digest)
			if form := u.configForm(); form != nil {
				if _, err := f.admin.UpdateConfig(context.Background(), live.Node, pve.KindVM, live.VMID, form, false); err != nil {
					t.Errorf("the simulator refuses %v: %v", form, err)
				}
			}
		})
	}
}

func deleteIf(conf map[string]string, k string) []string {
	if _, ok := conf[k]; ok {
		return []string{k}
	}
	return nil
}

// FuzzRenderRoundTrip: for any config the model reads, the rendered
// config reads back as the same model (the renderer is the inverse of
// FromState on what the model represents).
func FuzzRenderRoundTrip(f *testing.F) {
	f.Add("vm", "4", "2048", "virtio=AA:BB:CC:DD:EE:FF,bridge=vmbr0,tag=10", "local-lvm:vm-1-disk-0,size=32G,ssd=1", "a;b")
	f.Add("ct", "2", "512", "name=eth0,bridge=vmbr1,ip=dhcp", "local-lvm:vm-1-disk-0,size=8G", "")
	f.Add("vm", "x", "", "e1000,bridge=vmbr0,firewall=1,rate=1.5", "ceph:vm-1-disk-1,size=1536M,cache=writeback", ";;")
	f.Fuzz(func(t *testing.T, kind, cores, memory, net0, disk, tags string) {
		conf := map[string]string{"cores": cores, "memory": memory, "net0": net0, "tags": tags}
		if kind == "ct" {
			conf["rootfs"] = disk
			conf["hostname"] = "c"
		} else {
			kind = "vm"
			conf["scsi0"] = disk
		}
		for k, v := range conf {
			if v == "" {
				delete(conf, k)
			}
		}
		g := state.Guest{VMID: 100, Type: kind, Node: "pve1", Config: conf}
		model := iac.FromState(g)
		if len(model.Unmapped) > 0 {
			return // the property holds for configs the model represents
		}
		r, err := renderConfig(&model, conf)
		if err != nil {
			return // a refusal is fine; a wrong rendering is not
		}
		back := g
		back.Config = map[string]string{}
		for k, v := range r.conf {
			back.Config[k] = simValue(r, k, v)
		}
		if d := cmp.Diff(norm(model), norm(iac.FromState(back)), cmpOpts); d != "" {
			t.Fatalf("render does not read back (-model +rendered):\n%s\nconf %v\nrendered %v", d, conf, r.conf)
		}
	})
}
