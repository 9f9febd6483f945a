package pvesim

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Parameters of config calls that are not config keys.
var (
	configCallParams = set("node", "vmid", "digest", "delete", "revert", "skiplock", "background_delay", "force")
	qemuCreateParams = set("node", "vmid", "pool", "start", "storage", "archive", "force", "unique", "live-restore", "bwlimit")
	lxcCreateParams  = set("node", "vmid", "pool", "start", "storage", "ostemplate", "password", "ssh-public-keys", "restore", "force", "unique", "ignore-unpack-errors", "bwlimit")
)

func taskType(kind, qemuType, lxcType string) string {
	if kind == kindLXC {
		return lxcType
	}
	return qemuType
}

func checkLock(g *guest, c *call) *apiError {
	if g.lock != "" && !c.flag("skiplock") {
		return errf("%s is locked (%s)", g.label(), g.lock)
	}
	return nil
}

// --- list, index, status ---

func (s *Sim) hGuestList(c *call, kind string) (any, error) {
	s.syncTasks(c.now)
	s.mu.RLock()
	defer s.mu.RUnlock()
	n, err := s.c.findNode(c.vars["node"])
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	for _, vmid := range s.c.vmids {
		g := s.c.guests[vmid]
		if g.kind != kind || g.node != n.name {
			continue
		}
		out = append(out, s.guestSummary(g, c.now, false))
	}
	return out, nil
}

// guestSummary is a /nodes/{node}/{qemu,lxc} row, or with current=true the
// status/current object.
func (s *Sim) guestSummary(g *guest, now time.Time, current bool) map[string]any {
	st := guestStats(g, now)
	row := map[string]any{
		"vmid": g.vmid, "name": g.name, "status": statusOf(g), "cpus": g.maxcpu, "cpu": st.cpu,
		"mem": st.mem, "maxmem": g.maxmem, "disk": st.disk, "maxdisk": g.maxdisk, "uptime": st.uptime,
		"netin": st.netin, "netout": st.netout, "diskread": st.diskread, "diskwrite": st.diskwrite,
	}
	if g.tags != "" {
		row["tags"] = g.tags
	}
	if g.lock != "" {
		row["lock"] = g.lock
	}
	if g.tmpl {
		row["template"] = 1
	}
	if g.running {
		row["pid"] = 10000 + int(hash32(uint64(g.vmid)+uint64(g.started.Unix()))%3_000_000)
	}
	if g.kind == kindLXC {
		swap := int64(atoiDef(g.conf["swap"], 512)) * mib
		row["maxswap"] = swap
		row["type"] = "lxc"
		if current {
			delete(row, "type")
		}
	} else if current || g.running {
		switch {
		case !g.running:
			row["qmpstatus"] = "stopped"
		case g.paused:
			row["qmpstatus"] = "paused"
		default:
			row["qmpstatus"] = "running"
		}
	}
	if current {
		ha := map[string]any{"managed": 0}
		if g.ha != "" {
			ha = map[string]any{"managed": 1, "state": g.ha}
		}
		row["ha"] = ha
		if g.kind == kindQemu {
			if agentEnabled(g.conf["agent"]) {
				row["agent"] = 1
			}
			if _, ok := g.conf["serial0"]; ok {
				row["serial"] = 1
			}
			if g.running {
				row["running-machine"] = "pc-q35-9.2+pve1"
				row["running-qemu"] = qemuVer
			}
		}
	}
	return row
}

func agentEnabled(v string) bool {
	first, _, _ := strings.Cut(v, ",")
	if e, ok := optValue(v, "enabled"); ok {
		first = e
	}
	return first == "1" || first == "on" || first == "yes" || first == "true"
}

func (s *Sim) hGuestIndex(c *call, kind string) (any, error) {
	s.syncTasks(c.now)
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, err := s.c.findGuest(kind, c.vars["node"], c.vars["vmid"]); err != nil {
		return nil, err
	}
	subs := []string{"config", "pending", "status", "snapshot", "clone", "migrate", "resize", "template"}
	if kind == kindQemu {
		subs = append(subs, "agent")
	} else {
		subs = append(subs, "interfaces")
	}
	out := make([]map[string]string, 0, len(subs))
	for _, d := range subs {
		out = append(out, map[string]string{"subdir": d})
	}
	return out, nil
}

func (s *Sim) hStatusIndex(c *call, kind string) (any, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if _, err := s.c.findGuest(kind, c.vars["node"], c.vars["vmid"]); err != nil {
		return nil, err
	}
	out := []map[string]string{}
	for _, d := range []string{"current", "start", "stop", "shutdown", "reboot", "suspend", "resume"} {
		out = append(out, map[string]string{"subdir": d})
	}
	return out, nil
}

func (s *Sim) hStatusCurrent(c *call, kind string) (any, error) {
	s.syncTasks(c.now)
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, err := s.c.findGuest(kind, c.vars["node"], c.vars["vmid"])
	if err != nil {
		return nil, err
	}
	return s.guestSummary(g, c.now, true), nil
}

