package ansible

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// hostVars are the variables of one host. Field order is the output order
// (alphabetical, as ansible-inventory prints them). Only these values are
// ever written: nothing secret (cipassword, sshkeys, ...) can leak.
type hostVars struct {
	AnsibleHost   string   `json:"ansible_host,omitempty"`
	AnsibleUser   string   `json:"ansible_user,omitempty"`
	ProxmoxName   string   `json:"proxmox_name,omitempty"`
	ProxmoxNode   string   `json:"proxmox_node"`
	ProxmoxPool   string   `json:"proxmox_pool,omitempty"`
	ProxmoxStatus string   `json:"proxmox_status"`
	ProxmoxTags   []string `json:"proxmox_tags"`
	ProxmoxType   string   `json:"proxmox_type"`
	ProxmoxVMID   int      `json:"proxmox_vmid"`
}

type host struct {
	name  string
	guest *state.Guest
	vars  hostVars
}

// model is the inventory: hosts sorted by name, groups sorted by name with
// their hosts sorted by name.
type model struct {
	hosts  []*host
	groups []group
}

type group struct {
	name  string
	hosts []string
}

func build(guests []state.Guest, opts Options) model {
	names := hostNames(guests)
	m := model{hosts: make([]*host, 0, len(guests))}
	for i := range guests {
		g := &guests[i]
		if g.Template && opts.SkipTemplates {
			continue
		}
		m.hosts = append(m.hosts, &host{name: names[g.VMID], guest: g, vars: varsOf(g)})
	}
	slices.SortFunc(m.hosts, func(a, b *host) int { return strings.Compare(a.name, b.name) })
	// Hosts join their groups in name order, so members come out sorted.
	members := map[string][]string{}
	gn := groupNamer{}
	for _, h := range m.hosts {
		for _, grp := range gn.groupsOf(h.guest) {
			if ms := members[grp]; len(ms) == 0 || ms[len(ms)-1] != h.name {
				members[grp] = append(ms, h.name)
			}
		}
	}
	m.groups = make([]group, 0, len(members))
	for name, hosts := range members {
		m.groups = append(m.groups, group{name: name, hosts: hosts})
	}
	slices.SortFunc(m.groups, func(a, b group) int { return strings.Compare(a.name, b.name) })
	return m
}

// groupNamer names groups, remembering sanitised names: guests share few
// nodes, tags, pools and statuses.
type groupNamer map[[2]string]string

// groupsOf returns the groups of a guest; a template is only in templates.
func (gn groupNamer) groupsOf(g *state.Guest) []string {
	if g.Template {
		return []string{TemplatesGroup}
	}
	out := make([]string, 0, 4+len(g.Tags))
	add := func(prefix, v string) {
		if v == "" {
			return
		}
		k := [2]string{prefix, v}
		name, ok := gn[k]
		if !ok {
			name = prefix + sanitize(v)
			gn[k] = name
		}
		out = append(out, name)
	}
	add("node_", g.Node)
	add("type_", g.Type)
	add("status_", g.Status)
	add("pool_", g.Pool)
	for _, t := range g.Tags {
		add("tag_", t)
	}
	return out
}

