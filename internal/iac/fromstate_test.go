package iac

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// TestFromStateNoKeyDropped checks that every config key of every guest of
// homelab and large is either used by the model or listed in Unmapped.
func TestFromStateNoKeyDropped(t *testing.T) {
	t.Parallel()
	for _, sc := range []struct {
		name   string
		guests int
	}{{pvesim.ScenarioHomelab, 0}, {pvesim.ScenarioLarge, 500}} {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			gs := scenarioGuests(t, sc.name, sc.guests)
			if len(gs) == 0 {
				t.Fatal("no guests discovered")
			}
			for _, g := range gs {
				m, used := fromState(g)
				unmapped := map[string]bool{}
				for _, u := range m.Unmapped {
					unmapped[u.Key] = true
					if u.Reason == "" {
						t.Errorf("guest %d: unmapped %s has no reason", g.VMID, u.Key)
					}
				}
				for k := range g.Config {
					if k == "digest" {
						continue
					}
					if !used[k] && !unmapped[k] {
						t.Errorf("guest %d: config key %s neither mapped nor unmapped", g.VMID, k)
					}
				}
				if m.Kind == KindVM && m.VM == nil || m.Kind == KindCT && m.CT == nil {
					t.Errorf("guest %d: kind %s without its part", g.VMID, m.Kind)
				}
			}
		})
	}
}

func TestFromStateCases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		guest state.Guest
		check func(t *testing.T, g Guest)
	}{
		{
			name: "vm without scsihw, memory, ostype needs ignores",
			guest: state.Guest{VMID: 106, Type: "vm", Node: "pve", Status: "stopped", Config: map[string]string{
				"name": "bare", "scsi0": "local-lvm:vm-106-disk-0,size=1536M", "cipassword": "secret",
			}},
			check: func(t *testing.T, g Guest) {
				var attrs []string
				for _, i := range g.Ignore {
					attrs = append(attrs, i.Attr)
				}
				if d := cmp.Diff([]string{"scsi_hardware", "operating_system", "memory"}, attrs); d != "" {
					t.Errorf("ignore (-want +got):\n%s", d)
				}
				if g.VM.Disks[0].SizeGiB != 1 {
					t.Errorf("size = %d, want 1 (floored)", g.VM.Disks[0].SizeGiB)
				}
				var sawSecret, sawSize bool
				for _, u := range g.Unmapped {
					if u.Key == "cipassword" {
						sawSecret = true
						if u.Value != "" {
							t.Errorf("cipassword value %q leaked", u.Value)
						}
					}
					if u.Key == "scsi0" && strings.Contains(u.Reason, "sub-GiB") {
						sawSize = true
					}
				}
				if !sawSecret || !sawSize {
					t.Errorf("unmapped = %+v, want cipassword and scsi0 size", g.Unmapped)
				}
			},
		},
		{
			name: "cpu flags, ssh keys, cicustom, unknown options",
			guest: state.Guest{VMID: 1, Type: "vm", Node: "pve", Status: "running", Config: map[string]string{
				"cpu": "host,flags=+aes;+pcid", "sshkeys": "ssh-ed25519%20AAAA%20a%40b%0Assh-rsa%20BBBB%20c%0A",
				"cicustom": "user=local:snippets/u.yaml,network=local:snippets/n.yaml", "net0": "virtio=BC:24:11:00:00:01,bridge=vmbr1,tag=5,foo=bar",
				"memory": "1024", "ostype": "l26", "scsihw": "virtio-scsi-pci",
			}},
			check: func(t *testing.T, g Guest) {
				if d := cmp.Diff([]string{"+aes", "+pcid"}, g.VM.CPU.Flags); d != "" {
					t.Errorf("flags: %s", d)
				}
				if d := cmp.Diff([]string{"ssh-ed25519 AAAA a@b", "ssh-rsa BBBB c"}, g.VM.CloudInit.SSHKeys); d != "" {
					t.Errorf("keys: %s", d)
				}
				if g.VM.CloudInit.UserData != "local:snippets/u.yaml" || g.VM.CloudInit.NetworkData != "local:snippets/n.yaml" {
					t.Errorf("cicustom = %+v", g.VM.CloudInit)
				}
				want := NIC{Model: "virtio", MAC: "BC:24:11:00:00:01", Bridge: "vmbr1", VLAN: 5}
				if d := cmp.Diff(want, g.VM.NICs[0]); d != "" {
					t.Errorf("nic: %s", d)
				}
				if len(g.Unmapped) != 1 || g.Unmapped[0].Key != "net0" || g.Unmapped[0].Value != "foo=bar" {
					t.Errorf("unmapped = %+v, want net0 foo=bar", g.Unmapped)
				}
				if len(g.Ignore) != 0 {
					t.Errorf("ignore = %+v, want none", g.Ignore)
				}
			},
		},
		{
			name: "ct pool, lxc lines, trailing newline",
			guest: state.Guest{VMID: 201, Type: "ct", Node: "pve", Pool: "prod", Status: "running", Config: map[string]string{
				"description": "tools\n", "hostname": "app", "memory": "1024", "lxc": "lxc.cgroup2.devices.allow: c 226:0 rwm",
				"mp0": "local-lvm:vm-201-disk-1,mp=/srv,backup=1,size=16G", "rootfs": "local-lvm:vm-201-disk-0,size=8G",
			}},
			check: func(t *testing.T, g Guest) {
				if g.Description != "tools" || g.Name != "app" {
					t.Errorf("description %q name %q", g.Description, g.Name)
				}
				if d := cmp.Diff([]MountPoint{{Volume: "local-lvm:vm-201-disk-1", Path: "/srv", Size: "16G", Backup: true, Replicate: true}}, g.CT.MountPoints); d != "" {
					t.Errorf("mount points: %s", d)
				}
				keys := map[string]bool{}
				for _, u := range g.Unmapped {
					keys[u.Key] = true
				}
				if !keys["lxc"] || !keys["pool"] {
					t.Errorf("unmapped = %+v, want lxc and pool", g.Unmapped)
				}
				if len(g.Ignore) != 5 {
					t.Errorf("ignore = %+v, want the 5 timeouts", g.Ignore)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.check(t, FromState(tt.guest))
		})
	}
}

