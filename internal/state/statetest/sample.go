// Package statetest is the conformance suite every state.Store backend
// passes (the tofu TestFull pattern), plus deterministic sample data that
// backend tests and benchmarks reuse.
package statetest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// Epoch returns the suite's reference time. It carries nanoseconds on
// purpose: backends must keep at least microseconds.
func Epoch() time.Time { return time.Date(2026, time.March, 14, 9, 26, 53, 589793238, time.UTC) }

// SampleInventory returns a deterministic inventory with n guests spread
// over up to 20 nodes, each guest with a realistic full configuration, and
// storages, networks, volumes and snapshots to match. Equal n gives equal
// inventories. The guests' FirstSeen, LastSeen and RemovedAt are zero:
// the store sets them.
func SampleInventory(n int) state.Inventory {
	nodes := min(max((n+49)/50, 1), 20)
	inv := state.Inventory{
		Cluster: state.Cluster{
			Endpoint:    "https://pve1.lab.example:8006",
			Name:        "homelab",
			Version:     "9.1.2",
			Fingerprint: "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89",
		},
	}
	for i := range nodes {
		name := fmt.Sprintf("pve%d", i+1)
		inv.Nodes = append(inv.Nodes, state.Node{
			Name:            name,
			Status:          "online",
			CPUs:            16 + 8*(i%3),
			CPUUsage:        0.0625 * float64(i%7),
			MemoryBytes:     int64(64+32*(i%2)) << 30,
			MemoryUsedBytes: int64(20+i) << 30,
			DiskBytes:       int64(1) << 40,
			DiskUsedBytes:   int64(200+i) << 30,
			UptimeSeconds:   int64(86400*(i+3) + 17),
			SSLFingerprint:  fmt.Sprintf("11:22:33:44:%02X", i),
		})
		inv.Storages = append(inv.Storages,
			state.Storage{Node: name, Name: "local", Type: "dir", Content: []string{"iso", "vztmpl", "backup"}, Status: "available", UsedBytes: int64(10+i) << 30, TotalBytes: int64(100) << 30},
			state.Storage{Node: name, Name: "local-lvm", Type: "lvmthin", Content: []string{"images", "rootdir"}, Status: "available", UsedBytes: int64(300+i) << 30, TotalBytes: int64(900) << 30},
			state.Storage{Node: name, Name: "nfs-iso", Type: "nfs", Content: []string{"iso"}, Shared: true, Status: "available", UsedBytes: int64(50) << 30, TotalBytes: int64(2) << 40},
		)
		inv.Networks = append(inv.Networks,
			state.Network{Node: name, Name: "eno1", Type: "eth", Active: true},
			state.Network{Node: name, Name: "vmbr0", Type: "bridge", CIDR: fmt.Sprintf("192.168.1.%d/24", 10+i), Gateway: "192.168.1.1", Ports: "eno1", Active: true},
			state.Network{Node: name, Name: "vmbr1", Type: "bridge", Ports: "eno2", VLANAware: true, Active: i%2 == 0},
		)
		inv.Volumes = append(inv.Volumes, state.Volume{
			Node: name, Storage: "local", Volid: "local:vztmpl/debian-13-standard_13.1-1_amd64.tar.zst", Content: "vztmpl", SizeBytes: 126 << 20,
		})
	}
	inv.Volumes = append(inv.Volumes,
		state.Volume{Storage: "nfs-iso", Volid: "nfs-iso:iso/debian-13.1.0-amd64-netinst.iso", Content: "iso", SizeBytes: 754 << 20},
		state.Volume{Storage: "nfs-iso", Volid: "nfs-iso:iso/ubuntu-24.04.3-live-server-amd64.iso", Content: "iso", SizeBytes: 3 << 30},
	)
	for i := range n {
		g := sampleGuest(i, nodes)
		inv.Guests = append(inv.Guests, g)
		if i%10 == 3 {
			t1 := Epoch().Add(-time.Duration(i+48) * time.Hour)
			t2 := t1.Add(20 * time.Hour)
			inv.Snapshots = append(inv.Snapshots,
				state.Snapshot{VMID: g.VMID, Name: "before-upgrade", Description: "apt full-upgrade\nsecond line", Time: &t1, VMState: g.Type == state.TypeVM},
				state.Snapshot{VMID: g.VMID, Name: "after-upgrade", Parent: "before-upgrade", Time: &t2},
			)
		}
	}
	return inv
}

