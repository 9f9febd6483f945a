package engine

import (
	"strconv"
	"strings"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// Reasons that Findings turns into errors, and that Diff tests for.
const (
	ReasonShrink      = "PVE cannot shrink a disk"
	ReasonDiskRemoved = "disk removed from the guest"
	ReasonVMIDInUse   = "the vmid belongs to a guest of the other kind on the server"
)

// classifier classes the changes of one guest, from the live guest's
// state: running or not, its hotplug option, NUMA.
type classifier struct {
	kind     iac.Kind
	running  bool
	hot      map[string]bool // hotplug features of the live VM
	numa     bool
	hasDisks bool // a replacement destroys disks
}

func newClassifier(want, have *iac.Guest, l *state.Guest) *classifier {
	c := &classifier{kind: want.Kind, running: l.Status == "running", hot: hotplugFeatures(l.Config["hotplug"])}
	switch {
	case have.VM != nil:
		c.numa = have.VM.CPU.NUMA
		c.hasDisks = len(have.VM.Disks) > 0 || have.VM.EFIDisk != nil || have.VM.TPM != nil
	case have.CT != nil:
		c.hasDisks = true // the rootfs
	}
	return c
}

// hotplugFeatures parses the VM `hotplug` option (PVE default
// "network,disk,usb"; "1" = all, "0" = none).
func hotplugFeatures(v string) map[string]bool {
	if v == "" {
		v = "network,disk,usb"
	}
	out := map[string]bool{}
	for _, f := range strings.Split(v, ",") {
		switch f {
		case "1":
			for _, all := range []string{"network", "disk", "usb", "cpu", "memory", "cloudinit"} {
				out[all] = true
			}
		case "0":
		default:
			out[f] = true
		}
	}
	return out
}

// pattern replaces the keys and indexes of list elements with "[]":
// "disk[scsi0].size" → "disk[].size".
func pattern(path string) string {
	if !strings.Contains(path, "[") {
		return path
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(path, '[')
		if i < 0 {
			b.WriteString(path)
			return b.String()
		}
		j := strings.IndexByte(path[i:], ']')
		if j < 0 {
			b.WriteString(path)
			return b.String()
		}
		b.WriteString(path[:i+1])
		b.WriteByte(']')
		path = path[i+j+1:]
	}
}

// classify makes the AttrChange of one attribute; old or new is "" when
// the attribute (or its whole list element) is on one side only.
func (c *classifier) classify(path, old, new string) AttrChange {
	d, forceNew, reason := c.rule(path, old, new)
	if forceNew {
		d = Recreate
		if c.hasDisks {
			d = DataLoss
		}
		reason = "forces replacement: " + reason
	} else if !c.running && d != DataLoss {
		d = None
		if path != "node_name" && path != "started" {
			reason = "applied while the guest is stopped"
		}
	}
	return AttrChange{Path: path, Old: old, New: new, Disruption: d, Reason: reason}
}

// rule returns the disruption for a running guest, whether the provider
// replaces the guest, and why.
func (c *classifier) rule(path, old, new string) (Disruption, bool, string) {
	p := pattern(path)
	elem := elementOf(path)
	added := elem != "" && old == "" && new != ""
	removed := elem != "" && new == "" && old != ""
	switch p {
	case "node_name":
		if c.kind == iac.KindCT {
			if c.running {
				return StopStart, false, "containers migrate in restart mode (stopped, moved, started)"
			}
			return None, false, "offline migration"
		}
		if c.running {
			return Hotplug, false, "online (live) migration; the guest keeps running"
		}
		return None, false, "offline migration"
	case "name", "initialization.hostname", "description", "tags", "pool_id", "protection", "on_boot", "start_on_boot",
		"startup.order", "startup.up_delay", "startup.down_delay", "hotplug", "boot_order":
		return None, false, "configuration only"
	case "template":
		return Recreate, true, "template"
	case "started":
		if new == "false" {
			return StopStart, false, "the guest is stopped"
		}
		return None, false, "the guest is started"
	case "hook_script_file_id":
		if c.kind == iac.KindCT {
			return None, false, "configuration only"
		}
		return Reboot, false, "used at the next start"
	}
	if c.kind == iac.KindCT {
		return c.ctRule(p, path, old, new, added, removed)
	}
	return c.vmRule(p, path, old, new, added, removed)
}

func (c *classifier) vmRule(p, path, old, new string, added, removed bool) (Disruption, bool, string) {
	switch {
	case p == "cpu.cores", p == "cpu.sockets", p == "cpu.hotplugged":
		if c.hot["cpu"] && c.numa {
			return Hotplug, false, "CPU hotplug (hotplug has cpu, NUMA on)"
		}
		return Reboot, false, "needs hotplug=cpu and NUMA to apply live"
	case p == "memory.dedicated":
		if c.hot["memory"] && c.numa {
			return Hotplug, false, "memory hotplug (hotplug has memory, NUMA on)"
		}
		return Reboot, false, "needs hotplug=memory and NUMA to apply live"
	case p == "cpu.limit", p == "cpu.units", p == "memory.floating":
		return Hotplug, false, "applied live"
	case strings.HasPrefix(p, "cpu."), strings.HasPrefix(p, "memory."):
		return Reboot, false, "pending until restart"
	case p == "disk[].size" && !added && !removed:
		o, _ := strconv.Atoi(old)
		n, _ := strconv.Atoi(new)
		if new != "" && old != "" && n < o {
			return DataLoss, false, ReasonShrink
		}
		return Hotplug, false, "online resize"
	case strings.HasPrefix(p, "disk[]."):
		iface := strings.TrimSuffix(strings.TrimPrefix(elementOf(path), "disk["), "]")
		switch {
		case removed:
			return DataLoss, false, ReasonDiskRemoved
		case added:
			if c.hot["disk"] && (strings.HasPrefix(iface, "scsi") || strings.HasPrefix(iface, "virtio")) {
				return Hotplug, false, "disk hotplug"
			}
			return Reboot, false, "only scsi and virtio disks hotplug"
		case p == "disk[].datastore_id":
			return Hotplug, false, "disk moved online (move disk)"
		case p == "disk[].backup", p == "disk[].replicate":
			return None, false, "configuration only"
		}
		return Reboot, false, "drive options are pending until restart"
	case strings.HasPrefix(p, "network_device[]."):
		switch {
		case added || removed || p == "network_device[].model" || p == "network_device[].mac_address" ||
			p == "network_device[].queues" || p == "network_device[].mtu":
			if c.hot["network"] {
				return Hotplug, false, "NIC hotplug"
			}
			return Reboot, false, "network hotplug is off"
		}
		return Hotplug, false, "applied live to the NIC"
	case p == "efi_disk.type":
		return Recreate, true, "efi_disk.type"
	case p == "tablet_device":
		return Hotplug, false, "USB tablet hotplug"
	case strings.HasPrefix(p, "cdrom.") && p == "cdrom.file_id":
		return Hotplug, false, "media change"
	case strings.HasPrefix(p, "initialization."):
		return Reboot, false, "cloud-init runs at the next boot"
	}
	// bios, machine, cpu type, agent, scsi_hardware, operating_system,
	// serial, vga, efi_disk, tpm_state, acpi, kvm_arguments, keyboard.
	return Reboot, false, "pending until restart"
}

func (c *classifier) ctRule(p, path, old, new string, added, removed bool) (Disruption, bool, string) {
	switch {
	case p == "cpu.cores", p == "cpu.limit", p == "cpu.units", p == "memory.dedicated", p == "memory.swap":
		return Hotplug, false, "cgroup limits change live"
	case p == "unprivileged":
		return Recreate, true, "unprivileged"
	case p == "operating_system.type":
		return Recreate, true, "operating_system"
	case p == "disk.datastore_id":
		return Recreate, true, "disk.datastore_id"
	case p == "disk.size":
		o, _ := strconv.Atoi(old)
		n, _ := strconv.Atoi(new)
		if n < o {
			return DataLoss, false, ReasonShrink
		}
		return Hotplug, false, "online resize"
	case strings.HasPrefix(p, "mount_point[]."):
		switch {
		case added || removed:
			return Recreate, true, "mount_point list"
		case p == "mount_point[].volume", p == "mount_point[].size":
			return Recreate, true, strings.TrimPrefix(p, "mount_point[].") + " of a mount point"
		}
		return Reboot, false, "mount points change at restart"
	case strings.HasPrefix(p, "network_interface[]."), strings.HasPrefix(p, "initialization.ip_config[]."):
		return Hotplug, false, "applied live to the container's network"
	case strings.HasPrefix(p, "initialization.dns."):
		return None, false, "resolv.conf updated live"
	}
	// features, arch, console, rootfs options.
	_ = path
	return Reboot, false, "pending until restart"
}
