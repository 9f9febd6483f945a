package discovery

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// Resource types of Change.ResourceType.
const (
	ResourceGuest    = "guest"
	ResourceNode     = "node"
	ResourceStorage  = "storage"
	ResourceNetwork  = "network"
	ResourceVolume   = "volume"
	ResourceSnapshot = "snapshot"
)

// Summary counts guests: added, changed (at least one field), removed and
// unchanged. Changes to nodes, storages and the rest are in the change
// list only.
type Summary struct {
	Added, Changed, Removed, Unchanged int
	Duration                           time.Duration
}

// String is "+3 new, ~2 changed, -1 removed in 1.2s".
func (s Summary) String() string {
	secs := fmt.Sprintf("%.1fs", s.Duration.Seconds())
	if s.Duration < 100*time.Millisecond {
		secs = fmt.Sprintf("%.2fs", s.Duration.Seconds())
	}
	return fmt.Sprintf("+%d new, ~%d changed, -%d removed in %s", s.Added, s.Changed, s.Removed, secs)
}

// field is one compared value of a resource.
type field struct{ name, value string }

// Diff compares two inventories and returns the field-level changes,
// ordered by resource type (guests, snapshots, nodes, storages, networks,
// volumes), then key, then field. Guests are matched by VMID, so a guest
// that moved node is one change of its "node" field. Volatile values
// (uptime, usage, used bytes, the digest alone, first/last seen) are not
// compared.
func Diff(prev, next state.Inventory, syncID int64, at time.Time) ([]state.Change, Summary) {
	d := differ{syncID: syncID, at: at}
	var sum Summary

	// guests
	oldG := make(map[int]*state.Guest, len(prev.Guests))
	for i := range prev.Guests {
		oldG[prev.Guests[i].VMID] = &prev.Guests[i]
	}
	newG := make(map[int]*state.Guest, len(next.Guests))
	for i := range next.Guests {
		newG[next.Guests[i].VMID] = &next.Guests[i]
	}
	for _, id := range unionInts(oldG, newG) {
		o, n := oldG[id], newG[id]
		key := "guest/" + strconv.Itoa(id)
		switch {
		case o == nil:
			sum.Added++
			d.add(ResourceGuest, key, n.Name, state.ChangeCreated, "", "", "")
		case n == nil:
			sum.Removed++
			d.add(ResourceGuest, key, o.Name, state.ChangeRemoved, "", "", "")
		default:
			if d.fields(ResourceGuest, key, n.Name, guestFields(o), guestFields(n)) {
				sum.Changed++
			} else {
				sum.Unchanged++
			}
		}
	}

	diffKeyed(&d, ResourceSnapshot, prev.Snapshots, next.Snapshots, snapshotKey, func(s state.Snapshot) string { return s.Name }, snapshotFields)
	diffKeyed(&d, ResourceNode, prev.Nodes, next.Nodes, nodeKey, func(n state.Node) string { return n.Name }, nodeFields)
	diffKeyed(&d, ResourceStorage, prev.Storages, next.Storages, storageKey, func(s state.Storage) string { return s.Name }, storageFields)
	diffKeyed(&d, ResourceNetwork, prev.Networks, next.Networks, networkKey, func(n state.Network) string { return n.Name }, networkFields)
	diffKeyed(&d, ResourceVolume, prev.Volumes, next.Volumes, volumeKey, func(v state.Volume) string { return v.Volid }, volumeFields)
	return d.out, sum
}

type differ struct {
	syncID int64
	at     time.Time
	out    []state.Change
}

func (d *differ) add(typ, key, name, kind, fieldName, old, new string) {
	d.out = append(d.out, state.Change{
		SyncID: d.syncID, At: d.at, ResourceType: typ, ResourceKey: key, Name: name,
		Kind: kind, Field: fieldName, Old: old, New: new,
	})
}

// fields compares two field lists of the same resource (both in the same
// canonical order: fixed fields, then sorted config keys) and reports
// whether anything changed.
func (d *differ) fields(typ, key, name string, old, new []field) bool {
	changed := false
	i, j := 0, 0
	for i < len(old) || j < len(new) {
		switch {
		case j == len(new) || (i < len(old) && fieldLess(old[i].name, new[j].name)):
			d.add(typ, key, name, state.ChangeUpdated, old[i].name, old[i].value, "")
			changed = true
			i++
		case i == len(old) || fieldLess(new[j].name, old[i].name):
			d.add(typ, key, name, state.ChangeUpdated, new[j].name, "", new[j].value)
			changed = true
			j++
		default:
			if old[i].value != new[j].value {
				d.add(typ, key, name, state.ChangeUpdated, old[i].name, old[i].value, new[j].value)
				changed = true
			}
			i++
			j++
		}
	}
	return changed
}

// fieldLess orders field names: the fixed fields (no "config." prefix)
// first, sorted; config keys after them, sorted.
func fieldLess(a, b string) bool {
	ca, cb := strings.HasPrefix(a, "config."), strings.HasPrefix(b, "config.")
	if ca != cb {
		return cb
	}
	return a < b
}

