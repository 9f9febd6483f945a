package iac

import (
	"strconv"
	"strings"
)

// Attr is one attribute of a guest's Terraform resource: its path in the
// provider's attribute terms and its value written as an HCL literal.
//
// Paths: "cpu.cores", "disk[scsi0].size" (disks are keyed by interface),
// "network_device[0].bridge" (index-matched lists), "initialization.
// ip_config[1].ipv4.address". Values: `"vmbr0"`, `4`, `true`,
// `["a", "b"]`. An optional string that is not set is left out.
type Attr struct {
	Path  string
	Value string
}

// Flatten lists the attributes of g in the order the writer writes them.
// Every element of a list block (disk, NIC, mount point, serial device)
// has at least one attribute, so an element's presence is visible. What
// the writer never writes as an attribute is left out: Unmapped, HA,
// Ignore, a container's Pool, the VMID (the match key).
func Flatten(g Guest) []Attr {
	f := flattener{out: make([]Attr, 0, 64)}
	f.str("node_name", g.Node)
	if g.Kind == KindCT {
		f.str("initialization.hostname", g.Name)
	} else {
		f.str("name", g.Name)
	}
	f.str("description", g.Description)
	f.list("tags", g.Tags)
	if g.Kind != KindCT {
		f.str("pool_id", g.Pool)
	}
	f.boolean("template", g.Template)
	f.boolean("protection", g.Protection)
	if g.Kind == KindCT {
		f.boolean("start_on_boot", g.OnBoot)
	} else {
		f.boolean("on_boot", g.OnBoot)
	}
	f.boolean("started", g.Started)
	f.str("hook_script_file_id", g.HookScript)
	if s := g.Startup; s != nil {
		f.intSet("startup.order", s.Order, -1)
		f.intSet("startup.up_delay", s.Up, -1)
		f.intSet("startup.down_delay", s.Down, -1)
	}
	if c := g.Clone; c != nil {
		f.integer("clone.vm_id", c.VMID)
		f.str("clone.node_name", c.Node)
		f.str("clone.datastore_id", c.Datastore)
		f.boolean("clone.full", c.Full)
	}
	switch {
	case g.Kind == KindCT && g.CT != nil:
		f.ct(g.CT)
	case g.VM != nil:
		f.vm(g.VM)
	}
	return f.out
}

type flattener struct {
	out []Attr
}

func (f *flattener) add(path, v string) { f.out = append(f.out, Attr{Path: path, Value: v}) }

// str adds a string; "" is "not set" and left out.
func (f *flattener) str(path, v string) {
	if v != "" {
		f.add(path, Quote(v))
	}
}

func (f *flattener) integer(path string, v int) { f.add(path, strconv.Itoa(v)) }

// intSet adds v unless it is unset (the model's "not set" value).
func (f *flattener) intSet(path string, v, unset int) {
	if v != unset {
		f.integer(path, v)
	}
}

func (f *flattener) float(path string, v float64) {
	if v != 0 {
		f.add(path, strconv.FormatFloat(v, 'f', -1, 64))
	}
}

func (f *flattener) boolean(path string, v bool) { f.add(path, strconv.FormatBool(v)) }

func (f *flattener) list(path string, vs []string) {
	if len(vs) == 0 {
		return
	}
	var b strings.Builder
	b.WriteByte('[')
	for i, v := range vs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(Quote(v))
	}
	b.WriteByte(']')
	f.add(path, b.String())
}

