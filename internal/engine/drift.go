package engine

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/terraform"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// DriftInputs are the three sides drift compares.
type DriftInputs struct {
	Code   *terraform.Code // terraform/ as it is now
	Live   []state.Guest   // a fresh read of the server
	Synced []state.Guest   // the last sync (the state store)
}

// DriftSide says which side moved away from the last sync.
type DriftSide string

// Drift sides.
const (
	DriftServer   DriftSide = "server"   // changed on the server since the last sync
	DriftCode     DriftSide = "code"     // changed in the code since the last sync
	DriftConflict DriftSide = "conflict" // changed on both sides, differently
	DriftMoved    DriftSide = "moved"    // moved to another node by migration or HA
	DriftUnknown  DriftSide = "unknown"  // code and server differ, and the last sync did not see the guest
)

// GuestField is the Field of a drift that concerns a whole guest (it
// exists on one side only).
const GuestField = "(guest)"

// Drift is one field of one guest that differs between the sides. Values
// are HCL literals as iac.Flatten renders them; "" = not set or absent.
type Drift struct {
	Address string    `json:"address,omitempty"`
	VMID    int       `json:"vmid"`
	Kind    iac.Kind  `json:"kind"`
	Name    string    `json:"name"`
	Field   string    `json:"field"`
	Server  string    `json:"server"`
	Code    string    `json:"code"`
	Sync    string    `json:"last_sync"`
	Side    DriftSide `json:"side"`
	What    string    `json:"what"` // in words
	Fix     string    `json:"fix"`  // the command(s) that reconcile it
}

// DriftReport is the result of CompareDrift.
type DriftReport struct {
	Drifts  []Drift      `json:"drift"`
	Summary DriftSummary `json:"summary"`
}

// DriftSummary counts a drift report.
type DriftSummary struct {
	Guests    int `json:"guests"` // guests with at least one drift
	Server    int `json:"server"`
	Code      int `json:"code"`
	Conflicts int `json:"conflicts"`
	Moved     int `json:"moved"`
	Unknown   int `json:"unknown"`
}

// Reconciling commands.
const (
	fixSyncOrApply = "`proxmox-mpc sync` adopts the server's value into the code; `proxmox-mpc apply` puts the code's back"
	fixApply       = "`proxmox-mpc apply`"
	fixConflict    = "edit the code to the value you want, then `proxmox-mpc apply` (or `proxmox-mpc sync` to take the server's)"
	fixMoved       = "adopt it with `proxmox-mpc sync`"
)

// CompareDrift compares, per guest and field, the server now, the code
// and the last sync, and says which side moved. Guests are matched by
// VMID (a code guest without one by kind and name). A guest whose node
// changed on the server only (migration, HA) is a move, not drift that
// wants a replace. Drifts are sorted by VMID, then field.
func CompareDrift(in DriftInputs) DriftReport {
	type trio struct {
		code         *terraform.Guest
		live, synced *state.Guest
	}
	byID := map[int]*trio{}
	var ids []int
	get := func(id int) *trio {
		t := byID[id]
		if t == nil {
			t = &trio{}
			byID[id] = t
			ids = append(ids, id)
		}
		return t
	}
	names := map[string]int{} // kind/name → vmid, -1 when ambiguous
	for _, side := range [][]state.Guest{in.Live, in.Synced} {
		for i := range side {
			g := &side[i]
			if g.RemovedAt != nil {
				continue
			}
			k := g.Type + "/" + g.Name
			if prev, ok := names[k]; ok && prev != g.VMID {
				names[k] = -1
			} else {
				names[k] = g.VMID
			}
		}
	}
	for i := range in.Live {
		if g := &in.Live[i]; g.RemovedAt == nil {
			get(g.VMID).live = g
		}
	}
	for i := range in.Synced {
		if g := &in.Synced[i]; g.RemovedAt == nil {
			get(g.VMID).synced = g
		}
	}
	var unnumbered []*terraform.Guest
	if in.Code != nil {
		for i := range in.Code.Guests {
			g := &in.Code.Guests[i]
			id := g.VMID
			if id == 0 {
				if n, ok := names[string(g.Kind)+"/"+g.Name]; ok && n > 0 && byID[n] != nil && byID[n].code == nil {
					id = n
				}
			}
			if id == 0 {
				unnumbered = append(unnumbered, g)
				continue
			}
			if t := get(id); t.code == nil {
				t.code = g
			}
		}
	}
	slices.Sort(ids)

	var rep DriftReport
	for _, id := range ids {
		t := byID[id]
		rep.Drifts = append(rep.Drifts, compareGuest(id, t.code, t.live, t.synced)...)
	}
	for _, g := range unnumbered {
		rep.Drifts = append(rep.Drifts, compareGuest(0, g, nil, nil)...)
	}
	guests := map[string]bool{}
	for _, d := range rep.Drifts {
		guests[strconv.Itoa(d.VMID)+"/"+d.Address] = true
		switch d.Side {
		case DriftServer:
			rep.Summary.Server++
		case DriftCode:
			rep.Summary.Code++
		case DriftConflict:
			rep.Summary.Conflicts++
		case DriftMoved:
			rep.Summary.Moved++
		case DriftUnknown:
			rep.Summary.Unknown++
		}
	}
	rep.Summary.Guests = len(guests)
	if rep.Drifts == nil {
		rep.Drifts = []Drift{}
	}
	return rep
}

