package pvesim

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

const (
	pveVersion  = "9.1.2"
	pveRelease  = "9.1"
	pveRepoID   = "4a7d1e3c9b2f6a18"
	kernelRel   = "6.17.2-1-pve"
	kernelBuild = "#1 SMP PREEMPT_DYNAMIC PMX 6.17.2-1 (2025-10-21T11:55Z)"
)

func (s *Sim) hVersion(*call) (any, error) {
	return map[string]any{"version": pveVersion, "release": pveRelease, "repoid": pveRepoID, "console": "xtermjs"}, nil
}

func (s *Sim) hNodeVersion(c *call) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, err := s.c.findNode(c.vars["node"]); err != nil {
		return nil, err
	}
	return map[string]any{"version": pveVersion, "release": pveRelease, "repoid": pveRepoID}, nil
}

func (s *Sim) hClusterStatus(*call) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	rows := []map[string]any{{
		"type": "cluster", "id": "cluster", "name": s.c.name, "nodes": len(s.c.nodes), "quorate": 1, "version": 3 + len(s.c.nodes),
	}}
	for i, n := range s.c.nodes {
		local := 0
		if i == 0 {
			local = 1
		}
		rows = append(rows, map[string]any{
			"type": "node", "id": "node/" + n.name, "name": n.name, "nodeid": n.id, "ip": n.ip,
			"online": 1, "local": local, "level": "",
		})
	}
	return rows, nil
}

// nodeLoad sums what running guests use on each node.
func (s *Sim) nodeLoad() map[string]int64 {
	out := make(map[string]int64, len(s.c.nodes))
	for _, g := range s.c.guests {
		if g.running {
			out[g.node] += guestMem(g)
		}
	}
	return out
}

func guestMem(g *guest) int64 {
	h := hash32(uint64(g.vmid))
	return g.maxmem / 100 * int64(25+h%50)
}

func nodeMem(n *node, load int64) int64 {
	m := n.memBase + load
	if m > n.maxmem {
		m = n.maxmem - gib
	}
	return m
}

type nodeRow struct {
	ID      string  `json:"id"`
	Type    string  `json:"type"`
	Node    string  `json:"node"`
	Status  string  `json:"status"`
	CPU     float64 `json:"cpu"`
	MaxCPU  int     `json:"maxcpu"`
	Mem     int64   `json:"mem"`
	MaxMem  int64   `json:"maxmem"`
	Disk    int64   `json:"disk"`
	MaxDisk int64   `json:"maxdisk"`
	Uptime  int64   `json:"uptime"`
	Level   string  `json:"level"`
	CGroup  int     `json:"cgroup-mode,omitempty"`
	SSLFP   string  `json:"ssl_fingerprint,omitempty"`
}

func (s *Sim) nodeRow(n *node, now time.Time, load int64) nodeRow {
	return nodeRow{
		ID: "node/" + n.name, Type: "node", Node: n.name, Status: "online", CPU: n.cpuBase, MaxCPU: n.maxcpu,
		Mem: nodeMem(n, load), MaxMem: n.maxmem, Disk: n.disk, MaxDisk: n.maxdisk,
		Uptime: int64(now.Sub(n.boot).Seconds()), Level: "",
	}
}

func (s *Sim) hNodes(c *call) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	load := s.nodeLoad()
	rows := make([]nodeRow, 0, len(s.c.nodes))
	for _, n := range s.c.nodes {
		r := s.nodeRow(n, c.now, load[n.name])
		r.SSLFP = n.fingerprint
		rows = append(rows, r)
	}
	return rows, nil
}

func (s *Sim) hNodeIndex(c *call) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, err := s.c.findNode(c.vars["node"]); err != nil {
		return nil, err
	}
	var out []map[string]string
	for _, d := range []string{"lxc", "network", "qemu", "status", "storage", "tasks", "version"} {
		out = append(out, map[string]string{"name": d})
	}
	return out, nil
}