// --- config ---

func (s *Sim) hConfigGet(c *call, kind string) (any, error) {
	s.syncTasks(c.now)
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, err := s.c.findGuest(kind, c.vars["node"], c.vars["vmid"])
	if err != nil {
		return nil, err
	}
	if name, ok := c.param("snapshot"); ok && name != "" {
		sn := findSnap(g, name)
		if sn == nil {
			return nil, errf("snapshot '%s' does not exist", name)
		}
		return snapConf(g, sn), nil
	}
	conf := g.effectiveConf()
	if c.flag("current") {
		conf = g.conf
	}
	out := typedConf(kind, conf)
	out["digest"] = g.getDigest()
	if g.parent != "" {
		out["parent"] = g.parent
	}
	if g.lock != "" {
		out["lock"] = g.lock
	}
	return out, nil
}

func snapConf(g *guest, sn *snapshot) map[string]any {
	out := typedConf(g.kind, sn.conf)
	out["snaptime"] = sn.snaptime
	if sn.desc != "" {
		out["description"] = sn.desc
	}
	if sn.parent != "" {
		out["parent"] = sn.parent
	}
	if g.kind == kindQemu && sn.vmstate {
		out["vmstate"] = fmt.Sprintf("local-lvm:vm-%d-state-%s", g.vmid, sn.name)
	}
	return out
}

// hPending follows PVE::GuestHelpers::config_with_pending_array over the
// loaded config (qemu-server and pve-container hand it load_config's
// result): one row per top-level key of the config file - parent and lock
// included, and digest, which load_config adds - with its current value,
// its pending value and a delete mark when there are any; then a row per
// pending key the config does not set, and per pending delete of such a
// key. The sim keeps no force flag, so delete is always 1.
func (s *Sim) hPending(c *call, kind string) (any, error) {
	s.syncTasks(c.now)
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, err := s.c.findGuest(kind, c.vars["node"], c.vars["vmid"])
	if err != nil {
		return nil, err
	}
	top := copyConf(g.conf)
	if g.parent != "" {
		top["parent"] = g.parent
	}
	if g.lock != "" {
		top["lock"] = g.lock
	}
	top["digest"] = g.getDigest()
	// The schema types value and pending as strings, and PVE sends them so.
	out := make([]map[string]any, 0, len(top)+len(g.pending)+len(g.pendingDel))
	for _, k := range sortedKeys(top) {
		row := map[string]any{"key": k, "value": top[k]}
		if v, ok := g.pending[k]; ok {
			row["pending"] = v
		}
		if g.pendingDel[k] {
			row["delete"] = 1
		}
		out = append(out, row)
	}
	for _, k := range sortedKeys(g.pending) {
		if _, ok := top[k]; !ok {
			out = append(out, map[string]any{"key": k, "pending": g.pending[k]})
		}
	}
	for _, k := range sortedKeys(g.pendingDel) {
		if _, ok := top[k]; !ok {
			out = append(out, map[string]any{"key": k, "delete": 1})
		}
	}
	return out, nil
}

// configChange is a validated config update, applied by apply.
type configChange struct {
	set    map[string]string
	del    []string
	revert []string
}

// needsRestart reports whether key cannot be hot-plugged into a running
// guest. Kept simple: qemu CPU model, machine, firmware, controller and
// display changes, plus cores/sockets/vcpus and memory unless "hotplug"
// lists cpu/memory; for containers, root and mount points, features and
// the container type.
func needsRestart(g *guest, key string) bool {
	if !g.running {
		return false
	}
	if g.kind == kindLXC {
		switch key {
		case "rootfs", "features", "unprivileged", "ostype", "arch", "cmode", "console", "tty", "lxc", "entrypoint", "env":
			return true
		}
		return strings.HasPrefix(key, "mp") && isDigits(key[2:]) || strings.HasPrefix(key, "dev") && isDigits(key[3:])
	}
	hotplug := g.conf["hotplug"]
	if hotplug == "" {
		hotplug = "network,disk,usb"
	}
	has := func(what string) bool {
		for _, h := range strings.Split(hotplug, ",") {
			if h == what || h == "1" {
				return true
			}
		}
		return false
	}
	switch key {
	case "cpu", "machine", "bios", "numa", "scsihw", "vga", "ostype", "args", "hugepages", "affinity",
		"efidisk0", "tpmstate0", "kvm", "acpi", "smbios1", "vmgenid", "arch", "hookscript", "watchdog", "audio0", "rng0":
		return true
	case "cores", "sockets", "vcpus":
		return !has("cpu")
	case "memory":
		return !has("memory")
	}
	if strings.HasPrefix(key, "serial") || strings.HasPrefix(key, "hostpci") || strings.HasPrefix(key, "numa") {
		return true
	}
	return false
}

