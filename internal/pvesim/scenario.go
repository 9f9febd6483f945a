package pvesim

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	isoDebian  = "local:iso/debian-13.1.0-amd64-netinst.iso"
	isoUbuntu  = "local:iso/ubuntu-24.04.3-live-server-amd64.iso"
	isoWindows = "local:iso/Win11_24H2_English_x64.iso"
	isoVirtio  = "local:iso/virtio-win-0.1.271.iso"
	tmplDebian = "local:vztmpl/debian-13-standard_13.1-2_amd64.tar.zst"
	tmplUbuntu = "local:vztmpl/ubuntu-24.04-standard_24.04-2_amd64.tar.zst"
	tmplAlpine = "local:vztmpl/alpine-3.22-default_20250617_amd64.tar.xz"
	qemuVer    = "9.2.0"
	sshKeyDemo = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGh0bWxhYi1kZW1vLWtleS1ub3QtcmVhbC0wMDAwMDAw admin@homelab"
)

func newCluster(name string, seed int64) *cluster {
	return &cluster{
		name:       name,
		nodeByName: map[string]*node{},
		guests:     map[int]*guest{},
		pools:      map[string]*pool{},
		tasks:      map[string]*task{},
		volumes:    map[string][]volume{},
		rng:        rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15)),
		demoKeys:   pveEscape(sshKeyDemo + "\n"),
	}
}

func fingerprint(seed int64, name string) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%d/%s", seed, name)))
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

func (c *cluster) addNode(seed int64, name string, id int, now time.Time, cpus int, memGiB int64) *node {
	r := hash32(uint64(seed)<<8 ^ uint64(id))
	n := &node{
		name: name, id: id, ip: fmt.Sprintf("192.168.1.%d", 10+id),
		maxcpu: cpus, maxmem: memGiB * gib, maxdisk: 468 * gib, disk: int64(9+int(r%6)) * gib,
		memBase: int64(3+int(r%3)) * gib, cpuBase: 0.01 + float64(r%40)/1000,
		boot:        now.Add(-time.Duration(20+int(r%40)) * 24 * time.Hour).Add(-time.Duration(r%3600) * time.Second),
		fingerprint: fingerprint(seed, name),
		cpuModel:    "AMD Ryzen 7 5800X 8-Core Processor",
	}
	if id%2 == 0 {
		n.cpuModel = "Intel(R) Core(TM) i5-12500T"
	}
	c.nodes = append(c.nodes, n)
	c.nodeByName[name] = n
	return n
}

func (c *cluster) addStandardStorages() {
	c.storages = []*storageDef{
		{name: "local", typ: "dir", content: "backup,iso,vztmpl", total: 98 * gib, used: 12 * gib, path: "/var/lib/vz"},
		{name: "local-lvm", typ: "lvmthin", content: "images,rootdir", total: 348 * gib, used: 0},
		{name: "nas", typ: "nfs", content: "backup,images,iso", shared: true, total: 3725 * gib, used: 1210 * gib, path: "/mnt/pve/nas"},
	}
	base := time.Date(2025, 10, 2, 9, 14, 0, 0, time.UTC).Unix()
	for _, n := range c.nodes {
		key := n.name + "/local"
		c.volumes[key] = []volume{
			{volid: isoDebian, content: "iso", format: "iso", size: 804257792, ctime: base},
			{volid: isoUbuntu, content: "iso", format: "iso", size: 3213064192, ctime: base + 3600},
			{volid: isoWindows, content: "iso", format: "iso", size: 5819484160, ctime: base + 7200},
			{volid: isoVirtio, content: "iso", format: "iso", size: 753854464, ctime: base + 7300},
			{volid: tmplDebian, content: "vztmpl", format: "tzst", size: 129612357, ctime: base + 86400},
			{volid: tmplUbuntu, content: "vztmpl", format: "tzst", size: 141733468, ctime: base + 86500},
			{volid: tmplAlpine, content: "vztmpl", format: "txz", size: 3167744, ctime: base + 86600},
		}
	}
	c.volumes["/nas"] = []volume{
		{volid: "nas:iso/debian-13.1.0-amd64-netinst.iso", content: "iso", format: "iso", size: 804257792, ctime: base},
		{volid: "nas:backup/vzdump-qemu-103-2025_11_20-02_00_03.vma.zst", content: "backup", format: "vma.zst", size: 9126805504, ctime: base + 4*86400, vmid: 103},
		{volid: "nas:backup/vzdump-lxc-202-2025_11_20-02_10_41.tar.zst", content: "backup", format: "tar.zst", size: 1288490188, ctime: base + 4*86400 + 600, vmid: 202},
	}
}