func (s *Sim) hNodeStatus(c *call) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n, err := s.c.findNode(c.vars["node"])
	if err != nil {
		return nil, err
	}
	mem := nodeMem(n, s.nodeLoad()[n.name])
	h := hash32(uint64(n.id))
	load := func(x uint32) string { return fmt.Sprintf("%.2f", float64(x%150)/100) }
	cores := n.maxcpu / 2
	return map[string]any{
		"cpu": n.cpuBase, "wait": 0.0004, "idle": 0, "uptime": int64(c.now.Sub(n.boot).Seconds()),
		"loadavg":    []string{load(h), load(h >> 3), load(h >> 6)},
		"pveversion": "pve-manager/" + pveVersion + "/" + pveRepoID,
		"kversion":   "Linux " + kernelRel + " " + kernelBuild,
		"current-kernel": map[string]any{
			"sysname": "Linux", "release": kernelRel, "version": kernelBuild, "machine": "x86_64",
		},
		"boot-info": map[string]any{"mode": "efi", "secureboot": 0},
		"cpuinfo": map[string]any{
			"model": n.cpuModel, "cpus": n.maxcpu, "cores": cores, "sockets": 1, "mhz": "3400.000",
			"hvm": "1", "user_hz": 100, "flags": "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl cpuid pni pclmulqdq ssse3 fma cx16 sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand lahf_lm svm",
		},
		"memory": map[string]any{"total": n.maxmem, "used": mem, "free": n.maxmem - mem, "available": n.maxmem - mem},
		"swap":   map[string]any{"total": 8 * gib, "used": 0, "free": 8 * gib},
		"ksm":    map[string]any{"shared": 0},
		"rootfs": map[string]any{"total": n.maxdisk, "used": n.disk, "free": n.maxdisk - n.disk, "avail": n.maxdisk - n.disk},
	}, nil
}

// guestRow is a /cluster/resources row for a guest.
type guestRow struct {
	ID        string  `json:"id"`
	Type      string  `json:"type"`
	VMID      int     `json:"vmid"`
	Name      string  `json:"name"`
	Node      string  `json:"node"`
	Status    string  `json:"status"`
	Template  int     `json:"template"`
	CPU       float64 `json:"cpu"`
	MaxCPU    int     `json:"maxcpu"`
	Mem       int64   `json:"mem"`
	MaxMem    int64   `json:"maxmem"`
	Disk      int64   `json:"disk"`
	MaxDisk   int64   `json:"maxdisk"`
	NetIn     int64   `json:"netin"`
	NetOut    int64   `json:"netout"`
	DiskRead  int64   `json:"diskread"`
	DiskWrite int64   `json:"diskwrite"`
	Uptime    int64   `json:"uptime"`
	Tags      string  `json:"tags,omitempty"`
	Pool      string  `json:"pool,omitempty"`
	Lock      string  `json:"lock,omitempty"`
	HAState   string  `json:"hastate,omitempty"`
}

// stats are the pseudo-live counters of a guest.
type stats struct {
	cpu                                           float64
	mem, disk, netin, netout, diskread, diskwrite int64
	uptime                                        int64
}

func guestStats(g *guest, now time.Time) stats {
	if !g.running {
		return stats{}
	}
	h := hash32(uint64(g.vmid) * 31)
	up := int64(now.Sub(g.started).Seconds())
	if up < 0 {
		up = 0
	}
	st := stats{
		cpu:    float64(h%400) / 10000,
		mem:    guestMem(g),
		uptime: up,
		netin:  up * int64(200+h%5000), netout: up * int64(50+h%900),
		diskread: up * int64(100+h%3000), diskwrite: up * int64(300+h%7000),
	}
	if g.kind == kindLXC {
		st.disk = g.maxdisk / 100 * int64(10+h%60)
	}
	return st
}

func (s *Sim) guestRow(g *guest, now time.Time) guestRow {
	st := guestStats(g, now)
	r := guestRow{
		ID: g.key(), Type: g.kind, VMID: g.vmid, Name: g.name, Node: g.node, Status: statusOf(g),
		CPU: st.cpu, MaxCPU: g.maxcpu, Mem: st.mem, MaxMem: g.maxmem, Disk: st.disk, MaxDisk: g.maxdisk,
		NetIn: st.netin, NetOut: st.netout, DiskRead: st.diskread, DiskWrite: st.diskwrite, Uptime: st.uptime,
		Tags: g.tags, Pool: g.pool, Lock: g.lock, HAState: g.ha,
	}
	if g.tmpl {
		r.Template = 1
	}
	if r.MaxCPU == 0 {
		r.MaxCPU = s.c.nodeByName[g.node].maxcpu
	}
	return r
}

func statusOf(g *guest) string {
	if g.running {
		return "running"
	}
	return "stopped"
}

type storageRow struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	Storage    string `json:"storage"`
	Node       string `json:"node"`
	Status     string `json:"status"`
	PluginType string `json:"plugintype"`
	Content    string `json:"content"`
	Shared     int    `json:"shared"`
	Disk       int64  `json:"disk"`
	MaxDisk    int64  `json:"maxdisk"`
}