// compareGuest compares one guest's three sides (any may be missing).
func compareGuest(vmid int, code *terraform.Guest, live, synced *state.Guest) []Drift {
	base := Drift{VMID: vmid}
	for _, g := range []*state.Guest{live, synced} {
		if g != nil {
			m := iac.FromState(*g)
			base.Kind, base.Name = m.Kind, g.Name
			base.Address = terraform.Address(m, terraform.ResourceName(m))
			break
		}
	}
	if code != nil {
		base.Kind, base.Name, base.Address = code.Kind, code.Name, code.Address
	}
	presence := func(side DriftSide, what, fix string) []Drift {
		d := base
		d.Field, d.Side, d.What, d.Fix = GuestField, side, what, fix
		d.Server, d.Code, d.Sync = present(live != nil), present(code != nil), present(synced != nil)
		return []Drift{d}
	}
	switch {
	case code == nil && live == nil:
		return nil // gone from both (or only ever in the last sync)
	case code == nil && synced == nil:
		return presence(DriftServer, "created on the server since the last sync", "adopt it with `proxmox-mpc sync`")
	case code == nil:
		return presence(DriftCode, "removed from the code", "`proxmox-mpc apply` deletes it; `proxmox-mpc sync` writes its code again")
	case live == nil && synced == nil:
		return presence(DriftCode, "new in the code", "`proxmox-mpc apply` creates it")
	case live == nil:
		return presence(DriftServer, "deleted on the server since the last sync",
			"`proxmox-mpc sync` removes it from the code; `proxmox-mpc apply` creates it again (with empty disks)")
	}
	want := code.Guest
	wantAttrs := iac.Flatten(want)
	wantMap := attrMap(wantAttrs)
	liveMap := attrMap(iac.Flatten(iac.FromState(*live)))
	var syncMap map[string]string
	if synced != nil {
		syncMap = attrMap(iac.Flatten(iac.FromState(*synced)))
	}
	sk := newSkipper(&want, wantMap)
	paths := make([]string, 0, len(wantMap)+len(liveMap))
	seen := make(map[string]bool, len(wantMap)+len(liveMap))
	for _, m := range []map[string]string{wantMap, liveMap, syncMap} {
		for p := range m {
			if !seen[p] {
				seen[p] = true
				paths = append(paths, p)
			}
		}
	}
	var out []Drift
	for _, p := range paths {
		if sk.skip(p) {
			continue
		}
		c, inCode := wantMap[p]
		if !inCode && sk.optional(p) {
			continue // the code leaves it to the server
		}
		l, s := liveMap[p], syncMap[p]
		d := base
		d.Field, d.Server, d.Code, d.Sync = p, l, c, s
		if synced == nil {
			if equalValue(p, c, l) {
				continue
			}
			d.Side, d.What, d.Fix = DriftUnknown, "differs; the last sync did not see this guest", fixSyncOrApply
			out = append(out, d)
			continue
		}
		ls, cs := equalValue(p, l, s), equalValue(p, c, s)
		switch {
		case ls && cs:
			continue
		case !ls && cs && p == "node_name":
			d.Side, d.What, d.Fix = DriftMoved, "moved to "+unquote(l)+" by migration/HA", fixMoved
		case !ls && cs:
			d.Side, d.What, d.Fix = DriftServer, "changed on the server since the last sync", fixSyncOrApply
		case ls && !cs:
			d.Side, d.What, d.Fix = DriftCode, "changed in the code", fixApply
		case equalValue(p, c, l):
			continue // both moved the same way: nothing to reconcile
		default:
			d.Side, d.What, d.Fix = DriftConflict, "conflict: changed on the server and in the code", fixConflict
		}
		out = append(out, d)
	}
	// Fields in the order the code writes them, others after by path.
	rank := make(map[string]int, len(wantAttrs))
	for i, a := range wantAttrs {
		rank[a.Path] = i + 1
	}
	r := func(p string) int {
		if n, ok := rank[p]; ok {
			return n
		}
		return len(wantAttrs) + 1
	}
	slices.SortFunc(out, func(a, b Drift) int {
		return cmp.Or(cmp.Compare(r(a.Field), r(b.Field)), strings.Compare(a.Field, b.Field))
	})
	return out
}

func attrMap(as []iac.Attr) map[string]string {
	m := make(map[string]string, len(as))
	for _, a := range as {
		m[a.Path] = a.Value
	}
	return m
}

func present(ok bool) string {
	if ok {
		return "present"
	}
	return ""
}

// unquote shows a rendered string value without its quotes.
func unquote(v string) string {
	if u, err := strconv.Unquote(v); err == nil && strings.HasPrefix(v, `"`) {
		return u
	}
	return v
}

// DriftValue is a value as a table shows it: strings without quotes, "-"
// for not set.
func DriftValue(v string) string {
	if v == "" {
		return "-"
	}
	return unquote(v)
}