func FuzzParseProps(f *testing.F) {
	for _, s := range []string{"", "virtio=BC:24:11:2E:C5:4A,bridge=vmbr0", "local-lvm:vm-1-disk-0,size=8G", "a,,b=", "=,=x", "order=scsi0;ide2"} {
		f.Add(s, "file")
	}
	f.Fuzz(func(t *testing.T, s, def string) {
		ps := ParseProps(s, def)
		for _, p := range ps {
			if p.Key == "" && !p.Bare && p.Value == "" && !strings.Contains(s, "=") {
				t.Fatalf("empty item from %q", s)
			}
		}
		// Joining and parsing again is stable.
		again := ParseProps(JoinProps(ps), def)
		if d := cmp.Diff(ps, again); d != "" && !strings.Contains(def, ",") && !strings.Contains(def, "=") {
			t.Fatalf("reparse of %q differs:\n%s", s, d)
		}
		_, _, _ = sizeGiB(s)
		_, _ = decodeKeys(s)
	})
}

// FuzzSplitIndexed: the hand-written key split agrees with idxKeyRE.
func FuzzSplitIndexed(f *testing.F) {
	for _, s := range []string{"net0", "scsi12", "mp", "0", "net0x", "Net0", "ipconfig31", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, k string) {
		m := idxKeyRE.FindStringSubmatch(k)
		p, i, ok := splitIndexed(k)
		if (m != nil) != ok || (ok && (p != m[1] || i != m[2])) {
			t.Fatalf("splitIndexed(%q) = %q %q %v; regexp says %q", k, p, i, ok, m)
		}
	})
}