type poolRow struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Pool   string `json:"pool"`
	Status string `json:"status,omitempty"`
}

func (s *Sim) hClusterResources(c *call) (any, error) {
	s.syncTasks(c.now)
	typ, _ := c.param("type")
	switch typ {
	case "", "vm", "storage", "node", "sdn", "pool":
	default:
		return nil, paramErr1("type", fmt.Sprintf("value '%s' does not have a value in the enumeration 'vm, storage, node, sdn'", typ))
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	rows := make([]any, 0, len(s.c.guests)+len(s.c.nodes)*(1+len(s.c.storages)))
	if typ == "" || typ == "vm" {
		for _, id := range s.c.vmids {
			rows = append(rows, s.guestRow(s.c.guests[id], c.now))
		}
	}
	if typ == "" || typ == "node" {
		load := s.nodeLoad()
		for _, n := range s.c.nodes {
			r := s.nodeRow(n, c.now, load[n.name])
			r.CGroup = 2
			rows = append(rows, r)
		}
	}
	if typ == "" || typ == "storage" {
		usage := s.imageUsage()
		for _, n := range s.c.nodes {
			for _, st := range s.c.storages {
				used := s.storageUsed(st, n.name, usage)
				rows = append(rows, storageRow{
					ID: "storage/" + n.name + "/" + st.name, Type: "storage", Storage: st.name, Node: n.name,
					Status: "available", PluginType: st.typ, Content: st.content, Shared: b2i(st.shared),
					Disk: used, MaxDisk: st.total,
				})
			}
		}
	}
	if typ == "" || typ == "pool" {
		for _, id := range sortedKeys(s.c.pools) {
			rows = append(rows, poolRow{ID: "/pool/" + id, Type: "pool", Pool: id})
		}
	}
	return rows, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *Sim) hNextID(c *call) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if v, ok := c.param("vmid"); ok && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, paramErr1("vmid", fmt.Sprintf("type check ('integer') failed - got '%s'", v))
		}
		if n < 100 || n > 999999999 {
			return nil, paramErr1("vmid", "value must have a minimum value of 100")
		}
		if _, used := s.c.guests[n]; used {
			return nil, paramErr1("vmid", fmt.Sprintf("VM %d already exists", n))
		}
		return strconv.Itoa(n), nil
	}
	return strconv.Itoa(s.freeVMID(100)), nil
}

// freeVMID returns the lowest unused id >= from.
func (s *Sim) freeVMID(from int) int {
	id := from
	i := sort.SearchInts(s.c.vmids, id)
	for i < len(s.c.vmids) && s.c.vmids[i] == id {
		id++
		i++
	}
	return id
}

// --- network ---

func (s *Sim) hNetwork(c *call) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n, err := s.c.findNode(c.vars["node"])
	if err != nil {
		return nil, err
	}
	typ, _ := c.param("type")
	all := []map[string]any{
		{"iface": "eno1", "type": "eth", "method": "manual", "method6": "manual", "families": []string{"inet"}, "priority": 3, "exists": 1, "active": 1},
		{"iface": "eno2", "type": "eth", "method": "manual", "method6": "manual", "families": []string{"inet"}, "priority": 4, "exists": 1, "active": 1},
		{
			"iface": "vmbr0", "type": "bridge", "method": "static", "method6": "manual", "families": []string{"inet"},
			"address": n.ip, "netmask": "24", "cidr": n.ip + "/24", "gateway": "192.168.1.1",
			"bridge_ports": "eno1", "bridge_stp": "off", "bridge_fd": "0", "autostart": 1, "active": 1, "priority": 5,
			"comments": "LAN\n",
		},
		{
			"iface": "vmbr1", "type": "bridge", "method": "manual", "method6": "manual", "families": []string{"inet"},
			"bridge_ports": "eno2", "bridge_stp": "off", "bridge_fd": "0", "bridge_vlan_aware": 1, "bridge_vids": "2-4094",
			"autostart": 1, "active": 1, "priority": 6, "comments": "VLAN trunk\n",
		},
	}
	out := []map[string]any{}
	for _, row := range all {
		t := row["type"].(string)
		switch typ {
		case "", "any":
		case "any_bridge", "any_local_bridge":
			if t != "bridge" {
				continue
			}
		default:
			if t != typ {
				continue
			}
		}
		out = append(out, row)
	}
	return out, nil
}

