package native

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
)

// This file is the inverse of iac.FromState: it renders the config keys of
// a desired guest model in PVE's syntax. New volumes use the allocation
// syntax "STORAGE:SIZE"; volumes that exist (live, same interface, same
// storage) keep their volume id and size, so that an update does not
// re-allocate them.

// rendered is a guest's desired config as PVE keys.
type rendered struct {
	conf map[string]string
	// alloc names the disk keys whose value allocates a new volume, with
	// the size in GiB (0 for EFI/TPM/cloud-init volumes).
	alloc map[string]int
}

func (r *rendered) set(k, v string) { r.conf[k] = v }

func (r *rendered) setNonEmpty(k, v string) {
	if v != "" {
		r.conf[k] = v
	}
}

func (r *rendered) setFlag(k string, on bool) {
	if on {
		r.conf[k] = "1"
	}
}

func (r *rendered) setInt(k string, n int) {
	if n != 0 {
		r.conf[k] = strconv.Itoa(n)
	}
}

func (r *rendered) setFloat(k string, f float64) {
	if f != 0 {
		r.conf[k] = formatFloat(f)
	}
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// props builds a property string from ordered items, skipping empty ones.
type props []string

func (p *props) add(k, v string) {
	if v != "" {
		*p = append(*p, k+"="+v)
	}
}

func (p *props) flag(k string, on bool) {
	if on {
		*p = append(*p, k+"=1")
	}
}

func (p *props) off(k string, on bool) {
	if !on {
		*p = append(*p, k+"=0")
	}
}

func (p *props) num(k string, n int) {
	if n != 0 {
		*p = append(*p, k+"="+strconv.Itoa(n))
	}
}

func (p props) String() string { return strings.Join(p, ",") }

// renderConfig renders the desired guest. live is the current config of
// the guest (nil for a new one), used to keep existing volumes.
func renderConfig(g *iac.Guest, live map[string]string) (*rendered, error) {
	r := &rendered{conf: map[string]string{}, alloc: map[string]int{}}
	r.setNonEmpty("description", g.Description)
	if len(g.Tags) > 0 {
		r.set("tags", strings.Join(g.Tags, ";"))
	}
	r.setFlag("protection", g.Protection)
	r.setFlag("onboot", g.OnBoot)
	r.setNonEmpty("hookscript", g.HookScript)
	if s := g.Startup; s != nil {
		var p props
		for _, f := range []struct {
			k string
			v int
		}{{"order", s.Order}, {"up", s.Up}, {"down", s.Down}} {
			if f.v >= 0 {
				p = append(p, f.k+"="+strconv.Itoa(f.v))
			}
		}
		r.setNonEmpty("startup", p.String())
	}
	switch g.Kind {
	case iac.KindVM:
		if g.VM == nil {
			return nil, fmt.Errorf("vm %d: the model has no vm part", g.VMID)
		}
		r.setNonEmpty("name", g.Name)
		if err := renderVM(r, g, live); err != nil {
			return nil, err
		}
	case iac.KindCT:
		if g.CT == nil {
			return nil, fmt.Errorf("ct %d: the model has no container part", g.VMID)
		}
		r.setNonEmpty("hostname", g.Name)
		if err := renderCT(r, g, live); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("guest %d: unknown kind %q", g.VMID, g.Kind)
	}
	return r, nil
}

func renderVM(r *rendered, g *iac.Guest, live map[string]string) error {
	vm := g.VM
	if vm.BIOS != "" && vm.BIOS != "seabios" {
		r.set("bios", vm.BIOS)
	}
	r.setNonEmpty("machine", vm.Machine)
	r.setNonEmpty("hotplug", vm.Hotplug)
	r.setNonEmpty("args", vm.KVMArgs)
	r.setNonEmpty("keyboard", vm.Keyboard)
	r.setNonEmpty("scsihw", vm.SCSIHardware)
	r.setNonEmpty("ostype", vm.OSType)
	if !vm.Tablet {
		r.set("tablet", "0")
	}
	if !vm.ACPI {
		r.set("acpi", "0")
	}
	if len(vm.BootOrder) > 0 {
		r.set("boot", "order="+strings.Join(vm.BootOrder, ";"))
	}
	// CPU
	r.set("cores", strconv.Itoa(vm.CPU.Cores))
	r.set("sockets", strconv.Itoa(vm.CPU.Sockets))
	if (vm.CPU.Type != "" && vm.CPU.Type != "qemu64") || len(vm.CPU.Flags) > 0 {
		t := vm.CPU.Type
		if t == "" {
			t = "qemu64"
		}
		if len(vm.CPU.Flags) > 0 {
			t += ",flags=" + strings.Join(vm.CPU.Flags, ";")
		}
		r.set("cpu", t)
	}
	r.setFlag("numa", vm.CPU.NUMA)
	r.setFloat("cpulimit", vm.CPU.Limit)
	r.setInt("cpuunits", vm.CPU.Units)
	r.setInt("vcpus", vm.CPU.VCPUs)
	r.setNonEmpty("affinity", vm.CPU.Affinity)
	// memory
	r.setInt("memory", vm.Memory.DedicatedMiB)
	r.setInt("balloon", vm.Memory.FloatingMiB)
	r.setInt("shares", vm.Memory.Shares)
	r.setNonEmpty("hugepages", vm.Memory.Hugepages)
	r.setFlag("keephugepages", vm.Memory.KeepHugepages)
	if a := vm.Agent; a != nil {
		p := props{"enabled=" + boolNum(a.Enabled)}
		p.flag("fstrim_cloned_disks", a.Trim)
		if a.Type != "" && a.Type != "virtio" {
			p.add("type", a.Type)
		}
		r.set("agent", p.String())
	}
	for _, d := range vm.Disks {
		if err := renderDisk(r, g.VMID, d, live); err != nil {
			return err
		}
	}
	if e := vm.EFIDisk; e != nil {
		typ := e.Type
		if typ == "" {
			typ = "2m"
		}
		p := props{}
		p.add("efitype", typ)
		p.flag("pre-enrolled-keys", e.PreEnrolledKeys)
		r.set("efidisk0", keepOrAlloc(r, "efidisk0", e.Datastore, "1", p, live))
	}
	if t := vm.TPM; t != nil {
		p := props{}
		p.add("version", t.Version)
		r.set("tpmstate0", keepOrAlloc(r, "tpmstate0", t.Datastore, "1", p, live))
	}
	if c := vm.CDROM; c != nil {
		iface := c.Interface
		if iface == "" {
			iface = "ide3"
		}
		r.set(iface, c.FileID+",media=cdrom")
	}
	for i, n := range vm.NICs {
		if n.Model == "" {
			return &UnsupportedError{Target: target(g.Kind, g.VMID), Attr: "network_device[" + strconv.Itoa(i) + "]", Why: "a network device needs a model (virtio, e1000, ...)"}
		}
		first := n.Model
		if n.MAC != "" {
			first += "=" + n.MAC
		}
		p := props{first}
		p.add("bridge", n.Bridge)
		p.flag("firewall", n.Firewall)
		p.flag("link_down", n.LinkDown)
		p.num("tag", n.VLAN)
		p.num("mtu", n.MTU)
		p.num("queues", n.Queues)
		if n.Rate != 0 {
			p.add("rate", formatFloat(n.Rate))
		}
		p.add("trunks", n.Trunks)
		p = append(p, unmodeled(live["net"+strconv.Itoa(i)], "model", nicOptions)...)
		r.set("net"+strconv.Itoa(i), p.String())
	}
	if ci := vm.CloudInit; ci != nil {
		renderCloudInit(r, ci, live)
	}
	for i, s := range vm.Serial {
		if s != "" {
			r.set("serial"+strconv.Itoa(i), s)
		}
	}
	if v := vm.VGA; v != nil {
		var p props
		if v.Type != "" {
			p = append(p, v.Type)
		}
		p.num("memory", v.MemoryMiB)
		p.add("clipboard", v.Clipboard)
		r.setNonEmpty("vga", p.String())
	}
	return nil
}

func boolNum(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// keepOrAlloc returns the value of a volume key: the live volume when the
// live key is on the same storage, else an allocation on datastore.
func keepOrAlloc(r *rendered, key, datastore, allocSize string, opts props, live map[string]string) string {
	if datastore == "" {
		datastore = "local-lvm"
	}
	if vol, size, ok := liveVolume(live, key, datastore); ok {
		out := append(props{vol}, opts...)
		out.add("size", size)
		return out.String()
	}
	r.alloc[key] = 0
	return append(props{datastore + ":" + allocSize}, opts...).String()
}

// liveVolume returns the volume id and size of live[key] when it is a
// volume on datastore.
func liveVolume(live map[string]string, key, datastore string) (vol, size string, ok bool) {
	v, has := live[key]
	if !has {
		return "", "", false
	}
	items := iac.ParseProps(v, "file")
	if len(items) == 0 {
		return "", "", false
	}
	vol = items[0].Value
	if ds, _, _ := strings.Cut(vol, ":"); ds != datastore || !strings.Contains(vol, ":") {
		return "", "", false
	}
	for _, it := range items[1:] {
		if it.Key == "size" {
			size = it.Value
		}
	}
	return vol, size, true
}

func renderDisk(r *rendered, vmid int, d iac.Disk, live map[string]string) error {
	if d.Interface == "" {
		return fmt.Errorf("vm %d: a disk without an interface", vmid)
	}
	ds := d.Datastore
	if ds == "" {
		ds = "local-lvm"
	}
	var p props
	p.add("format", d.Format)
	if d.Cache != "" && d.Cache != "none" {
		p.add("cache", d.Cache)
	}
	if d.Discard != "" && d.Discard != "ignore" {
		p.add("discard", d.Discard)
	}
	if d.AIO != "" && d.AIO != "io_uring" {
		p.add("aio", d.AIO)
	}
	p.add("serial", d.Serial)
	p.flag("iothread", d.IOThread)
	p.flag("ssd", d.SSD)
	p.off("backup", d.Backup)
	p.off("replicate", d.Replicate)
	if vol, size, ok := liveVolume(live, d.Interface, ds); ok && !strings.Contains(live[d.Interface], "media=cdrom") {
		out := append(props{vol}, p...)
		out.add("size", size)
		out = append(out, unmodeled(live[d.Interface], "file", diskOptions)...)
		r.set(d.Interface, out.String())
		return nil
	}
	if d.SizeGiB <= 0 {
		return fmt.Errorf("vm %d: disk %s: a new disk needs a size of at least 1 GiB", vmid, d.Interface)
	}
	r.alloc[d.Interface] = d.SizeGiB
	r.set(d.Interface, append(props{ds + ":" + strconv.Itoa(d.SizeGiB)}, p...).String())
	return nil
}

func renderCloudInit(r *rendered, ci *iac.CloudInit, live map[string]string) {
	if ci.Interface != "" {
		ds := ci.Datastore
		if ds == "" {
			ds = "local-lvm"
		}
		if v, ok := live[ci.Interface]; ok && strings.Contains(v, "cloudinit") && strings.HasPrefix(v, ds+":") {
			r.set(ci.Interface, v)
		} else {
			r.alloc[ci.Interface] = 0
			r.set(ci.Interface, ds+":cloudinit,media=cdrom")
		}
	}
	r.setNonEmpty("citype", ci.Type)
	if ci.Upgrade != nil {
		r.set("ciupgrade", boolNum(*ci.Upgrade))
	}
	r.setNonEmpty("ciuser", ci.User)
	if len(ci.SSHKeys) > 0 {
		r.set("sshkeys", EncodeSSHKeys(ci.SSHKeys))
	}
	if len(ci.DNSServers) > 0 {
		r.set("nameserver", strings.Join(ci.DNSServers, " "))
	}
	r.setNonEmpty("searchdomain", ci.DNSDomain)
	var cc props
	cc.add("user", ci.UserData)
	cc.add("network", ci.NetworkData)
	cc.add("meta", ci.MetaData)
	cc.add("vendor", ci.VendorData)
	r.setNonEmpty("cicustom", cc.String())
	for i, ip := range ci.IPConfigs {
		var p props
		addIP(&p, ip)
		r.setNonEmpty("ipconfig"+strconv.Itoa(i), p.String())
	}
}

func addIP(p *props, ip iac.IPConfig) {
	p.add("ip", ip.IPv4Addr)
	p.add("gw", ip.IPv4GW)
	p.add("ip6", ip.IPv6Addr)
	p.add("gw6", ip.IPv6GW)
}

// EncodeSSHKeys encodes public keys, one a line, as PVE stores `sshkeys`:
// URL-encoded with spaces as %20 (never '+').
func EncodeSSHKeys(keys []string) string {
	return strings.ReplaceAll(url.QueryEscape(strings.Join(keys, "\n")+"\n"), "+", "%20")
}

func renderCT(r *rendered, g *iac.Guest, live map[string]string) error {
	ct := g.CT
	r.setFlag("unprivileged", ct.Unprivileged)
	r.setNonEmpty("ostype", ct.OSType)
	if ct.Arch != "" && ct.Arch != "amd64" {
		r.set("arch", ct.Arch)
	}
	r.set("cores", strconv.Itoa(ct.Cores))
	r.setFloat("cpulimit", ct.Limit)
	r.setInt("cpuunits", ct.Units)
	r.setInt("memory", ct.MemoryMiB)
	r.setInt("swap", ct.SwapMiB)
	if !ct.Console.Enabled {
		r.set("console", "0")
	}
	if ct.Console.Mode != "" && ct.Console.Mode != "tty" {
		r.set("cmode", ct.Console.Mode)
	}
	if ct.Console.TTYCount != 2 {
		r.set("tty", strconv.Itoa(ct.Console.TTYCount))
	}
	if len(ct.DNSServers) > 0 {
		r.set("nameserver", strings.Join(ct.DNSServers, " "))
	}
	r.setNonEmpty("searchdomain", ct.DNSDomain)
	// root disk
	rf := ct.RootFS
	var rp props
	if len(rf.MountOptions) > 0 {
		rp.add("mountoptions", strings.Join(rf.MountOptions, ";"))
	}
	rp.flag("acl", rf.ACL)
	rp.flag("quota", rf.Quota)
	rp.off("replicate", rf.Replicate)
	ds := rf.Datastore
	if ds == "" {
		ds = "local"
	}
	if vol, size, ok := liveVolume(live, "rootfs", ds); ok {
		out := append(props{vol}, rp...)
		out.add("size", size)
		r.set("rootfs", out.String())
	} else {
		size := rf.SizeGiB
		if size <= 0 {
			size = 4
		}
		r.alloc["rootfs"] = size
		r.set("rootfs", append(props{ds + ":" + strconv.Itoa(size)}, rp...).String())
	}
	for i, mp := range ct.MountPoints {
		if mp.Volume == "" && mp.Path == "" {
			continue // a gap
		}
		key := "mp" + strconv.Itoa(i)
		v, err := mountPointValue(r, g.VMID, key, mp, live)
		if err != nil {
			return err
		}
		r.set(key, v)
	}
	if f := ct.Features; f != nil {
		var p props
		p.flag("nesting", f.Nesting)
		p.flag("fuse", f.FUSE)
		p.flag("keyctl", f.Keyctl)
		p.flag("mknod", f.Mknod)
		if len(f.Mount) > 0 {
			p.add("mount", strings.Join(f.Mount, ";"))
		}
		if len(p) == 0 {
			p = props{"nesting=0"}
		}
		r.set("features", p.String())
	}
	for i, n := range ct.NICs {
		if n.Name == "" {
			return &UnsupportedError{Target: target(g.Kind, g.VMID), Attr: "network_interface[" + strconv.Itoa(i) + "]", Why: "a network interface needs a name (eth0, ...)"}
		}
		p := props{"name=" + n.Name}
		p.add("bridge", n.Bridge)
		p.add("hwaddr", n.MAC)
		p.flag("firewall", n.Firewall)
		p.flag("link_down", n.LinkDown)
		p.num("tag", n.VLAN)
		p.num("mtu", n.MTU)
		if n.Rate != 0 {
			p.add("rate", formatFloat(n.Rate))
		}
		addIP(&p, n.IP)
		p.add("type", "veth")
		r.set("net"+strconv.Itoa(i), p.String())
	}
	return nil
}

func mountPointValue(r *rendered, vmid int, key string, mp iac.MountPoint, live map[string]string) (string, error) {
	var p props
	p.add("mp", mp.Path)
	p.flag("ro", mp.ReadOnly)
	p.flag("backup", mp.Backup)
	p.flag("acl", mp.ACL)
	p.flag("quota", mp.Quota)
	p.flag("shared", mp.Shared)
	p.off("replicate", mp.Replicate)
	if len(mp.MountOptions) > 0 {
		p.add("mountoptions", strings.Join(mp.MountOptions, ";"))
	}
	switch {
	case strings.HasPrefix(mp.Volume, "/"): // bind mount
		out := append(props{mp.Volume}, p...)
		out.add("size", mp.Size)
		return out.String(), nil
	case strings.Contains(mp.Volume, ":"): // an existing volume id
		if lv, ok := live[key]; ok {
			if items := iac.ParseProps(lv, "volume"); len(items) > 0 && items[0].Value == mp.Volume {
				out := append(props{mp.Volume}, p...)
				out.add("size", mp.Size)
				return out.String(), nil
			}
		}
		return "", &UnsupportedError{Target: fmt.Sprintf("ct/%d", vmid), Attr: key, Why: "the mount point names the volume " + mp.Volume + ", which is not the one mounted there; set volume to a storage id and size to allocate a new one"}
	}
	// a storage id: keep the live volume on it, or allocate
	if vol, size, ok := liveVolume(live, key, mp.Volume); ok {
		out := append(props{vol}, p...)
		out.add("size", size)
		return out.String(), nil
	}
	gib, ok := parseGiB(mp.Size)
	if !ok || gib <= 0 {
		return "", &UnsupportedError{Target: fmt.Sprintf("ct/%d", vmid), Attr: key, Why: fmt.Sprintf("a new mount point needs a size in whole GiB (like 16G), got %q", mp.Size)}
	}
	r.alloc[key] = gib
	return append(props{mp.Volume + ":" + strconv.Itoa(gib)}, p...).String(), nil
}

// parseGiB parses a whole-GiB size: "16G", "1T", "16" (GiB); ok is false
// for anything else, including sizes that are not whole GiB.
func parseGiB(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	mult := 1
	num := s
	switch s[len(s)-1] {
	case 'G', 'g':
		num = s[:len(s)-1]
	case 'T', 't':
		mult, num = 1024, s[:len(s)-1]
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || n > 1<<40/mult {
		return 0, false
	}
	return n * mult, true
}

// Options of disks and NICs that the model represents; other options of a
// live value are kept as they are when the key is rewritten.
var (
	diskOptions = map[string]bool{"file": true, "format": true, "cache": true, "discard": true, "aio": true, "serial": true,
		"iothread": true, "ssd": true, "backup": true, "replicate": true, "size": true, "media": true}
	nicOptions = map[string]bool{"model": true, "macaddr": true, "bridge": true, "firewall": true, "link_down": true,
		"tag": true, "mtu": true, "queues": true, "rate": true, "trunks": true,
		"virtio": true, "e1000": true, "e1000e": true, "rtl8139": true, "vmxnet3": true, "e1000-82540em": true,
		"e1000-82544gc": true, "e1000-82545em": true, "i82551": true, "i82557b": true, "i82559er": true,
		"ne2k_isa": true, "ne2k_pci": true, "pcnet": true}
)

// unmodeled returns the options of a live property string that the model
// does not represent, to carry them over unchanged.
func unmodeled(live, defaultKey string, modeled map[string]bool) props {
	var out props
	for _, it := range iac.ParseProps(live, defaultKey) {
		if modeled[it.Key] || it.Bare {
			continue
		}
		out = append(out, it.Key+"="+it.Value)
	}
	return out
}
