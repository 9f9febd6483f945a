package iac

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFlatten(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		g    Guest
		want []Attr
	}{
		{
			name: "vm",
			g: Guest{Kind: KindVM, Node: "pve1", VMID: 100, Name: "web", Tags: []string{"a", "b"}, Started: true, Pool: "prod",
				VM: &VM{BIOS: "seabios", CPU: VMCPU{Cores: 2, Sockets: 1, Type: "host"}, Memory: VMMemory{DedicatedMiB: 1024},
					Disks: []Disk{{Interface: "scsi0", Datastore: "local-lvm", SizeGiB: 16, Backup: true}},
					NICs:  []NIC{{Model: "virtio", Bridge: "vmbr0", VLAN: 10}}, Serial: []string{"socket"}}},
			want: []Attr{
				{"node_name", `"pve1"`}, {"name", `"web"`}, {"tags", `["a", "b"]`}, {"pool_id", `"prod"`},
				{"template", "false"}, {"protection", "false"}, {"on_boot", "false"}, {"started", "true"},
				{"bios", `"seabios"`}, {"tablet_device", "false"}, {"acpi", "false"},
				{"cpu.cores", "2"}, {"cpu.sockets", "1"}, {"cpu.type", `"host"`}, {"cpu.numa", "false"},
				{"memory.dedicated", "1024"}, {"memory.floating", "0"}, {"memory.keep_hugepages", "false"},
				{"agent.enabled", "false"}, {"agent.trim", "false"}, {"agent.type", `"virtio"`},
				{"disk[scsi0].interface", `"scsi0"`}, {"disk[scsi0].datastore_id", `"local-lvm"`}, {"disk[scsi0].size", "16"},
				{"disk[scsi0].iothread", "false"}, {"disk[scsi0].ssd", "false"}, {"disk[scsi0].backup", "true"}, {"disk[scsi0].replicate", "false"},
				{"network_device[0].model", `"virtio"`}, {"network_device[0].bridge", `"vmbr0"`}, {"network_device[0].vlan_id", "10"},
				{"network_device[0].firewall", "false"}, {"network_device[0].disconnected", "false"},
				{"serial_device[0].device", `"socket"`},
			},
		},
		{
			name: "ct leaves out the pool",
			g:    Guest{Kind: KindCT, Node: "pve1", Name: "dns", Pool: "prod", CT: &CT{Cores: 1, RootFS: RootFS{Datastore: "local", SizeGiB: 4}, NICs: []CTNIC{{Name: "eth0", IP: IPConfig{IPv4Addr: "dhcp"}}}}},
			want: []Attr{
				{"node_name", `"pve1"`}, {"initialization.hostname", `"dns"`}, {"template", "false"}, {"protection", "false"},
				{"start_on_boot", "false"}, {"started", "false"}, {"unprivileged", "false"}, {"cpu.cores", "1"},
				{"memory.dedicated", "0"}, {"memory.swap", "0"}, {"disk.datastore_id", `"local"`}, {"disk.size", "4"},
				{"disk.acl", "false"}, {"disk.quota", "false"}, {"disk.replicate", "false"},
				{"features.nesting", "false"}, {"features.fuse", "false"}, {"features.keyctl", "false"}, {"features.mknod", "false"},
				{"network_interface[0].name", `"eth0"`}, {"network_interface[0].firewall", "false"}, {"network_interface[0].enabled", "true"},
				{"initialization.ip_config[0].ipv4.address", `"dhcp"`},
				{"console.enabled", "false"}, {"console.tty_count", "0"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if d := cmp.Diff(tt.want, Flatten(tt.g)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestQuote(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"plain":        `"plain"`,
		"a\"b\\c":      `"a\"b\\c"`,
		"line\nnext\t": `"line\nnext\t"`,
		"\x01":         `"\u0001"`,
	} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}