// qemuSpec describes a generated VM.
type qemuSpec struct {
	vmid          int
	node, name    string
	cores, memMiB int
	diskGiB       int
	bus           string // scsi or virtio
	ssd           bool
	vlan          int // 0 = vmbr0, else tag on vmbr1
	ip            string
	cloudInit     bool
	agent         string
	tags          string
	ostype        string
	cpu           string
	windows       bool
	template      bool
	running       bool
	onboot        bool
	pool          string
	desc          string
}

func (c *cluster) makeQemu(sp qemuSpec, ctime int64) *guest {
	conf := map[string]string{
		"name":    sp.name,
		"cores":   strconv.Itoa(sp.cores),
		"sockets": "1",
		"memory":  strconv.Itoa(sp.memMiB),
		"ostype":  sp.ostype,
		"cpu":     sp.cpu,
		"numa":    "0",
		"smbios1": "uuid=" + c.newUUID(),
		"vmgenid": c.newUUID(),
		"meta":    fmt.Sprintf("creation-qemu=%s,ctime=%d", qemuVer, ctime),
	}
	disk := "scsi0"
	if sp.bus == "virtio" {
		disk = "virtio0"
	} else {
		conf["scsihw"] = "virtio-scsi-single"
	}
	prefix := "vm"
	if sp.template {
		prefix = "base"
		conf["template"] = "1"
	}
	d := fmt.Sprintf("local-lvm:%s-%d-disk-0,", prefix, sp.vmid)
	if sp.bus == "virtio" {
		d += "discard=on,iothread=1"
	} else {
		d += "discard=on,iothread=1"
		if sp.ssd {
			d += ",ssd=1"
		}
	}
	conf[disk] = d + ",size=" + strconv.Itoa(sp.diskGiB) + "G"
	net := "virtio=" + c.newMAC() + ",bridge=vmbr0,firewall=1"
	if sp.vlan > 0 {
		net = "virtio=" + c.newMAC() + ",bridge=vmbr1,firewall=1,tag=" + strconv.Itoa(sp.vlan)
	}
	conf["net0"] = net
	boot := "order=" + disk
	if sp.cloudInit {
		conf["ide2"] = fmt.Sprintf("local-lvm:vm-%d-cloudinit,media=cdrom", sp.vmid)
		if sp.template {
			conf["ide2"] = fmt.Sprintf("local-lvm:base-%d-cloudinit,media=cdrom", sp.vmid)
		}
		ip := "ip=dhcp"
		if sp.ip != "" {
			ip = "ip=" + sp.ip + "/24,gw=192.168.1.1"
			if sp.vlan > 0 {
				ip = "ip=" + sp.ip + "/24,gw=10.10." + strconv.Itoa(sp.vlan) + ".1"
			}
		}
		conf["ipconfig0"] = ip
		conf["ciuser"] = "admin"
		conf["sshkeys"] = c.demoKeys
		conf["nameserver"] = "192.168.1.1"
		conf["searchdomain"] = "home.arpa"
		boot += ";ide2"
	} else if sp.windows {
		conf["ide2"] = isoWindows + ",media=cdrom,size=5683092K"
		conf["ide0"] = isoVirtio + ",media=cdrom,size=736186K"
		boot += ";ide2"
	}
	conf["boot"] = boot + ";net0"
	if sp.windows {
		conf["bios"] = "ovmf"
		conf["machine"] = "pc-q35-9.2+pve1"
		conf["efidisk0"] = fmt.Sprintf("local-lvm:vm-%d-disk-1,efitype=4m,pre-enrolled-keys=1,size=4M", sp.vmid)
		conf["tpmstate0"] = fmt.Sprintf("local-lvm:vm-%d-disk-2,size=4M,version=v2.0", sp.vmid)
		conf["tablet"] = "1"
	} else {
		conf["machine"] = "q35"
		if sp.cloudInit {
			conf["serial0"] = "socket"
			conf["vga"] = "serial0"
		}
	}
	if sp.agent != "" {
		conf["agent"] = sp.agent
	}
	if sp.tags != "" {
		conf["tags"] = sp.tags
	}
	if sp.onboot {
		conf["onboot"] = "1"
	}
	if sp.desc != "" {
		conf["description"] = sp.desc
	}
	g := &guest{kind: kindQemu, vmid: sp.vmid, node: sp.node, conf: conf, running: sp.running, pool: sp.pool}
	return g
}