func sampleGuest(i, nodes int) state.Guest {
	vmid := 100 + i
	node := fmt.Sprintf("pve%d", i%nodes+1)
	running := i%3 != 2
	g := state.Guest{
		VMID:        vmid,
		Type:        state.TypeVM,
		Node:        node,
		Name:        fmt.Sprintf("vm-%05d", vmid),
		Status:      "stopped",
		CPUs:        float64(1 + i%8),
		MemoryBytes: int64(1+i%16) << 30,
		DiskBytes:   int64(8+i%64) << 30,
	}
	if i%4 == 1 {
		g.Type = state.TypeCT
		g.Name = fmt.Sprintf("ct-%05d", vmid)
	}
	if running {
		g.Status = "running"
		g.UptimeSeconds = int64(3600*i + 42)
		g.MemoryUsedBytes = g.MemoryBytes / 3
	}
	switch i % 5 {
	case 0:
		g.Tags = []string{"prod", "web"}
	case 1:
		g.Tags = []string{"lab"}
	}
	if i%7 == 0 {
		g.Pool = "production"
	}
	if i%50 == 49 {
		g.Template = true
		g.Status = "stopped"
		g.UptimeSeconds, g.MemoryUsedBytes = 0, 0
	}
	if i%11 == 0 {
		g.HAState = "started"
	}
	if i%97 == 5 {
		g.Lock = "backup"
	}
	if g.Type == state.TypeVM && running && i%2 == 0 {
		g.AgentIPs = []string{fmt.Sprintf("10.%d.%d.%d", i/65536%256, i/256%256, i%256), fmt.Sprintf("fd00::%x", i)}
	}
	g.Config = sampleConfig(g, i)
	sum := sha256.Sum256(fmt.Appendf(nil, "%d/%v", vmid, g.Config))
	g.Digest = hex.EncodeToString(sum[:20]) // 40 hex digits, the shape of PVE's SHA-1 digest
	return g
}

func sampleConfig(g state.Guest, i int) map[string]string {
	mac := fmt.Sprintf("BC:24:11:%02X:%02X:%02X", i>>16&0xff, i>>8&0xff, i&0xff)
	if g.Type == state.TypeCT {
		return map[string]string{
			"arch":         "amd64",
			"cores":        fmt.Sprint(int(g.CPUs)),
			"memory":       fmt.Sprint(g.MemoryBytes >> 20),
			"swap":         "512",
			"hostname":     g.Name,
			"ostype":       "debian",
			"rootfs":       fmt.Sprintf("local-lvm:vm-%d-disk-0,size=%dG", g.VMID, g.DiskBytes>>30),
			"net0":         fmt.Sprintf("name=eth0,bridge=vmbr0,hwaddr=%s,ip=dhcp,type=veth", mac),
			"unprivileged": "1",
			"features":     "nesting=1,keyctl=1",
			"onboot":       fmt.Sprint(i % 2),
			"description":  fmt.Sprintf("container %d — managed by \"proxmox-mpc\"\n", g.VMID),
			"tags":         "",
			"digest":       "ignored-by-store",
		}
	}
	return map[string]string{
		"name":        g.Name,
		"cores":       fmt.Sprint(int(g.CPUs)),
		"sockets":     "1",
		"memory":      fmt.Sprint(g.MemoryBytes >> 20),
		"balloon":     "0",
		"cpu":         "x86-64-v2-AES",
		"ostype":      "l26",
		"machine":     "q35",
		"bios":        "ovmf",
		"boot":        "order=scsi0;ide2;net0",
		"scsihw":      "virtio-scsi-single",
		"scsi0":       fmt.Sprintf("local-lvm:vm-%d-disk-1,iothread=1,size=%dG,ssd=1", g.VMID, g.DiskBytes>>30),
		"efidisk0":    fmt.Sprintf("local-lvm:vm-%d-disk-0,efitype=4m,pre-enrolled-keys=1,size=4M", g.VMID),
		"ide2":        "none,media=cdrom",
		"net0":        fmt.Sprintf("virtio=%s,bridge=vmbr0,firewall=1,tag=%d", mac, 10+i%4),
		"agent":       "enabled=1,fstrim_cloned_disks=1",
		"onboot":      fmt.Sprint(i % 2),
		"numa":        "0",
		"smbios1":     fmt.Sprintf("uuid=%08x-0000-4000-8000-%012x", i, i),
		"vmgenid":     fmt.Sprintf("%08x-1111-4222-8333-%012x", i, i*7),
		"meta":        "creation-qemu=9.2.0,ctime=1760000000",
		"ciuser":      "admin",
		"ipconfig0":   "ip=dhcp,ip6=auto",
		"sshkeys":     "ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAAIexample%20admin%40lab",
		"description": fmt.Sprintf("# %s\nowner: ops — ünïcode, \"quotes\", commas,;", g.Name),
	}
}