// sanitize lowercases s and maps every character outside [a-z0-9_] to '_'.
func sanitize(s string) string {
	if s == "" {
		return ""
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

func varsOf(g *state.Guest) hostVars {
	tags := make([]string, len(g.Tags))
	copy(tags, g.Tags)
	v := hostVars{
		ProxmoxName: g.Name, ProxmoxNode: g.Node, ProxmoxPool: g.Pool, ProxmoxStatus: g.Status,
		ProxmoxTags: tags, ProxmoxType: g.Type, ProxmoxVMID: g.VMID,
	}
	if !g.Template {
		v.AnsibleHost = Address(*g)
		if g.Type == state.TypeVM {
			v.AnsibleUser = g.Config["ciuser"]
		}
	}
	return v
}

// HostName is the inventory host name of g among all guests: its name
// when that is a valid host name ([A-Za-z0-9][A-Za-z0-9._-]*) held by no
// other guest (compared without case) and by no group; "<name>-<vmid>" for
// every guest sharing a name; "vm-<vmid>" or "ct-<vmid>" when it has no
// valid name. It is unique among all.
func HostName(g state.Guest, all []state.Guest) string {
	if n, ok := hostNames(all)[g.VMID]; ok {
		return n
	}
	return hostNames(append(slices.Clip(all), g))[g.VMID]
}

// hostNames gives every guest (by VMID) its unique inventory host name.
func hostNames(all []state.Guest) map[int]string {
	type cand struct {
		name    string
		derived bool // already carries the VMID: unique among derived names
		base    string
		vmid    int
	}
	cands := make([]cand, 0, len(all))
	taken := map[string]int{} // lowercased name → holders
	// Group names are [a-z0-9_]: only names of that form can clash, and
	// the groups are listed only when one does.
	var groups map[string]bool
	isGroup := func(key string) bool {
		if !groupLike(key) {
			return false
		}
		if groups == nil {
			groups = map[string]bool{TemplatesGroup: true}
			gn := groupNamer{}
			for i := range all {
				for _, grp := range gn.groupsOf(&all[i]) {
					groups[grp] = true
				}
			}
		}
		return groups[key]
	}
	for i := range all {
		g := &all[i]
		c := cand{name: g.Name, base: g.Name, vmid: g.VMID}
		if !validHostName(g.Name) {
			prefix := "vm"
			if g.Type == state.TypeCT {
				prefix = "ct"
			}
			c.name, c.base, c.derived = prefix+"-"+strconv.Itoa(g.VMID), prefix, true
		}
		cands = append(cands, c)
		taken[strings.ToLower(c.name)]++
	}
	// A plain name held twice, or equal to a group's name, takes the VMID.
	// A derived name is unique among derived names (the VMID is the part
	// after its last '-'), so only plain names ever need changing; each
	// changes at most once, so this ends.
	for {
		clash := func(name string) bool {
			key := strings.ToLower(name)
			return taken[key] > 1 || isGroup(key)
		}
		var renamed []int
		for i := range cands {
			if !cands[i].derived && clash(cands[i].name) {
				renamed = append(renamed, i)
			}
		}
		if len(renamed) == 0 {
			break
		}
		for _, i := range renamed {
			c := &cands[i]
			taken[strings.ToLower(c.name)]--
			c.name, c.derived = c.base+"-"+strconv.Itoa(c.vmid), true
			taken[strings.ToLower(c.name)]++
		}
	}
	out := make(map[int]string, len(cands))
	for _, c := range cands {
		out[c.vmid] = c.name
	}
	return out
}

// groupLike reports whether s could be a group name: [a-z0-9_] only.
func groupLike(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return s != ""
}

func validHostName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case (c == '-' || c == '.' || c == '_') && i > 0:
		default:
			return false
		}
	}
	return true
}

// Address is the address Ansible should connect to for g, or "" when
// unknown: the guest agent's first IPv4 address that is not loopback or
// link-local (else its first such IPv6 address); without agent addresses,
// the static address of the cloud-init ipconfigN (VM) or netN `ip=`
// (container) with the lowest N, IPv4 before IPv6. dhcp, auto and manual
// are not addresses.
func Address(g state.Guest) string {
	if a := agentAddress(g.AgentIPs); a != "" {
		return a
	}
	return configAddress(g.Type, g.Config)
}

func agentAddress(cidrs []string) string {
	var v6 string
	for _, c := range cidrs {
		a, ok := parseAddr(c)
		if !ok {
			continue
		}
		if a.Is4() {
			return a.String()
		}
		if v6 == "" {
			v6 = a.String()
		}
	}
	return v6
}

// parseAddr reads "ADDR/LEN" or "ADDR" and reports whether it is a usable
// unicast address (not loopback, link-local, multicast or unspecified).
func parseAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	var a netip.Addr
	if p, err := netip.ParsePrefix(s); err == nil {
		a = p.Addr()
	} else if x, err := netip.ParseAddr(s); err == nil {
		a = x
	} else {
		return netip.Addr{}, false
	}
	a = a.Unmap()
	// IsGlobalUnicast is false for loopback, link-local, multicast and
	// unspecified addresses, and true for private ones.
	if a.Zone() != "" || !a.IsGlobalUnicast() {
		return netip.Addr{}, false
	}
	return a, true
}

// maxNICs is PVE's number of network devices per guest: net0..net31, and
// ipconfig0..ipconfig31 for cloud-init.
const maxNICs = 32

// Config keys of the network devices, in order; read-only.
var (
	ipconfigKeys = numberedKeys("ipconfig")
	netKeys      = numberedKeys("net")
)

func numberedKeys(prefix string) []string {
	out := make([]string, maxNICs)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

// configAddress reads the static addresses of ipconfigN (VM) or netN (CT).
func configAddress(typ string, config map[string]string) string {
	keys := ipconfigKeys
	if typ == state.TypeCT {
		keys = netKeys
	}
	if len(config) == 0 {
		return ""
	}
	for _, family := range []string{"ip", "ip6"} {
		for _, k := range keys {
			if v, ok := config[k]; ok {
				if a := propAddress(v, family); a != "" {
					return a
				}
			}
		}
	}
	return ""
}

// propAddress returns the address in the key= item of a PVE property
// string ("ip=192.0.2.5/24,gw=192.0.2.1"), or "" when it is missing, not
// an address (dhcp, auto, manual) or not of the key's family.
func propAddress(prop, key string) string {
	for item := range strings.SplitSeq(prop, ",") {
		k, v, ok := strings.Cut(item, "=")
		if !ok || strings.TrimSpace(k) != key {
			continue
		}
		a, ok := parseAddr(v)
		if !ok || a.Is4() != (key == "ip") {
			return ""
		}
		return a.String()
	}
	return ""
}