var sizedVolumeRE = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9\-_.]*):(\d+(?:\.\d+)?)$`)

// normalizeValue turns request syntax into stored syntax: allocates
// "STORAGE:SIZE" disks, adds MACs to NICs, normalises tags.
func (s *Sim) normalizeValue(g *guest, conf map[string]string, key, value string) (string, *apiError) {
	switch {
	case key == "tags":
		seen := map[string]bool{}
		var tags []string
		for _, t := range splitList(value) {
			if !seen[t] {
				seen[t] = true
				tags = append(tags, t)
			}
		}
		return strings.Join(tags, ";"), nil
	case key == "description" && g.kind == kindLXC:
		if value != "" && !strings.HasSuffix(value, "\n") {
			value += "\n"
		}
		return value, nil
	case strings.HasPrefix(key, "net") && isDigits(key[3:]):
		return s.normalizeNet(g, conf[key], value), nil
	case isDiskKey(key) && !strings.HasPrefix(key, "unused"):
		return s.normalizeDisk(g, conf, key, value)
	}
	return value, nil
}

func (s *Sim) normalizeNet(g *guest, old, value string) string {
	parts := strings.Split(value, ",")
	if g.kind == kindLXC {
		if _, ok := optValue(value, "hwaddr"); !ok {
			mac, ok := optValue(old, "hwaddr")
			if !ok {
				mac = s.c.newMAC()
			}
			value += ",hwaddr=" + mac
		}
		if _, ok := optValue(value, "type"); !ok {
			value += ",type=veth"
		}
		return value
	}
	models := set("virtio", "e1000", "e1000e", "rtl8139", "vmxnet3", "ne2k_pci", "pcnet", "i82551", "i82557b", "i82559er", "ne2k_isa")
	model, mac := "", ""
	rest := make([]string, 0, len(parts))
	for _, p := range parts {
		k, v, hasEq := strings.Cut(p, "=")
		switch {
		case models[k]:
			model = k
			if hasEq {
				mac = v
			}
		case k == "model":
			model = v
		case k == "macaddr":
			mac = v
		default:
			rest = append(rest, p)
		}
	}
	if model == "" {
		return value
	}
	if mac == "" {
		first, _, _ := strings.Cut(old, ",")
		if m, v, ok := strings.Cut(first, "="); ok && models[m] {
			mac = v
		} else {
			mac = s.c.newMAC()
		}
	}
	return strings.Join(append([]string{model + "=" + strings.ToUpper(mac)}, rest...), ",")
}

func (s *Sim) normalizeDisk(g *guest, conf map[string]string, key, value string) (string, *apiError) {
	first, opts, _ := strings.Cut(value, ",")
	vol := strings.TrimPrefix(strings.TrimPrefix(first, "file="), "volume=")
	var keep []string
	for _, o := range strings.Split(opts, ",") {
		if o == "" || strings.HasPrefix(o, "size=") {
			continue
		}
		if strings.HasPrefix(o, "file=") || strings.HasPrefix(o, "volume=") {
			vol = o[strings.IndexByte(o, '=')+1:]
			continue
		}
		keep = append(keep, o)
	}
	if stName, rest, ok := strings.Cut(vol, ":"); ok && rest == "cloudinit" {
		if s.c.storage(stName) == nil {
			return "", errf("storage '%s' does not exist", stName)
		}
		return fmt.Sprintf("%s:vm-%d-cloudinit,media=cdrom", stName, g.vmid), nil
	}
	m := sizedVolumeRE.FindStringSubmatch(vol)
	if m == nil {
		return value, nil
	}
	st := s.c.storage(m[1])
	if st == nil {
		return "", errf("storage '%s' does not exist", m[1])
	}
	want := "images"
	if g.kind == kindLXC {
		want = "rootdir"
	}
	if !hasContent(st, want) {
		return "", errf("storage '%s' does not support content-type '%s'", m[1], want)
	}
	sizeGiB, _ := strconv.ParseFloat(m[2], 64)
	size := int64(sizeGiB * float64(gib))
	if key == "efidisk0" || key == "tpmstate0" {
		size = 4 * mib
	}
	idx := nextDiskIndex(conf, g.vmid)
	name := fmt.Sprintf("vm-%d-disk-%d", g.vmid, idx)
	if st.typ != "lvmthin" {
		if g.kind == kindLXC {
			name = fmt.Sprintf("%d/vm-%d-disk-%d.raw", g.vmid, g.vmid, idx)
		} else {
			name = fmt.Sprintf("%d/vm-%d-disk-%d.qcow2", g.vmid, g.vmid, idx)
		}
	}
	out := append([]string{m[1] + ":" + name}, keep...)
	out = append(out, "size="+formatSize(size))
	return strings.Join(out, ","), nil
}

// planConfig validates an update and returns what to apply.
func (s *Sim) planConfig(g *guest, c *call, reserved map[string]bool) (*configChange, *apiError) {
	if d, ok := c.param("digest"); ok && d != "" && d != g.getDigest() {
		if g.kind == kindLXC {
			return nil, errf("detected modified configuration - file changed by other user? Try again.")
		}
		return nil, errf("checksum mismatch (file change by other user?)")
	}
	if err := checkLock(g, c); err != nil {
		return nil, err
	}
	ch := &configChange{set: map[string]string{}}
	if v, ok := c.param("delete"); ok {
		ch.del = splitList(v)
	}
	if v, ok := c.param("revert"); ok {
		ch.revert = splitList(v)
	}
	for _, k := range ch.del {
		if _, ok := c.params[k]; ok && !reserved[k] {
			return nil, paramErr1("delete", fmt.Sprintf("you can't use '-%s' and '-delete %s' at the same time", k, k))
		}
	}
	work := copyConf(g.effectiveConf())
	for _, k := range sortedKeys(c.params) {
		if reserved[k] {
			continue
		}
		v, err := s.normalizeValue(g, work, k, c.params[k])
		if err != nil {
			return nil, err
		}
		ch.set[k] = v
		work[k] = v
	}
	return ch, nil
}

// apply makes a planned change: hot-pluggable keys at once, the rest pending.
func (ch *configChange) apply(g *guest) {
	conf := copyConf(g.conf)
	if g.pending == nil {
		g.pending = map[string]string{}
	}
	if g.pendingDel == nil {
		g.pendingDel = map[string]bool{}
	}
	for _, k := range ch.revert {
		delete(g.pending, k)
		delete(g.pendingDel, k)
	}
	for _, k := range sortedKeys(ch.set) {
		v := ch.set[k]
		if needsRestart(g, k) {
			g.pending[k] = v
			delete(g.pendingDel, k)
			continue
		}
		conf[k] = v
		delete(g.pending, k)
		delete(g.pendingDel, k)
	}
	for _, k := range ch.del {
		if needsRestart(g, k) {
			if _, ok := conf[k]; ok {
				g.pendingDel[k] = true
			}
			delete(g.pending, k)
			continue
		}
		old, ok := conf[k]
		delete(conf, k)
		delete(g.pending, k)
		delete(g.pendingDel, k)
		if ok && isDiskKey(k) && !strings.HasPrefix(k, "unused") && !strings.Contains(old, "media=cdrom") && k != "rootfs" {
			for i := 0; ; i++ {
				u := "unused" + strconv.Itoa(i)
				if _, used := conf[u]; !used {
					conf[u] = volumeOf(old)
					break
				}
			}
		}
	}
	if len(g.pending) == 0 {
		g.pending = nil
	}
	if len(g.pendingDel) == 0 {
		g.pendingDel = nil
	}
	g.conf = conf
	g.changed()
}

func (s *Sim) hConfigPut(c *call, kind string) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked(c.now)
	g, err := s.c.findGuest(kind, c.vars["node"], c.vars["vmid"])
	if err != nil {
		return nil, err
	}
	ch, err := s.planConfig(g, c, configCallParams)
	if err != nil {
		return nil, err
	}
	ch.apply(g)
	s.log.Info("config updated", "vmid", g.vmid, "node", g.node)
	return nil, nil
}

// hConfigPost is the asynchronous qemu config update: the change is applied
// when the qmconfig task completes.
func (s *Sim) hConfigPost(c *call) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked(c.now)
	g, err := s.c.findGuest(kindQemu, c.vars["node"], c.vars["vmid"])
	if err != nil {
		return nil, err
	}
	ch, err := s.planConfig(g, c, configCallParams)
	if err != nil {
		return nil, err
	}
	vmid := g.vmid
	t := s.startTask(c.now, g.node, "qmconfig", strconv.Itoa(vmid), c.caller.id(), func(time.Time) string {
		g, ok := s.c.guests[vmid]
		if !ok {
			return fmt.Sprintf("Configuration file '%s' does not exist", confPath(kindQemu, c.vars["node"], vmid))
		}
		ch.apply(g)
		return ""
	})
	t.log = []string{"update VM " + strconv.Itoa(vmid) + ": " + describeChange(ch)}
	return t.upid, nil
}

func describeChange(ch *configChange) string {
	var parts []string
	for _, k := range sortedKeys(ch.set) {
		parts = append(parts, "-"+k+" "+ch.set[k])
	}
	if len(ch.del) > 0 {
		parts = append(parts, "-delete "+strings.Join(ch.del, ","))
	}
	return strings.Join(parts, " ")
}

// --- create, destroy ---

func (s *Sim) hGuestCreate(c *call, kind string) (any, error) {
	vmidStr, ok := c.param("vmid")
	if !ok {
		return nil, missingParam("vmid")
	}
	vmid, convErr := strconv.Atoi(vmidStr)
	if convErr != nil || vmid < 100 {
		return nil, paramErr1("vmid", fmt.Sprintf("type check ('integer') failed - got '%s'", vmidStr))
	}
	if kind == kindLXC {
		if _, ok := c.param("ostemplate"); !ok {
			return nil, missingParam("ostemplate")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked(c.now)
	n, err := s.c.findNode(c.vars["node"])
	if err != nil {
		return nil, err
	}
	if old, exists := s.c.guests[vmid]; exists {
		return nil, errf("VM %d already exists on node '%s'", vmid, old.node)
	}
	poolID, _ := c.param("pool")
	if poolID != "" {
		if _, ok := s.c.pools[poolID]; !ok {
			return nil, errf("pool '%s' does not exist", poolID)
		}
	}
	g := &guest{kind: kind, vmid: vmid, node: n.name, conf: map[string]string{}, pool: poolID}
	reserved := qemuCreateParams
	if kind == kindLXC {
		reserved = lxcCreateParams
	}
	for _, k := range sortedKeys(c.params) {
		if reserved[k] {
			continue
		}
		v, err := s.normalizeValue(g, g.conf, k, c.params[k])
		if err != nil {
			return nil, err
		}
		g.conf[k] = v
	}
	var lines []string
	if kind == kindQemu {
		if _, ok := g.conf["smbios1"]; !ok {
			g.conf["smbios1"] = "uuid=" + s.c.newUUID()
		}
		if _, ok := g.conf["vmgenid"]; !ok {
			g.conf["vmgenid"] = s.c.newUUID()
		}
		if _, ok := g.conf["meta"]; !ok {
			g.conf["meta"] = fmt.Sprintf("creation-qemu=%s,ctime=%d", qemuVer, c.now.Unix())
		}
		for _, k := range sortedKeys(g.conf) {
			if isDiskKey(k) && !strings.Contains(g.conf[k], "media=cdrom") {
				lines = append(lines, fmt.Sprintf("%s: successfully created disk '%s'", k, strings.SplitN(g.conf[k], ",", 2)[0]))
			}
		}
	} else {
		tmpl := c.params["ostemplate"]
		stName, _ := c.param("storage")
		if stName == "" {
			stName = "local"
		}
		if _, ok := g.conf["rootfs"]; !ok {
			v, err := s.normalizeValue(g, g.conf, "rootfs", stName+":4")
			if err != nil {
				return nil, err
			}
			g.conf["rootfs"] = v
		}
		if _, ok := g.conf["arch"]; !ok {
			g.conf["arch"] = "amd64"
		}
		if _, ok := g.conf["hostname"]; !ok {
			g.conf["hostname"] = "CT" + strconv.Itoa(vmid)
		}
		if _, ok := g.conf["ostype"]; !ok {
			g.conf["ostype"] = guessOSType(tmpl)
		}
		lines = append(lines,
			fmt.Sprintf("extracting archive '%s'", tmplPath(tmpl)),
			"Total bytes read: 536412160 (512MiB, 211MiB/s)",
			"Detected container architecture: amd64",
			"Creating SSH host key 'ssh_host_ed25519_key' - this may take some time ...")
	}
	g.lock = "create"
	s.c.addGuest(g)
	start := c.flag("start")
	t := s.startTask(c.now, n.name, taskType(kind, "qmcreate", "vzcreate"), strconv.Itoa(vmid), c.caller.id(), func(at time.Time) string {
		g, ok := s.c.guests[vmid]
		if !ok {
			return "unable to create " + kind + " " + strconv.Itoa(vmid) + " - guest vanished"
		}
		g.lock = ""
		if start {
			g.running, g.started = true, at
		}
		g.changed()
		return ""
	})
	t.onFail = func() {
		if g, ok := s.c.guests[vmid]; ok && g.lock == "create" {
			s.c.removeGuest(vmid)
		}
	}
	t.log = lines
	s.log.Info("guest created", "vmid", vmid, "node", n.name)
	return t.upid, nil
}

func tmplPath(volid string) string {
	st, name, _ := strings.Cut(volid, ":")
	if st == "local" {
		return "/var/lib/vz/template/cache/" + strings.TrimPrefix(name, "vztmpl/")
	}
	return volid
}

func guessOSType(tmpl string) string {
	name := tmpl[strings.LastIndexAny(tmpl, ":/")+1:]
	for _, os := range []string{"debian", "ubuntu", "alpine", "centos", "fedora", "archlinux", "opensuse", "gentoo", "nixos", "devuan"} {
		if strings.HasPrefix(name, os) {
			return os
		}
	}
	return "unmanaged"
}

func (s *Sim) hGuestDestroy(c *call, kind string) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked(c.now)
	g, err := s.c.findGuest(kind, c.vars["node"], c.vars["vmid"])
	if err != nil {
		return nil, err
	}
	if err := checkLock(g, c); err != nil {
		return nil, err
	}
	if g.running {
		if kind == kindLXC {
			return nil, errf("CT %d is running - destroy failed", g.vmid)
		}
		return nil, errf("VM %d is running - destroy failed", g.vmid)
	}
	if g.conf["protection"] == "1" {
		return nil, errf("can't remove %s %d - protection mode enabled", map[string]string{kindQemu: "VM", kindLXC: "CT"}[kind], g.vmid)
	}
	vmid := g.vmid
	g.lock = "destroyed"
	var lines []string
	s.guestVolumes(g, func(_, _, volid string, _ int64) {
		lines = append(lines, fmt.Sprintf("  Logical volume \"%s\" successfully removed.", volid))
	})
	t := s.startTask(c.now, g.node, taskType(kind, "qmdestroy", "vzdestroy"), strconv.Itoa(vmid), c.caller.id(), func(time.Time) string {
		if _, ok := s.c.guests[vmid]; ok {
			s.c.removeGuest(vmid)
		}
		return ""
	})
	t.onFail = func() {
		if g, ok := s.c.guests[vmid]; ok && g.lock == "destroyed" {
			g.lock = ""
			g.changed()
		}
	}
	t.log = lines
	return t.upid, nil
}

// --- power ---

func (s *Sim) hPower(c *call, kind, action string) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked(c.now)
	g, err := s.c.findGuest(kind, c.vars["node"], c.vars["vmid"])
	if err != nil {
		return nil, err
	}
	// pve-container (API2/LXC/Status.pm) checks the run state before it
	// forks a worker: vm_start dies "CT N already running", vm_stop and
	// vm_shutdown die "CT N not running" - a 500 and no task. qemu-server
	// leaves these to the worker (see the task body below).
	if kind == kindLXC {
		switch {
		case action == "start" && g.running:
			return nil, errf("CT %d already running", g.vmid)
		case (action == "stop" || action == "shutdown") && !g.running:
			return nil, errf("CT %d not running", g.vmid)
		}
	}
	if g.lock != "" && g.lock != "suspended" && !c.flag("skiplock") {
		return nil, errf("%s is locked (%s)", g.label(), g.lock)
	}
	if action == "start" && g.tmpl {
		if kind == kindLXC {
			return nil, errf("CT %d is a template - cannot start", g.vmid)
		}
		return nil, errf("you can't start a vm if it's a template")
	}
	vmid, label, nodeName := g.vmid, g.label(), g.node
	todisk := c.flag("todisk")
	prefix := map[string]string{kindQemu: "qm", kindLXC: "vz"}[kind]
	var lines []string
	if action == "start" && kind == kindQemu {
		if _, ok := g.conf["ide2"]; ok && strings.Contains(g.conf["ide2"], "cloudinit") {
			lines = append(lines, "generating cloud-init ISO")
		}
	}
	t := s.startTask(c.now, nodeName, prefix+action, strconv.Itoa(vmid), c.caller.id(), func(at time.Time) string {
		g, ok := s.c.guests[vmid]
		if !ok || g.node != nodeName {
			return fmt.Sprintf("Configuration file '%s' does not exist", confPath(kind, nodeName, vmid))
		}
		defer g.changed()
		switch action {
		case "start":
			if g.running {
				return label + " already running"
			}
			g.applyPending()
			g.running, g.paused, g.started = true, false, at
			if g.lock == "suspended" {
				g.lock = ""
			}
		case "stop", "shutdown":
			// qemu-server's vm_stop/vm_shutdown fork the worker without a
			// run-state check (vm_shutdown's vm_is_paused probe evals the
			// QMP error away), and _do_vm_stop returns early when the VM is
			// not running: the task ends OK and nothing changes - pending
			// changes are applied only by the cleanup after a real stop.
			if !g.running {
				return ""
			}
			g.applyPending()
			g.running, g.paused = false, false
		case "reboot", "reset":
			if !g.running {
				return label + " not running"
			}
			if action == "reboot" {
				g.applyPending()
			}
			g.paused, g.started = false, at
		case "suspend":
			if !g.running {
				return label + " not running"
			}
			if todisk && kind == kindQemu {
				g.running, g.paused, g.lock = false, false, "suspended"
				return ""
			}
			g.paused = true
		case "resume":
			if g.lock == "suspended" {
				g.lock, g.running, g.paused, g.started = "", true, false, at
				return ""
			}
			if !g.running {
				return label + " not running"
			}
			g.paused = false
		}
		return ""
	})
	t.log = lines
	return t.upid, nil
}

// --- clone, migrate, resize, template ---

func (s *Sim) hClone(c *call, kind string) (any, error) {
	newStr, ok := c.param("newid")
	if !ok {
		return nil, missingParam("newid")
	}
	newid, convErr := strconv.Atoi(newStr)
	if convErr != nil || newid < 100 {
		return nil, paramErr1("newid", fmt.Sprintf("type check ('integer') failed - got '%s'", newStr))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked(c.now)
	src, err := s.c.findGuest(kind, c.vars["node"], c.vars["vmid"])
	if err != nil {
		return nil, err
	}
	if err := checkLock(src, c); err != nil {
		return nil, err
	}
	if old, exists := s.c.guests[newid]; exists {
		return nil, errf("VM %d already exists on node '%s'", newid, old.node)
	}
	target := src.node
	if v, _ := c.param("target"); v != "" {
		if _, err := s.c.findNode(v); err != nil {
			return nil, err
		}
		target = v
	}
	full := !src.tmpl
	if v, ok := c.param("full"); ok {
		full = v == "1"
	}
	if !full && !src.tmpl {
		return nil, errf("parameter 'full' must be set when cloning a guest that is not a template")
	}
	storage, _ := c.param("storage")
	if storage != "" && s.c.storage(storage) == nil {
		return nil, errf("storage '%s' does not exist", storage)
	}
	poolID, _ := c.param("pool")
	if poolID != "" {
		if _, ok := s.c.pools[poolID]; !ok {
			return nil, errf("pool '%s' does not exist", poolID)
		}
	}
	conf := src.conf
	if snapName, _ := c.param("snapname"); snapName != "" {
		sn := findSnap(src, snapName)
		if sn == nil {
			return nil, errf("snapshot '%s' does not exist", snapName)
		}
		conf = sn.conf
	}
	conf = copyConf(conf)
	delete(conf, "template")
	g := &guest{kind: kind, vmid: newid, node: target, pool: poolID}
	var lines []string
	idx := 0
	for _, k := range sortedKeys(conf) {
		v := conf[k]
		switch {
		case strings.HasPrefix(k, "unused"):
			delete(conf, k)
		case strings.HasPrefix(k, "net") && isDigits(k[3:]):
			if kind == kindLXC {
				mac, _ := optValue(v, "hwaddr")
				conf[k] = strings.Replace(v, "hwaddr="+mac, "hwaddr="+s.c.newMAC(), 1)
			} else {
				first, rest, _ := strings.Cut(v, ",")
				model, _, _ := strings.Cut(first, "=")
				conf[k] = model + "=" + s.c.newMAC() + "," + rest
			}
		case isDiskKey(k) && strings.Contains(v, "cloudinit"):
			st, _, _ := strings.Cut(volumeOf(v), ":")
			conf[k] = fmt.Sprintf("%s:vm-%d-cloudinit,media=cdrom", st, newid)
		case isDiskKey(k) && !strings.Contains(v, "media=cdrom"):
			vol := volumeOf(v)
			st, name, _ := strings.Cut(vol, ":")
			_, opts, _ := strings.Cut(v, ",")
			if storage != "" && full {
				st = storage
			}
			newName := fmt.Sprintf("vm-%d-disk-%d", newid, idx)
			if !full {
				newName = name + "/" + newName
			}
			idx++
			conf[k] = st + ":" + newName + "," + opts
			lines = append(lines, fmt.Sprintf("create full clone of drive %s (%s)", k, vol))
		}
	}
	if kind == kindQemu {
		conf["smbios1"] = "uuid=" + s.c.newUUID()
		conf["vmgenid"] = s.c.newUUID()
		name := "Copy-of-VM-" + src.name
		if v, _ := c.param("name"); v != "" {
			name = v
		}
		conf["name"] = name
	} else {
		name := "Copy-of-CT-" + src.name
		if v, _ := c.param("hostname"); v != "" {
			name = v
		}
		conf["hostname"] = name
	}
	if v, ok := c.param("description"); ok {
		conf["description"] = v
	}
	g.conf = conf
	g.lock = "clone"
	s.c.addGuest(g)
	t := s.startTask(c.now, src.node, taskType(kind, "qmclone", "vzclone"), strconv.Itoa(src.vmid), c.caller.id(), func(time.Time) string {
		g, ok := s.c.guests[newid]
		if !ok {
			return fmt.Sprintf("clone failed: guest %d vanished", newid)
		}
		g.lock = ""
		g.changed()
		return ""
	})
	t.onFail = func() {
		if g, ok := s.c.guests[newid]; ok && g.lock == "clone" {
			s.c.removeGuest(newid)
		}
	}
	t.log = lines
	return t.upid, nil
}

func (s *Sim) hMigrate(c *call, kind string) (any, error) {
	target, _ := c.param("target")
	if target == "" {
		return nil, missingParam("target")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked(c.now)
	g, err := s.c.findGuest(kind, c.vars["node"], c.vars["vmid"])
	if err != nil {
		return nil, err
	}
	if err := checkLock(g, c); err != nil {
		return nil, err
	}
	if _, err := s.c.findNode(target); err != nil {
		return nil, err
	}
	if target == g.node {
		return nil, errf("target is local node.")
	}
	if g.running {
		if kind == kindQemu && !c.flag("online") {
			return nil, errf("can't migrate running VM without --online")
		}
		if kind == kindLXC && !c.flag("restart") {
			return nil, errf("CT %d is running - use restart migration", g.vmid)
		}
	}
	vmid, src := g.vmid, g.node
	g.lock = "migrate"
	g.changed()
	lines := []string{
		fmt.Sprintf("starting migration of %s %d to node '%s' (%s)", map[string]string{kindQemu: "VM", kindLXC: "CT"}[kind], vmid, target, s.c.nodeByName[target].ip),
	}
	t := s.startTask(c.now, src, taskType(kind, "qmigrate", "vzmigrate"), strconv.Itoa(vmid), c.caller.id(), func(at time.Time) string {
		g, ok := s.c.guests[vmid]
		if !ok {
			return fmt.Sprintf("Configuration file '%s' does not exist", confPath(kind, src, vmid))
		}
		g.node, g.lock = target, ""
		if g.running && kind == kindLXC {
			g.started = at
		}
		g.changed()
		return ""
	})
	t.onFail = func() {
		if g, ok := s.c.guests[vmid]; ok && g.lock == "migrate" {
			g.lock = ""
			g.changed()
		}
	}
	t.log = append(lines, "migration finished successfully (duration 00:00:01)")
	return t.upid, nil
}

var resizeRE = regexp.MustCompile(`^(\+?)(\d+(?:\.\d+)?)([KMGT]?)$`)

func (s *Sim) hResize(c *call, kind string) (any, error) {
	disk, _ := c.param("disk")
	if disk == "" {
		return nil, missingParam("disk")
	}
	sizeStr, _ := c.param("size")
	if sizeStr == "" {
		return nil, missingParam("size")
	}
	m := resizeRE.FindStringSubmatch(sizeStr)
	if m == nil {
		return nil, paramErr1("size", "value does not match the regex pattern")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked(c.now)
	g, err := s.c.findGuest(kind, c.vars["node"], c.vars["vmid"])
	if err != nil {
		return nil, err
	}
	if d, ok := c.param("digest"); ok && d != "" && d != g.getDigest() {
		return nil, errf("checksum mismatch (file change by other user?)")
	}
	if err := checkLock(g, c); err != nil {
		return nil, err
	}
	cur, ok := g.conf[disk]
	if !ok || !isDiskKey(disk) {
		return nil, errf("disk '%s' does not exist", disk)
	}
	if strings.Contains(cur, "media=cdrom") {
		return nil, errf("you can't resize a cdrom")
	}
	amount, perr := parseSize(m[2] + m[3])
	if perr != nil {
		return nil, paramErr1("size", perr.Error())
	}
	old := diskSize(cur)
	newSize := amount
	if m[1] == "+" {
		newSize = old + amount
	}
	if newSize < old {
		return nil, errf("shrinking disks is not supported")
	}
	vmid := g.vmid
	t := s.startTask(c.now, g.node, "resize", strconv.Itoa(vmid), c.caller.id(), func(time.Time) string {
		g, ok := s.c.guests[vmid]
		if !ok {
			return "guest vanished"
		}
		v, ok := g.conf[disk]
		if !ok {
			return fmt.Sprintf("disk '%s' does not exist", disk)
		}
		conf := copyConf(g.conf)
		conf[disk] = setOpt(v, "size", formatSize(newSize))
		g.conf = conf
		g.changed()
		return ""
	})
	t.log = []string{fmt.Sprintf("  Size of logical volume pve/%s changed from %s to %s.", strings.SplitN(volumeOf(cur), ":", 2)[len(strings.SplitN(volumeOf(cur), ":", 2))-1], formatSize(old), formatSize(newSize))}
	return t.upid, nil
}

func (s *Sim) hTemplate(c *call, kind string) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceLocked(c.now)
	g, err := s.c.findGuest(kind, c.vars["node"], c.vars["vmid"])
	if err != nil {
		return nil, err
	}
	if err := checkLock(g, c); err != nil {
		return nil, err
	}
	if g.tmpl {
		return nil, errf("you can't convert a template to a template")
	}
	if g.running {
		return nil, errf("you can't convert a %s to template if it's running", map[string]string{kindQemu: "VM", kindLXC: "CT"}[kind])
	}
	vmid := g.vmid
	convert := func(g *guest) {
		conf := copyConf(g.conf)
		for k, v := range conf {
			if isDiskKey(k) && !strings.Contains(v, "media=cdrom") {
				conf[k] = strings.Replace(v, fmt.Sprintf("vm-%d-disk-", vmid), fmt.Sprintf("base-%d-disk-", vmid), 1)
			}
		}
		conf["template"] = "1"
		g.conf = conf
		g.changed()
	}
	if kind == kindLXC {
		// pve-container converts synchronously and returns null (schema: returns null)
		convert(g)
		return nil, nil
	}
	t := s.startTask(c.now, g.node, "qmtemplate", strconv.Itoa(vmid), c.caller.id(), func(time.Time) string {
		g, ok := s.c.guests[vmid]
		if !ok {
			return "guest vanished"
		}
		convert(g)
		return ""
	})
	return t.upid, nil
}
