package pvesim

import (
	"crypto/sha1" //nolint:gosec // PVE's config digest is SHA-1
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

const (
	kindQemu = "qemu"
	kindLXC  = "lxc"
	gib      = int64(1) << 30
	mib      = int64(1) << 20
)

// cluster is the whole simulated state. Every field is guarded by Sim.mu.
type cluster struct {
	name         string
	nodes        []*node
	nodeByName   map[string]*node
	storages     []*storageDef
	guests       map[int]*guest
	vmids        []int // sorted keys of guests
	pools        map[string]*pool
	tasks        map[string]*task // by UPID
	running      []*task          // unfinished tasks
	nextDue      time.Time        // earliest end of a running task; zero when none
	pid          int
	rng          *rand.Rand // MACs, UUIDs for new guests
	taskRNG      *rand.Rand
	taskFailRate float64
	demoKeys     string              // URL-encoded demo ssh key, as PVE stores sshkeys
	volumes      map[string][]volume // "node/storage" or "/storage" (shared) → static content (iso, vztmpl, backup)
}

type node struct {
	name        string
	id          int
	ip          string
	maxcpu      int
	maxmem      int64
	maxdisk     int64
	disk        int64
	memBase     int64
	cpuBase     float64
	boot        time.Time
	fingerprint string
	cpuModel    string
	tasks       []*task // oldest first
}

type storageDef struct {
	name    string
	typ     string // dir, lvmthin, nfs
	content string
	shared  bool
	total   int64
	used    int64 // base usage besides guest images
	path    string
}

type volume struct {
	volid   string
	content string
	format  string
	size    int64
	ctime   int64
	vmid    int
}

type pool struct {
	id      string
	comment string
	storage []string
}

type snapshot struct {
	name     string
	desc     string
	parent   string
	snaptime int64
	vmstate  bool
	conf     map[string]string
}

type guest struct {
	kind       string
	vmid       int
	node       string
	conf       map[string]string // applied config
	pending    map[string]string // changes waiting for a restart
	pendingDel map[string]bool
	running    bool
	paused     bool
	lock       string
	started    time.Time
	snaps      []*snapshot
	parent     string // current snapshot parent
	pool       string
	ha         string                 // HA state ("started"), "" when not HA-managed
	digest     atomic.Pointer[string] // cache, nil = recompute; written under the read lock too

	// derived from conf by refresh
	name    string
	maxmem  int64
	maxcpu  int
	maxdisk int64
	tags    string
	tmpl    bool
}

func (g *guest) key() string { return g.kind + "/" + strconv.Itoa(g.vmid) }

// confPath is the config file path PVE names in errors.
func confPath(kind, node string, vmid int) string {
	if kind == kindLXC {
		return fmt.Sprintf("nodes/%s/lxc/%d.conf", node, vmid)
	}
	return fmt.Sprintf("nodes/%s/qemu-server/%d.conf", node, vmid)
}

func (g *guest) label() string {
	if g.kind == kindLXC {
		return "CT " + strconv.Itoa(g.vmid)
	}
	return "VM " + strconv.Itoa(g.vmid)
}

// changed recomputes derived fields and drops the digest cache.
func (g *guest) changed() {
	g.digest.Store(nil)
	c := g.conf
	if g.kind == kindQemu {
		g.name = c["name"]
		if g.name == "" {
			g.name = "VM " + strconv.Itoa(g.vmid)
		}
		mem := atoiDef(memoryCurrent(c["memory"]), 512)
		g.maxmem = int64(mem) * mib
		g.maxcpu = atoiDef(c["cores"], 1) * atoiDef(c["sockets"], 1)
		if v := atoiDef(c["vcpus"], 0); v > 0 {
			g.maxcpu = v
		}
		g.maxdisk = 0
		if k := bootDisk(c); k != "" {
			g.maxdisk = diskSize(c[k])
		}
	} else {
		g.name = c["hostname"]
		if g.name == "" {
			g.name = "CT" + strconv.Itoa(g.vmid)
		}
		g.maxmem = int64(atoiDef(c["memory"], 512)) * mib
		g.maxcpu = atoiDef(c["cores"], 0)
		g.maxdisk = diskSize(c["rootfs"])
	}
	g.tags = c["tags"]
	g.tmpl = c["template"] == "1"
}

// memoryCurrent extracts the size from qemu's "[current=]<MiB>" property string.
func memoryCurrent(v string) string {
	for _, part := range strings.Split(v, ",") {
		if after, ok := strings.CutPrefix(part, "current="); ok {
			return after
		}
		if !strings.Contains(part, "=") {
			return part
		}
	}
	return v
}

func atoiDef(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}

var diskKeyPrefixes = []string{"scsi", "virtio", "sata", "ide", "efidisk", "tpmstate", "unused", "mp"}

// isDiskKey reports whether key is a disk slot (scsi0, virtio1, rootfs, ...).
func isDiskKey(key string) bool {
	if key == "rootfs" {
		return true
	}
	for _, p := range diskKeyPrefixes {
		if rest, ok := strings.CutPrefix(key, p); ok && rest != "" && isDigits(rest) {
			return true
		}
	}
	return false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// bootDisk picks the first disk in the boot order, or the first disk.
func bootDisk(c map[string]string) string {
	if b, ok := c["boot"]; ok {
		if order, ok := strings.CutPrefix(b, "order="); ok {
			for _, k := range strings.Split(order, ";") {
				if v, ok := c[k]; ok && !strings.Contains(v, "media=cdrom") {
					return k
				}
			}
		}
	}
	for _, k := range []string{"scsi0", "virtio0", "sata0", "ide0"} {
		if v, ok := c[k]; ok && !strings.Contains(v, "media=cdrom") {
			return k
		}
	}
	return ""
}

// optValue returns the value of opt in a property string "a,b=c,size=32G".
func optValue(prop, opt string) (string, bool) {
	for _, part := range strings.Split(prop, ",") {
		if v, ok := strings.CutPrefix(part, opt+"="); ok {
			return v, true
		}
	}
	return "", false
}

// setOpt sets or replaces opt=value in a property string.
func setOpt(prop, opt, value string) string {
	parts := strings.Split(prop, ",")
	for i, part := range parts {
		if strings.HasPrefix(part, opt+"=") {
			parts[i] = opt + "=" + value
			return strings.Join(parts, ",")
		}
	}
	return prop + "," + opt + "=" + value
}

// diskSize parses size= of a disk property string (in bytes).
func diskSize(prop string) int64 {
	v, ok := optValue(prop, "size")
	if !ok {
		return 0
	}
	n, err := parseSize(v)
	if err != nil {
		return 0
	}
	return n
}

// parseSize parses PVE disk sizes: 32G, 512M, 1T, 100K, or plain bytes.
func parseSize(v string) (int64, error) {
	if v == "" {
		return 0, fmt.Errorf("empty size")
	}
	mult := int64(1)
	switch v[len(v)-1] {
	case 'K', 'k':
		mult = 1 << 10
	case 'M', 'm':
		mult = mib
	case 'G', 'g':
		mult = gib
	case 'T', 't':
		mult = gib << 10
	}
	num := v
	if mult != 1 {
		num = v[:len(v)-1]
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || !(f >= 0) || f*float64(mult) > 1<<60 { // !(f >= 0) also rejects NaN
		return 0, fmt.Errorf("invalid size %q", v)
	}
	return int64(f * float64(mult)), nil
}

// formatSize renders bytes as PVE writes size=: whole G or M or K or bytes.
func formatSize(b int64) string {
	switch {
	case b%(gib<<10) == 0 && b >= gib<<10:
		return strconv.FormatInt(b/(gib<<10), 10) + "T"
	case b%gib == 0:
		return strconv.FormatInt(b/gib, 10) + "G"
	case b%mib == 0:
		return strconv.FormatInt(b/mib, 10) + "M"
	case b%1024 == 0:
		return strconv.FormatInt(b/1024, 10) + "K"
	}
	return strconv.FormatInt(b, 10)
}

// volumeOf returns the volume id of a disk property string ("local-lvm:vm-100-disk-0").
func volumeOf(prop string) string {
	first, _, _ := strings.Cut(prop, ",")
	if v, ok := strings.CutPrefix(first, "file="); ok {
		return v
	}
	if v, ok := strings.CutPrefix(first, "volume="); ok {
		return v
	}
	if strings.Contains(first, "=") {
		if v, ok := optValue(prop, "file"); ok {
			return v
		}
		return ""
	}
	return first
}

// renderConf is the canonical config file text the digest is taken over.
func (g *guest) renderConf() string {
	var b strings.Builder
	writeSection(&b, g.conf, g.parent)
	if len(g.pending) > 0 || len(g.pendingDel) > 0 {
		b.WriteString("\n[PENDING]\n")
		writeSection(&b, g.pending, "")
		if len(g.pendingDel) > 0 {
			b.WriteString("delete: " + strings.Join(sortedKeys(g.pendingDel), ",") + "\n")
		}
	}
	for _, sn := range g.snaps {
		b.WriteString("\n[" + sn.name + "]\n")
		writeSection(&b, sn.conf, sn.parent)
	}
	return b.String()
}

func writeSection(b *strings.Builder, conf map[string]string, parent string) {
	if d, ok := conf["description"]; ok {
		for _, line := range strings.Split(strings.TrimSuffix(d, "\n"), "\n") {
			b.WriteString("#" + line + "\n")
		}
	}
	if parent != "" {
		b.WriteString("parent: " + parent + "\n")
	}
	for _, k := range sortedKeys(conf) {
		if k == "description" {
			continue
		}
		b.WriteString(k + ": " + conf[k] + "\n")
	}
}

func (g *guest) getDigest() string {
	if d := g.digest.Load(); d != nil {
		return *d
	}
	sum := sha1.Sum([]byte(g.renderConf())) //nolint:gosec // PVE's digest is SHA-1
	d := hex.EncodeToString(sum[:])
	g.digest.Store(&d)
	return d
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func copyConf(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// effectiveConf is the config with pending changes applied (the default view of GET config).
func (g *guest) effectiveConf() map[string]string {
	if len(g.pending) == 0 && len(g.pendingDel) == 0 {
		return g.conf
	}
	out := copyConf(g.conf)
	for k, v := range g.pending {
		out[k] = v
	}
	for k := range g.pendingDel {
		delete(out, k)
	}
	return out
}

// applyPending makes pending changes current (on stop, start, reboot).
func (g *guest) applyPending() {
	if len(g.pending) == 0 && len(g.pendingDel) == 0 {
		return
	}
	g.conf = g.effectiveConf() // a copy, since something is pending
	g.pending, g.pendingDel = nil, nil
	g.changed()
}

// Config key types from the 9.1 schema's GET config "returns".
var (
	qemuBoolKeys = set("acpi", "allow-ksm", "autostart", "ciupgrade", "freeze", "keephugepages", "kvm", "localtime", "numa", "onboot", "protection", "reboot", "tablet", "tdf", "template")
	qemuIntKeys  = set("balloon", "cores", "cpuunits", "migrate_speed", "shares", "smp", "snaptime", "sockets", "vcpus")
	qemuNumKeys  = set("cpulimit", "migrate_downtime")
	lxcBoolKeys  = set("console", "debug", "onboot", "protection", "template", "unprivileged")
	lxcIntKeys   = set("cores", "cpuunits", "memory", "swap", "tty")
	lxcNumKeys   = set("cpulimit")
)

func set(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// typedConf renders a config map with the JSON types PVE emits: 0/1 for
// booleans, numbers for integers, strings for the rest (qemu memory is a
// property string and stays a string).
func typedConf(kind string, conf map[string]string) map[string]any {
	bools, ints, nums := qemuBoolKeys, qemuIntKeys, qemuNumKeys
	if kind == kindLXC {
		bools, ints, nums = lxcBoolKeys, lxcIntKeys, lxcNumKeys
	}
	out := make(map[string]any, len(conf)+2)
	for k, v := range conf {
		out[k] = typedValue(k, v, bools, ints, nums)
	}
	return out
}

func typedValue(k, v string, bools, ints, nums map[string]bool) any {
	switch {
	case bools[k]:
		switch strings.ToLower(v) {
		case "1", "on", "yes", "true":
			return 1
		default:
			return 0
		}
	case ints[k]:
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
	case nums[k]:
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
	}
	return v
}

// --- cluster helpers (caller holds s.mu) ---

func (c *cluster) addGuest(g *guest) {
	g.changed()
	c.guests[g.vmid] = g
	i := sort.SearchInts(c.vmids, g.vmid)
	if i < len(c.vmids) && c.vmids[i] == g.vmid {
		return
	}
	c.vmids = append(c.vmids, 0)
	copy(c.vmids[i+1:], c.vmids[i:])
	c.vmids[i] = g.vmid
}

func (c *cluster) removeGuest(vmid int) {
	delete(c.guests, vmid)
	i := sort.SearchInts(c.vmids, vmid)
	if i < len(c.vmids) && c.vmids[i] == vmid {
		c.vmids = append(c.vmids[:i], c.vmids[i+1:]...)
	}
}

// newMAC returns a Proxmox-style MAC (BC:24:11 prefix).
func (c *cluster) newMAC() string {
	n := c.rng.Uint32()
	return fmt.Sprintf("BC:24:11:%02X:%02X:%02X", byte(n>>16), byte(n>>8), byte(n))
}

func (c *cluster) newUUID() string {
	a, b := c.rng.Uint64(), c.rng.Uint64()
	b = b&^(0xc000<<48) | 0x8000<<48
	a = a&^(0xf000) | 0x4000
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, (a>>16)&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

// findGuest returns the guest of kind on node, or the 500 PVE gives for a
// missing config file.
func (c *cluster) findGuest(kind, nodeName, vmidStr string) (*guest, *apiError) {
	if _, ok := c.nodeByName[nodeName]; !ok {
		return nil, errf("no such cluster node '%s'", nodeName)
	}
	vmid, err := strconv.Atoi(vmidStr)
	if err != nil || vmid < 1 {
		return nil, paramErr1("vmid", fmt.Sprintf("type check ('integer') failed - got '%s'", vmidStr))
	}
	g, ok := c.guests[vmid]
	if !ok || g.kind != kind || g.node != nodeName {
		return nil, errf("Configuration file '%s' does not exist", confPath(kind, nodeName, vmid))
	}
	return g, nil
}

func (c *cluster) findNode(name string) (*node, *apiError) {
	n, ok := c.nodeByName[name]
	if !ok {
		return nil, errf("no such cluster node '%s'", name)
	}
	return n, nil
}

func (c *cluster) storage(name string) *storageDef {
	for _, st := range c.storages {
		if st.name == name {
			return st
		}
	}
	return nil
}

// nextDiskIndex returns the next free N for vm-<vmid>-disk-N across a config.
func nextDiskIndex(conf map[string]string, vmid int) int {
	used := map[int]bool{}
	prefix := fmt.Sprintf("vm-%d-disk-", vmid)
	for k, v := range conf {
		if !isDiskKey(k) {
			continue
		}
		vol := volumeOf(v)
		_, name, _ := strings.Cut(vol, ":")
		name = strings.TrimPrefix(name, strconv.Itoa(vmid)+"/")
		if rest, ok := strings.CutPrefix(name, prefix); ok {
			rest, _, _ = strings.Cut(rest, ".")
			if n, err := strconv.Atoi(rest); err == nil {
				used[n] = true
			}
		}
	}
	n := 0
	for used[n] {
		n++
	}
	return n
}

// hash32 is a cheap deterministic mix for per-guest pseudo statistics.
func hash32(x uint64) uint32 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return uint32(x)
}