// pveEscape URL-encodes like PVE stores sshkeys (spaces as %20, no '+').
func pveEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

type lxcSpec struct {
	vmid            int
	node, hostname  string
	ostype          string
	cores, memMiB   int
	swapMiB, diskGB int
	ip              string
	tags            string
	running, onboot bool
	template        bool
	pool            string
}

func (c *cluster) makeLXC(sp lxcSpec) *guest {
	ip := "ip=dhcp"
	if sp.ip != "" {
		ip = "ip=" + sp.ip + "/24,gw=192.168.1.1"
	}
	prefix := "vm"
	if sp.template {
		prefix = "base"
	}
	conf := map[string]string{
		"arch":         "amd64",
		"hostname":     sp.hostname,
		"ostype":       sp.ostype,
		"cores":        strconv.Itoa(sp.cores),
		"memory":       strconv.Itoa(sp.memMiB),
		"swap":         strconv.Itoa(sp.swapMiB),
		"rootfs":       fmt.Sprintf("local-lvm:%s-%d-disk-0,size=%dG", prefix, sp.vmid, sp.diskGB),
		"net0":         "name=eth0,bridge=vmbr0,firewall=1,hwaddr=" + c.newMAC() + "," + ip + ",type=veth",
		"unprivileged": "1",
		"features":     "nesting=1",
	}
	if sp.tags != "" {
		conf["tags"] = sp.tags
	}
	if sp.onboot {
		conf["onboot"] = "1"
	}
	if sp.template {
		conf["template"] = "1"
	}
	return &guest{kind: kindLXC, vmid: sp.vmid, node: sp.node, conf: conf, running: sp.running, pool: sp.pool}
}

// addHistoryTask records a finished task in a node's history.
func (c *cluster) addHistoryTask(n *node, start time.Time, dur time.Duration, typ, id, user, exit string, lines ...string) *task {
	c.pid += 1 + int(hash32(uint64(c.pid)+7)%5000)
	t := &task{
		node: n.name, pid: 0x1000 + c.pid, pstart: int(start.Sub(n.boot).Seconds() * 100), start: start,
		typ: typ, id: id, user: user, end: start.Add(dur), done: true, stopped: start.Add(dur), exit: exit, log: lines,
	}
	if t.pstart < 0 {
		t.pstart = 1000
	}
	t.upid = formatUPID(t)
	c.tasks[t.upid] = t
	n.tasks = append(n.tasks, t)
	return t
}

