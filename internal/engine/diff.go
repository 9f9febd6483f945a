package engine

import (
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/terraform"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// DiffOptions tune Diff.
type DiffOptions struct {
	// Managed reports whether a live guest is (or was) managed by the code,
	// e.g. it was in the last sync and its code was removed since. Only
	// such guests are planned for deletion; nil manages none. Templates
	// are never deleted implicitly.
	Managed func(vmid int) bool
	// Files maps a resource address to its file (terraform.Code.Files).
	Files map[string]string
	// CodeHash and Now are copied into the plan.
	CodeHash string
	Now      time.Time
}

// Diff compares the guests of the code with the live guests and plans the
// changes. A desired guest is matched to a live one by VMID (vm_id, or the
// import block's node/vmid, which terraform.Read folds into VMID), or,
// when the code has no VMID, by kind and name when exactly one live guest
// of that kind has that name. Matched guests are compared attribute by
// attribute (iac.Flatten of the code's model against iac.FromState of the
// live guest) following what the provider compares.
func Diff(desired []terraform.Guest, live []state.Guest, opts DiffOptions) Plan {
	byID := make(map[int]int, len(live))
	byName := make(map[string][]int)
	for i, g := range live {
		if g.RemovedAt != nil {
			continue
		}
		byID[g.VMID] = i
		byName[g.Type+"/"+g.Name] = append(byName[g.Type+"/"+g.Name], i)
	}
	matched := make([]bool, len(live))
	// Guests with a VMID claim their live guest first, so a name match
	// never takes a guest that the code names by VMID.
	pair := make([]int, len(desired))
	for i, d := range desired {
		pair[i] = -1
		if d.VMID == 0 {
			continue
		}
		if li, ok := byID[d.VMID]; ok && !matched[li] {
			pair[i] = li
			matched[li] = true
		}
	}
	for i, d := range desired {
		if d.VMID != 0 {
			continue
		}
		var cand []int
		for _, li := range byName[string(d.Kind)+"/"+d.Name] {
			if !matched[li] {
				cand = append(cand, li)
			}
		}
		if len(cand) == 1 {
			pair[i] = cand[0]
			matched[cand[0]] = true
		}
	}

	plan := Plan{CreatedAt: opts.Now, CodeHash: opts.CodeHash}
	// Guests compare independently: in parallel, merged in order.
	changes := make([]GuestChange, len(desired))
	parallel(len(desired), func(i int) {
		if pair[i] < 0 {
			changes[i] = createChange(&desired[i])
		} else {
			changes[i] = compare(&desired[i], &live[pair[i]])
		}
	})
	for i := range desired {
		d, c := &desired[i], changes[i]
		if c.Action == NoOp {
			plan.NoOps++
			continue
		}
		c.File = opts.Files[d.Address]
		plan.Changes = append(plan.Changes, c)
	}
	for i := range live {
		l := &live[i]
		if matched[i] || l.RemovedAt != nil || l.Template || opts.Managed == nil || !opts.Managed(l.VMID) {
			continue
		}
		plan.Changes = append(plan.Changes, deleteChange(l))
	}
	slices.SortFunc(plan.Changes, func(a, b GuestChange) int {
		if c := strings.Compare(a.Address, b.Address); c != 0 {
			return c
		}
		return a.VMID - b.VMID
	})
	return plan
}

func createChange(d *terraform.Guest) GuestChange {
	g := d.Guest
	c := GuestChange{
		Address: d.Address, Kind: g.Kind, VMID: g.VMID, Node: g.Node, Name: g.Name,
		Action: Create, Disruption: None, Desired: &g,
	}
	for _, a := range iac.Flatten(g) {
		c.Attrs = append(c.Attrs, AttrChange{Path: a.Path, New: a.Value, Disruption: None})
	}
	return c
}

func deleteChange(l *state.Guest) GuestChange {
	m := iac.FromState(*l)
	c := GuestChange{
		Address: terraform.Address(m, terraform.ResourceName(m)), Kind: m.Kind, VMID: l.VMID, Node: l.Node, Name: l.Name,
		Action: Delete, Disruption: DataLoss, Digest: l.Digest, Live: l,
	}
	for _, a := range iac.Flatten(m) {
		c.Attrs = append(c.Attrs, AttrChange{Path: a.Path, Old: a.Value, Disruption: DataLoss})
	}
	return c
}

// compare plans the change of one matched guest.
func compare(d *terraform.Guest, l *state.Guest) GuestChange {
	want := d.Guest
	c := GuestChange{
		Address: d.Address, Kind: want.Kind, VMID: l.VMID, Node: l.Node, Name: l.Name,
		Action: NoOp, Disruption: None, Digest: l.Digest, Desired: &want, Live: l,
	}
	if want.Kind != iac.Kind(l.Type) {
		// The VMID belongs to a guest of the other kind: the code's guest
		// cannot be created with it.
		c.Action = Create
		c.Attrs = []AttrChange{{Path: "vm_id", New: strconv.Itoa(l.VMID), Disruption: None, Reason: ReasonVMIDInUse}}
		c.Live = nil
		c.Digest = ""
		return c
	}
	have := iac.FromState(*l)
	if sameModel(want, have) {
		return c // the common case: no attribute to compare
	}
	cx := newClassifier(&want, &have, l)
	wantAttrs, haveAttrs := iac.Flatten(want), iac.Flatten(have)
	haveMap := make(map[string]string, len(haveAttrs))
	for _, a := range haveAttrs {
		haveMap[a.Path] = a.Value
	}
	wantMap := make(map[string]string, len(wantAttrs))
	for _, a := range wantAttrs {
		wantMap[a.Path] = a.Value
	}
	sk := newSkipper(&want, wantMap)
	for _, a := range wantAttrs {
		if sk.skip(a.Path) {
			continue
		}
		old := haveMap[a.Path]
		if equalValue(a.Path, old, a.Value) {
			continue
		}
		c.Attrs = append(c.Attrs, cx.classify(a.Path, old, a.Value))
	}
	for _, a := range haveAttrs {
		if _, ok := wantMap[a.Path]; ok || sk.skip(a.Path) || sk.optional(a.Path) {
			continue
		}
		c.Attrs = append(c.Attrs, cx.classify(a.Path, a.Value, ""))
	}
	if len(c.Attrs) == 0 {
		return c
	}
	c.Action = Update
	for _, a := range c.Attrs {
		if a.Disruption == Recreate || a.Disruption == DataLoss && a.Reason != ReasonDiskRemoved && a.Reason != ReasonShrink {
			c.Action = Replace
		}
	}
	for _, a := range c.Attrs {
		c.Disruption = Worse(c.Disruption, a.Disruption)
	}
	return c
}

// equalValue compares two rendered values as the provider does.
func equalValue(path, a, b string) bool {
	if a == b {
		return true
	}
	switch path {
	case "tags", "disk.mount_options":
		return sameSet(a, b)
	case "description":
		return normDescription(a) == normDescription(b)
	}
	return false
}

// sameSet compares two rendered string lists ignoring order.
func sameSet(a, b string) bool {
	as, bs := splitRendered(a), splitRendered(b)
	slices.Sort(as)
	slices.Sort(bs)
	return slices.Equal(as, bs)
}

func splitRendered(v string) []string {
	v = strings.TrimSuffix(strings.TrimPrefix(v, "["), "]")
	if v == "" {
		return nil
	}
	return strings.Split(v, ", ")
}

// normDescription drops what PVE and the provider do not compare:
// trailing whitespace and CRLF line ends (ADOPTION §4).
func normDescription(v string) string {
	v = strings.ReplaceAll(v, `\r\n`, `\n`)
	v = strings.TrimSuffix(v, `"`)
	for {
		t := strings.TrimRight(v, " \t")
		t = strings.TrimSuffix(t, `\n`)
		if t == v {
			return v
		}
		v = t
	}
}

// skipper knows which attributes the comparison leaves out for a desired
// guest: lifecycle.ignore_changes, and attributes the provider suppresses
// when the code leaves them out (ADOPTION §3.5, §4).
type skipper struct {
	ignored  map[string]bool
	noDisks  bool
	wantHas  map[string]string
	isVM     bool
	noVGA    bool
	noTags   bool
	noBootOr bool
}

func newSkipper(g *iac.Guest, wantMap map[string]string) *skipper {
	s := &skipper{ignored: map[string]bool{}, wantHas: wantMap, isVM: g.Kind == iac.KindVM, noTags: len(g.Tags) == 0}
	for _, ig := range g.Ignore {
		s.ignored[ig.Attr] = true
	}
	if g.VM != nil {
		s.noDisks = len(g.VM.Disks) == 0
		s.noVGA = g.VM.VGA == nil
		s.noBootOr = len(g.VM.BootOrder) == 0
	}
	return s
}

// root is the first segment of a path ("disk" of "disk[scsi0].size").
func root(path string) string {
	if i := strings.IndexAny(path, ".["); i >= 0 {
		return path[:i]
	}
	return path
}

func (s *skipper) skip(path string) bool {
	r := root(path)
	switch {
	case s.ignored[r], r == "clone":
		return true
	case r == "tags":
		return s.noTags
	case s.isVM && r == "disk":
		return s.noDisks
	case s.isVM && r == "vga":
		return s.noVGA
	case s.isVM && r == "boot_order":
		return s.noBootOr
	}
	return false
}

// optional reports whether a live attribute that the code does not set is
// left alone by the provider (optional + computed).
func (s *skipper) optional(path string) bool {
	switch {
	case strings.HasSuffix(path, ".mac_address"):
		return true
	case path == "pool_id", path == "hotplug", path == "cpu.units":
		return true
	case path == "initialization.interface", path == "initialization.datastore_id", path == "initialization.type", path == "initialization.upgrade":
		return true
	case strings.HasPrefix(path, "disk[") && (strings.HasSuffix(path, ".size") || strings.HasSuffix(path, ".file_format")):
		// A disk element the code has, without size/format: optional.
		return s.wantHas[elementOf(path)+".interface"] != ""
	}
	return false
}

// elementOf returns the list element a path is in ("disk[scsi0]",
// "initialization.ip_config[1]"), or "" for a plain attribute.
func elementOf(path string) string {
	if i := strings.IndexByte(path, ']'); i >= 0 {
		return path[:i+1]
	}
	return ""
}

// parallel runs fn(0..n-1) on GOMAXPROCS workers in chunks and waits.
func parallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/256+1)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	const chunk = 128
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				lo := int(next.Add(chunk)) - chunk
				if lo >= n {
					return
				}
				for i := lo; i < min(lo+chunk, n); i++ {
					fn(i)
				}
			}
		})
	}
	wg.Wait()
}

// sameModel reports whether two models are equal in everything the
// writer writes as attributes (a fast path before the attribute compare,
// which would find no change either).
func sameModel(a, b iac.Guest) bool {
	for _, g := range []*iac.Guest{&a, &b} {
		g.Unmapped, g.HA, g.Clone, g.VMID = nil, nil, nil, 0
		if g.Kind == iac.KindCT {
			g.Pool = ""
		}
	}
	b.Ignore = a.Ignore // the code's lifecycle is not a live value
	b.PreventDestroy = a.PreventDestroy
	return reflect.DeepEqual(a, b)
}