// --- pools ---

func (s *Sim) poolMembers(id string) []map[string]any {
	members := []map[string]any{}
	for _, vmid := range s.c.vmids {
		g := s.c.guests[vmid]
		if g.pool != id {
			continue
		}
		members = append(members, map[string]any{
			"id": g.key(), "type": g.kind, "vmid": g.vmid, "node": g.node, "name": g.name, "status": statusOf(g),
		})
	}
	p := s.c.pools[id]
	for _, st := range p.storage {
		for _, n := range s.c.nodes {
			members = append(members, map[string]any{"id": "storage/" + n.name + "/" + st, "type": "storage", "storage": st, "node": n.name})
		}
	}
	return members
}

func (s *Sim) hPools(c *call) (any, error) {
	s.syncTasks(c.now)
	s.mu.RLock()
	defer s.mu.RUnlock()
	if id, ok := c.param("poolid"); ok && id != "" {
		p, ok := s.c.pools[id]
		if !ok {
			return nil, errf("pool '%s' does not exist", id)
		}
		return []map[string]any{{"poolid": id, "comment": p.comment, "members": s.poolMembers(id)}}, nil
	}
	out := []map[string]any{}
	for _, id := range sortedKeys(s.c.pools) {
		out = append(out, map[string]any{"poolid": id, "comment": s.c.pools[id].comment})
	}
	return out, nil
}

func (s *Sim) hPool(c *call) (any, error) {
	s.syncTasks(c.now)
	s.mu.RLock()
	defer s.mu.RUnlock()
	id := c.vars["poolid"]
	p, ok := s.c.pools[id]
	if !ok {
		return nil, errf("pool '%s' does not exist", id)
	}
	return map[string]any{"comment": p.comment, "members": s.poolMembers(id)}, nil
}

func (s *Sim) hPoolCreate(c *call) (any, error) {
	id, _ := c.param("poolid")
	if id == "" {
		return nil, missingParam("poolid")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.c.pools[id]; ok {
		return nil, errf("create pool failed - pool '%s' already exists", id)
	}
	comment, _ := c.param("comment")
	s.c.pools[id] = &pool{id: id, comment: comment}
	return nil, nil
}

func (s *Sim) hPoolUpdate(c *call) (any, error) {
	id := c.vars["poolid"]
	if id == "" {
		id, _ = c.param("poolid")
	}
	if id == "" {
		return nil, missingParam("poolid")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked(c.now)
	p, ok := s.c.pools[id]
	if !ok {
		return nil, errf("pool '%s' does not exist", id)
	}
	if v, ok := c.param("comment"); ok {
		p.comment = v
	}
	remove := c.flag("delete")
	if v, ok := c.param("vms"); ok && v != "" {
		for _, item := range splitList(v) {
			vmid, err := strconv.Atoi(item)
			if err != nil {
				return nil, paramErr1("vms", fmt.Sprintf("invalid format - value '%s' does not look like a valid VM ID", item))
			}
			g, ok := s.c.guests[vmid]
			if !ok {
				return nil, errf("no such VMID '%d'", vmid)
			}
			switch {
			case remove && g.pool == id:
				g.pool = ""
			case remove:
			case g.pool != "" && g.pool != id && !c.flag("allow-move"):
				return nil, errf("VM %d belongs to pool '%s'", vmid, g.pool)
			default:
				g.pool = id
			}
		}
	}
	if v, ok := c.param("storage"); ok && v != "" {
		for _, st := range splitList(v) {
			idx := -1
			for i, have := range p.storage {
				if have == st {
					idx = i
				}
			}
			switch {
			case remove && idx >= 0:
				p.storage = append(p.storage[:idx], p.storage[idx+1:]...)
			case !remove && idx < 0:
				if s.c.storage(st) == nil {
					return nil, errf("storage '%s' does not exist", st)
				}
				p.storage = append(p.storage, st)
			}
		}
	}
	return nil, nil
}

func (s *Sim) hPoolDelete(c *call) (any, error) {
	id := c.vars["poolid"]
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.c.pools[id]; !ok {
		return nil, errf("pool '%s' does not exist", id)
	}
	for _, g := range s.c.guests {
		if g.pool == id {
			return nil, errf("pool '%s' is not empty", id)
		}
	}
	delete(s.c.pools, id)
	return nil, nil
}

// splitList splits PVE list values on ',', ';' or whitespace.
func splitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' || r == '\x00' })
}