func buildHomelab(seed int64, now time.Time) (*cluster, Fixtures) {
	c := newCluster("homelab", seed)
	c.addNode(seed, "pve1", 1, now, 16, 64)
	c.addNode(seed, "pve2", 2, now, 12, 32)
	c.addNode(seed, "pve3", 3, now, 12, 32)
	c.addStandardStorages()
	c.pools["prod"] = &pool{id: "prod", comment: "Production services"}
	c.pools["lab"] = &pool{id: "lab", comment: "Lab and experiments"}
	ct := now.Add(-90 * 24 * time.Hour).Unix()

	vms := []qemuSpec{
		{vmid: 100, node: "pve1", name: "dns-01", cores: 1, memMiB: 1024, diskGiB: 16, ssd: true, ip: "192.168.1.20", cloudInit: true, agent: "1", tags: "dns;infra", ostype: "l26", cpu: "x86-64-v2-AES", running: true, onboot: true, pool: "prod"},
		{vmid: 101, node: "pve1", name: "web-01", cores: 2, memMiB: 4096, diskGiB: 32, ssd: true, ip: "192.168.1.21", cloudInit: true, agent: "1,fstrim_cloned_disks=1", tags: "prod;web", ostype: "l26", cpu: "host", running: true, onboot: true, pool: "prod", desc: "Public web front end"},
		{vmid: 102, node: "pve2", name: "web-02", cores: 2, memMiB: 4096, diskGiB: 32, ssd: true, ip: "192.168.1.22", cloudInit: true, agent: "1,fstrim_cloned_disks=1", tags: "prod;web", ostype: "l26", cpu: "host", running: true, onboot: true, pool: "prod"},
		{vmid: 103, node: "pve2", name: "db-01", cores: 4, memMiB: 8192, diskGiB: 64, bus: "virtio", ip: "192.168.1.23", cloudInit: true, agent: "1", tags: "db;prod", ostype: "l26", cpu: "host", running: true, onboot: true, pool: "prod"},
		{vmid: 104, node: "pve3", name: "win11-desktop", cores: 4, memMiB: 8192, diskGiB: 80, ssd: true, agent: "1", tags: "desktop", ostype: "win11", cpu: "x86-64-v2-AES", windows: true},
		{vmid: 105, node: "pve1", name: "k8s-cp-01", cores: 2, memMiB: 4096, diskGiB: 32, vlan: 10, ip: "10.10.10.11", cloudInit: true, agent: "1", tags: "k8s;lab", ostype: "l26", cpu: "x86-64-v2-AES", running: true, onboot: true, pool: "lab"},
		{vmid: 106, node: "pve2", name: "k8s-worker-01", cores: 4, memMiB: 8192, diskGiB: 64, vlan: 10, ip: "10.10.10.21", cloudInit: true, agent: "1", tags: "k8s;lab", ostype: "l26", cpu: "x86-64-v2-AES", running: true, onboot: true, pool: "lab"},
		{vmid: 107, node: "pve3", name: "k8s-worker-02", cores: 4, memMiB: 8192, diskGiB: 64, vlan: 10, ip: "10.10.10.22", cloudInit: true, agent: "1", tags: "k8s;lab", ostype: "l26", cpu: "x86-64-v2-AES", pool: "lab"},
		{vmid: 108, node: "pve3", name: "monitoring", cores: 2, memMiB: 4096, diskGiB: 50, ssd: true, ip: "192.168.1.28", cloudInit: true, agent: "1", tags: "infra;monitoring", ostype: "l26", cpu: "host", running: true, onboot: true, pool: "prod"},
		{vmid: 109, node: "pve1", name: "dev-sandbox", cores: 2, memMiB: 2048, diskGiB: 20, cloudInit: true, tags: "dev", ostype: "l26", cpu: "x86-64-v2-AES", pool: "lab"},
		{vmid: 9000, node: "pve1", name: "ubuntu-2404-cloudinit", cores: 2, memMiB: 2048, diskGiB: 4, ssd: true, cloudInit: true, agent: "1", tags: "template;ubuntu", ostype: "l26", cpu: "x86-64-v2-AES", template: true},
		{vmid: 9001, node: "pve2", name: "debian-13-cloudinit", cores: 1, memMiB: 1024, diskGiB: 3, cloudInit: true, agent: "1", tags: "debian;template", ostype: "l26", cpu: "x86-64-v2-AES", template: true},
	}
	for _, sp := range vms {
		c.addGuest(c.makeQemu(sp, ct))
	}
	cts := []lxcSpec{
		{vmid: 200, node: "pve1", hostname: "pihole", ostype: "debian", cores: 1, memMiB: 512, swapMiB: 512, diskGB: 8, ip: "192.168.1.53", tags: "dns;infra", running: true, onboot: true, pool: "prod"},
		{vmid: 201, node: "pve2", hostname: "nginx-proxy", ostype: "ubuntu", cores: 2, memMiB: 1024, swapMiB: 512, diskGB: 8, ip: "192.168.1.80", tags: "proxy;web", running: true, onboot: true, pool: "prod"},
		{vmid: 202, node: "pve3", hostname: "gitea", ostype: "debian", cores: 2, memMiB: 2048, swapMiB: 1024, diskGB: 32, tags: "dev;git", running: true, onboot: true, pool: "lab"},
		{vmid: 203, node: "pve1", hostname: "alpine-test", ostype: "alpine", cores: 1, memMiB: 256, swapMiB: 256, diskGB: 2, tags: "lab", pool: "lab"},
		{vmid: 9100, node: "pve3", hostname: "debian-13-base", ostype: "debian", cores: 1, memMiB: 512, swapMiB: 512, diskGB: 4, tags: "template", template: true},
	}
	for _, sp := range cts {
		c.addGuest(c.makeLXC(sp))
	}
	// HA-managed database.
	c.guests[103].ha = "started"
	// Snapshots.
	for _, sn := range []struct {
		vmid       int
		name, desc string
		age        time.Duration
	}{
		{101, "pre-upgrade", "before apt full-upgrade", 20 * 24 * time.Hour},
		{103, "pre-upgrade", "before PostgreSQL 17 upgrade", 30 * 24 * time.Hour},
		{103, "before-migration", "schema migration 42", 3 * 24 * time.Hour},
		{200, "stable", "known good pihole config", 10 * 24 * time.Hour},
	} {
		g := c.guests[sn.vmid]
		conf := copyConf(g.conf)
		g.snaps = append(g.snaps, &snapshot{name: sn.name, desc: sn.desc, parent: g.parent, snaptime: now.Add(-sn.age).Unix(), conf: conf})
		g.parent = sn.name
		g.changed()
	}
	for _, g := range c.guests {
		if g.running {
			g.started = now.Add(-time.Duration(2+g.vmid%17) * 24 * time.Hour).Add(-time.Duration(g.vmid*37) * time.Second)
		}
	}
	// Task history.
	var finished *task
	for i, n := range c.nodes {
		day := now.Add(-time.Duration(26-i) * time.Hour)
		c.addHistoryTask(n, day.Add(-48*time.Hour), 2*time.Second, "srvreload", "networking", "root@pam", "OK", "reloading network config")
		c.addHistoryTask(n, day.Add(-24*time.Hour), 95*time.Second, "vzdump", "", "root@pam", "OK", "INFO: starting new backup job: vzdump --all 1 --storage nas --mode snapshot --compress zstd")
		c.addHistoryTask(n, day.Add(-20*time.Hour), 41*time.Second, "aptupdate", "", "root@pam", "OK", "starting apt-get update")
		if i == 1 {
			c.addHistoryTask(n, day.Add(-10*time.Hour), 3*time.Second, "qmstart", "107", "root@pam", "start failed: QEMU exited with code 1", "kvm: -drive file=/dev/pve/vm-107-disk-0: Could not open '/dev/pve/vm-107-disk-0': No such file or directory")
		}
		for _, vmid := range c.vmids {
			g := c.guests[vmid]
			if g.node == n.name && g.running {
				typ := "qmstart"
				if g.kind == kindLXC {
					typ = "vzstart"
				}
				t := c.addHistoryTask(n, g.started, 2*time.Second, typ, strconv.Itoa(vmid), "root@pam", "OK")
				if vmid == 101 {
					finished = t
				}
			}
		}
	}
	f := Fixtures{
		ClusterName: "homelab", Node: "pve1", OtherNode: "pve2", Nodes: []string{"pve1", "pve2", "pve3"},
		Storage: "local-lvm", ISOStorage: "local", Bridge: "vmbr0", VLANBridge: "vmbr1", Pool: "prod",
		VMID: 101, StoppedVMID: 109, CTID: 200, TemplateVMID: 9000, Snapshot: "pre-upgrade",
		UPID: finished.upid, ISOVolid: isoDebian, CTTemplate: tmplDebian, HAVMID: 103, Guests: len(c.guests),
	}
	return c, f
}