// Quote writes s as an HCL string literal.
func Quote(s string) string {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c == 0x7f {
			plain = false
			break
		}
	}
	if plain {
		return `"` + s + `"`
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 {
				b.WriteString(`\u00`)
				b.WriteString(strconv.FormatInt(int64(r)>>4, 16))
				b.WriteString(strconv.FormatInt(int64(r)&15, 16))
				continue
			}
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func (f *flattener) vm(vm *VM) {
	f.str("bios", vm.BIOS)
	f.str("machine", vm.Machine)
	f.str("scsi_hardware", vm.SCSIHardware)
	f.str("operating_system.type", vm.OSType)
	f.boolean("tablet_device", vm.Tablet)
	f.boolean("acpi", vm.ACPI)
	f.str("hotplug", vm.Hotplug)
	f.str("kvm_arguments", vm.KVMArgs)
	f.str("keyboard_layout", vm.Keyboard)
	f.list("boot_order", vm.BootOrder)

	c := vm.CPU
	f.integer("cpu.cores", c.Cores)
	f.integer("cpu.sockets", c.Sockets)
	f.str("cpu.type", c.Type)
	f.list("cpu.flags", c.Flags)
	f.float("cpu.limit", c.Limit)
	f.intSet("cpu.units", c.Units, 0)
	f.boolean("cpu.numa", c.NUMA)
	f.str("cpu.affinity", c.Affinity)
	f.intSet("cpu.hotplugged", c.VCPUs, 0)

	m := vm.Memory
	f.integer("memory.dedicated", m.DedicatedMiB)
	f.integer("memory.floating", m.FloatingMiB)
	f.intSet("memory.shared", m.Shares, 0)
	f.str("memory.hugepages", m.Hugepages)
	f.boolean("memory.keep_hugepages", m.KeepHugepages)

	// A missing agent block reads as the provider's defaults.
	a := Agent{Type: "virtio"}
	if vm.Agent != nil {
		a = *vm.Agent
	}
	f.boolean("agent.enabled", a.Enabled)
	f.boolean("agent.trim", a.Trim)
	f.str("agent.type", a.Type)

	for _, d := range vm.Disks {
		p := "disk[" + d.Interface + "]."
		f.str(p+"interface", d.Interface)
		f.str(p+"datastore_id", d.Datastore)
		f.intSet(p+"size", d.SizeGiB, 0)
		f.str(p+"file_format", d.Format)
		f.str(p+"cache", d.Cache)
		f.str(p+"discard", d.Discard)
		f.str(p+"aio", d.AIO)
		f.str(p+"serial", d.Serial)
		f.boolean(p+"iothread", d.IOThread)
		f.boolean(p+"ssd", d.SSD)
		f.boolean(p+"backup", d.Backup)
		f.boolean(p+"replicate", d.Replicate)
	}
	if e := vm.EFIDisk; e != nil {
		f.str("efi_disk.datastore_id", e.Datastore)
		f.str("efi_disk.type", e.Type)
		f.boolean("efi_disk.pre_enrolled_keys", e.PreEnrolledKeys)
	}
	if t := vm.TPM; t != nil {
		f.str("tpm_state.datastore_id", t.Datastore)
		f.str("tpm_state.version", t.Version)
	}
	if cd := vm.CDROM; cd != nil {
		f.str("cdrom.interface", cd.Interface)
		f.add("cdrom.file_id", Quote(cd.FileID))
	}
	for i, n := range vm.NICs {
		p := "network_device[" + strconv.Itoa(i) + "]."
		f.str(p+"model", n.Model)
		f.str(p+"bridge", n.Bridge)
		f.str(p+"mac_address", n.MAC)
		f.intSet(p+"vlan_id", n.VLAN, 0)
		f.boolean(p+"firewall", n.Firewall)
		f.boolean(p+"disconnected", n.LinkDown)
		f.intSet(p+"mtu", n.MTU, 0)
		f.intSet(p+"queues", n.Queues, 0)
		f.float(p+"rate_limit", n.Rate)
		f.str(p+"trunks", n.Trunks)
	}
	if ci := vm.CloudInit; ci != nil {
		f.str("initialization.datastore_id", ci.Datastore)
		f.str("initialization.interface", ci.Interface)
		f.str("initialization.type", ci.Type)
		if ci.Upgrade != nil {
			f.boolean("initialization.upgrade", *ci.Upgrade)
		}
		f.str("initialization.dns.domain", ci.DNSDomain)
		f.list("initialization.dns.servers", ci.DNSServers)
		f.ipConfigs("initialization.ip_config", ci.IPConfigs)
		f.str("initialization.user_account.username", ci.User)
		f.list("initialization.user_account.keys", ci.SSHKeys)
		f.str("initialization.user_data_file_id", ci.UserData)
		f.str("initialization.network_data_file_id", ci.NetworkData)
		f.str("initialization.meta_data_file_id", ci.MetaData)
		f.str("initialization.vendor_data_file_id", ci.VendorData)
	}
	for i, s := range vm.Serial {
		f.add("serial_device["+strconv.Itoa(i)+"].device", Quote(s))
	}
	if v := vm.VGA; v != nil {
		f.str("vga.type", v.Type)
		f.intSet("vga.memory", v.MemoryMiB, 0)
		f.str("vga.clipboard", v.Clipboard)
	}
}

func (f *flattener) ipConfigs(prefix string, ips []IPConfig) {
	for i, ip := range ips {
		p := prefix + "[" + strconv.Itoa(i) + "]."
		f.str(p+"ipv4.address", ip.IPv4Addr)
		f.str(p+"ipv4.gateway", ip.IPv4GW)
		f.str(p+"ipv6.address", ip.IPv6Addr)
		f.str(p+"ipv6.gateway", ip.IPv6GW)
	}
}

func (f *flattener) ct(ct *CT) {
	f.boolean("unprivileged", ct.Unprivileged)
	f.str("operating_system.type", ct.OSType)
	f.str("cpu.architecture", ct.Arch)
	f.integer("cpu.cores", ct.Cores)
	f.float("cpu.limit", ct.Limit)
	f.intSet("cpu.units", ct.Units, 0)
	f.integer("memory.dedicated", ct.MemoryMiB)
	f.integer("memory.swap", ct.SwapMiB)
	r := ct.RootFS
	f.str("disk.datastore_id", r.Datastore)
	f.integer("disk.size", r.SizeGiB)
	f.list("disk.mount_options", r.MountOptions)
	f.boolean("disk.acl", r.ACL)
	f.boolean("disk.quota", r.Quota)
	f.boolean("disk.replicate", r.Replicate)
	for i, m := range ct.MountPoints {
		p := "mount_point[" + strconv.Itoa(i) + "]."
		f.add(p+"volume", Quote(m.Volume))
		f.str(p+"path", m.Path)
		f.str(p+"size", m.Size)
		f.boolean(p+"read_only", m.ReadOnly)
		f.boolean(p+"backup", m.Backup)
		f.boolean(p+"acl", m.ACL)
		f.boolean(p+"quota", m.Quota)
		f.boolean(p+"shared", m.Shared)
		f.boolean(p+"replicate", m.Replicate)
		f.list(p+"mount_options", m.MountOptions)
	}
	feat := Features{}
	if ct.Features != nil {
		feat = *ct.Features
	}
	f.boolean("features.nesting", feat.Nesting)
	f.boolean("features.fuse", feat.FUSE)
	f.boolean("features.keyctl", feat.Keyctl)
	f.boolean("features.mknod", feat.Mknod)
	f.list("features.mount", feat.Mount)
	for i, n := range ct.NICs {
		p := "network_interface[" + strconv.Itoa(i) + "]."
		f.str(p+"name", n.Name)
		f.str(p+"bridge", n.Bridge)
		f.str(p+"mac_address", n.MAC)
		f.intSet(p+"vlan_id", n.VLAN, 0)
		f.boolean(p+"firewall", n.Firewall)
		f.boolean(p+"enabled", !n.LinkDown)
		f.intSet(p+"mtu", n.MTU, 0)
		f.float(p+"rate_limit", n.Rate)
	}
	ips := make([]IPConfig, 0, len(ct.NICs))
	for _, n := range ct.NICs {
		ips = append(ips, n.IP)
	}
	f.str("initialization.dns.domain", ct.DNSDomain)
	f.list("initialization.dns.servers", ct.DNSServers)
	f.ipConfigs("initialization.ip_config", ips)
	f.boolean("console.enabled", ct.Console.Enabled)
	f.str("console.type", ct.Console.Mode)
	f.integer("console.tty_count", ct.Console.TTYCount)
}