func diffKeyed[T any](d *differ, typ string, prev, next []T, key func(T) string, name func(T) string, fields func(T) []field) {
	oldM := make(map[string]T, len(prev))
	for _, x := range prev {
		oldM[key(x)] = x
	}
	newM := make(map[string]T, len(next))
	for _, x := range next {
		newM[key(x)] = x
	}
	keys := make([]string, 0, len(oldM)+len(newM))
	for k := range oldM {
		keys = append(keys, k)
	}
	for k := range newM {
		if _, ok := oldM[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, compareKeys)
	for _, k := range keys {
		o, inOld := oldM[k]
		n, inNew := newM[k]
		switch {
		case !inOld:
			d.add(typ, k, name(n), state.ChangeCreated, "", "", "")
		case !inNew:
			d.add(typ, k, name(o), state.ChangeRemoved, "", "", "")
		default:
			d.fields(typ, k, name(n), fields(o), fields(n))
		}
	}
}

// compareKeys orders keys segment by segment, numbers numerically
// ("snapshot/9/a" before "snapshot/100/a").
func compareKeys(a, b string) int {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	for i := 0; i < len(as) && i < len(bs); i++ {
		if as[i] == bs[i] {
			continue
		}
		x, errX := strconv.Atoi(as[i])
		y, errY := strconv.Atoi(bs[i])
		if errX == nil && errY == nil {
			return x - y
		}
		return strings.Compare(as[i], bs[i])
	}
	return len(as) - len(bs)
}

func unionInts[V any](a, b map[int]V) []int {
	out := make([]int, 0, len(a)+len(b))
	for k := range a {
		out = append(out, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// Resource keys.
func nodeKey(n state.Node) string       { return "node/" + n.Name }
func storageKey(s state.Storage) string { return "storage/" + s.Node + "/" + s.Name }
func networkKey(n state.Network) string { return "network/" + n.Node + "/" + n.Name }

// volumeKey is "volume/<volid>" for shared storage and
// "volume/<node>/<volid>" for node-local storage, where the same volid
// exists on every node.
func volumeKey(v state.Volume) string {
	if v.Node == "" {
		return "volume/" + v.Volid
	}
	return "volume/" + v.Node + "/" + v.Volid
}

func snapshotKey(s state.Snapshot) string {
	return "snapshot/" + strconv.Itoa(s.VMID) + "/" + s.Name
}

func fmtBool(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func fmtInt(n int64) string { return strconv.FormatInt(n, 10) }

// guestFields are the compared fields of a guest; config keys follow,
// sorted, as "config.<key>". The lock config key is left out: the lock
// field carries it.
func guestFields(g *state.Guest) []field {
	out := []field{
		{"agent_ips", strings.Join(g.AgentIPs, ",")},
		{"cpus", strconv.FormatFloat(g.CPUs, 'f', -1, 64)},
		{"disk_bytes", fmtInt(g.DiskBytes)},
		{"ha_state", g.HAState},
		{"lock", g.Lock},
		{"memory_bytes", fmtInt(g.MemoryBytes)},
		{"name", g.Name},
		{"node", g.Node},
		{"pool", g.Pool},
		{"status", g.Status},
		{"tags", strings.Join(g.Tags, ";")},
		{"template", fmtBool(g.Template)},
		{"type", g.Type},
	}
	keys := make([]string, 0, len(g.Config))
	for k := range g.Config {
		if k == "lock" || k == "digest" {
			continue
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		out = append(out, field{"config." + k, g.Config[k]})
	}
	return out
}

func nodeFields(n state.Node) []field {
	return []field{
		{"cpus", strconv.Itoa(n.CPUs)},
		{"disk_bytes", fmtInt(n.DiskBytes)},
		{"memory_bytes", fmtInt(n.MemoryBytes)},
		{"ssl_fingerprint", n.SSLFingerprint},
		{"status", n.Status},
	}
}

// storageFields leave out used and total bytes: both drift (thin pools,
// ZFS, NFS) without anyone changing the storage.
func storageFields(s state.Storage) []field {
	return []field{
		{"content", strings.Join(s.Content, ",")},
		{"shared", fmtBool(s.Shared)},
		{"status", s.Status},
		{"type", s.Type},
	}
}

func networkFields(n state.Network) []field {
	return []field{
		{"active", fmtBool(n.Active)},
		{"cidr", n.CIDR},
		{"gateway", n.Gateway},
		{"ports", n.Ports},
		{"type", n.Type},
		{"vlan_aware", fmtBool(n.VLANAware)},
	}
}

func volumeFields(v state.Volume) []field {
	return []field{
		{"content", v.Content},
		{"size_bytes", fmtInt(v.SizeBytes)},
		{"storage", v.Storage},
	}
}

func snapshotFields(s state.Snapshot) []field {
	t := ""
	if s.Time != nil {
		t = s.Time.UTC().Format(time.RFC3339)
	}
	return []field{
		{"description", s.Description},
		{"parent", s.Parent},
		{"time", t},
		{"vmstate", fmtBool(s.VMState)},
	}
}