var largeRoles = []string{"web", "app", "db", "cache", "k8s", "ci", "mon", "dns", "mail", "vpn", "log", "api"}

func buildLarge(seed int64, nodes, guests int, now time.Time) (*cluster, Fixtures) {
	c := newCluster("large", seed)
	names := make([]string, nodes)
	for i := range nodes {
		names[i] = fmt.Sprintf("node%02d", i+1)
		c.addNode(seed, names[i], i+1, now, 32, 256)
	}
	c.addStandardStorages()
	c.pools["prod"] = &pool{id: "prod", comment: "Production"}
	c.pools["dev"] = &pool{id: "dev", comment: "Development"}
	ct := now.Add(-200 * 24 * time.Hour).Unix()
	var f Fixtures
	var firstTask *task
	for i := range guests {
		vmid := 100 + i
		h := hash32(uint64(seed)*1_000_003 + uint64(i))
		nodeName := names[int(h>>3)%nodes]
		if i == 1 {
			nodeName = names[0] // the template lives on the first node
		}
		role := largeRoles[int(h>>8)%len(largeRoles)]
		running := h%10 < 7
		env, pool := "prod", "prod"
		if h%3 == 0 {
			env, pool = "dev", "dev"
		}
		tags := env + ";" + role
		ipStr := fmt.Sprintf("10.%d.%d.%d", 20+(i>>16)&0xff, (i>>8)&0xff, i&0xff)
		var g *guest
		if i%5 == 4 {
			g = c.makeLXC(lxcSpec{
				vmid: vmid, node: nodeName, hostname: fmt.Sprintf("ct-%s-%05d", role, vmid),
				ostype: []string{"debian", "ubuntu", "alpine"}[h%3], cores: 1 + int(h%4), memMiB: 512 << (h % 3),
				swapMiB: 512, diskGB: 8 << (h % 3), ip: ipStr, tags: tags, running: running, onboot: running, pool: pool,
			})
		} else {
			g = c.makeQemu(qemuSpec{
				vmid: vmid, node: nodeName, name: fmt.Sprintf("%s-%05d", role, vmid), cores: 1 << (h % 4),
				memMiB: 1024 << (h % 4), diskGiB: 16 << (h % 3), ssd: h%2 == 0, ip: ipStr, cloudInit: true,
				agent: "1", tags: tags, ostype: "l26", cpu: "x86-64-v2-AES", running: running, onboot: running, pool: pool,
				template: i == 1,
			}, ct)
			if i == 1 {
				g.running = false
			}
		}
		if g.running {
			g.started = now.Add(-time.Duration(1+h%500) * time.Hour)
		}
		c.addGuest(g)
		switch {
		case f.VMID == 0 && g.kind == kindQemu && g.running && nodeName == names[0]:
			f.VMID = vmid
		case f.StoppedVMID == 0 && g.kind == kindQemu && !g.running && !g.tmpl && nodeName == names[0]:
			f.StoppedVMID = vmid
		case f.CTID == 0 && g.kind == kindLXC && g.running && nodeName == names[0]:
			f.CTID = vmid
		case f.TemplateVMID == 0 && g.tmpl && nodeName == names[0]:
			f.TemplateVMID = vmid
		}
	}
	if f.VMID != 0 {
		g := c.guests[f.VMID]
		g.snaps = append(g.snaps, &snapshot{name: "baseline", desc: "generated", snaptime: now.Add(-48 * time.Hour).Unix(), conf: copyConf(g.conf)})
		g.parent = "baseline"
		g.changed()
		f.Snapshot = "baseline"
	}
	for i, n := range c.nodes {
		t := c.addHistoryTask(n, now.Add(-time.Duration(30+i)*time.Hour), 2*time.Second, "srvreload", "networking", "root@pam", "OK", "reloading network config")
		if i == 0 {
			firstTask = t
		}
	}
	f.ClusterName, f.Node, f.Nodes = "large", names[0], names
	if nodes > 1 {
		f.OtherNode = names[1]
	}
	f.Storage, f.ISOStorage, f.Bridge, f.VLANBridge, f.Pool = "local-lvm", "local", "vmbr0", "vmbr1", "prod"
	f.UPID, f.ISOVolid, f.CTTemplate, f.Guests = firstTask.upid, isoDebian, tmplDebian, guests
	return c, f
}
