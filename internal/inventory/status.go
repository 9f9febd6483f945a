package inventory

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// Drift kinds: how a guest differs between the last sync and the server now.
const (
	DriftNew    = "new"
	DriftGone   = "gone"
	DriftStatus = "status"
	DriftNode   = "node"
	DriftName   = "name"
)

// GuestDrift is one difference between the stored and the live guest list.
type GuestDrift struct {
	VMID int    `json:"vmid"`
	Name string `json:"name"`
	Type string `json:"type"`
	Kind string `json:"kind"`
	Old  string `json:"old"`
	New  string `json:"new"`
}

// CompareGuests lists what changed on the server since the stored list was
// taken, from the cluster-wide resource fields only (no config reads):
// guests created or deleted, started or stopped, migrated, renamed.
func CompareGuests(stored, live []Guest) []GuestDrift {
	before := make(map[int]Guest, len(stored))
	for _, g := range stored {
		before[g.VMID] = g
	}
	var out []GuestDrift
	seen := make(map[int]bool, len(live))
	for _, g := range live {
		seen[g.VMID] = true
		old, ok := before[g.VMID]
		if !ok {
			out = append(out, GuestDrift{VMID: g.VMID, Name: g.Name, Type: g.Type, Kind: DriftNew, New: g.Node})
			continue
		}
		if old.Status != g.Status {
			out = append(out, GuestDrift{VMID: g.VMID, Name: g.Name, Type: g.Type, Kind: DriftStatus, Old: old.Status, New: g.Status})
		}
		if old.Node != g.Node {
			out = append(out, GuestDrift{VMID: g.VMID, Name: g.Name, Type: g.Type, Kind: DriftNode, Old: old.Node, New: g.Node})
		}
		if old.Name != g.Name {
			out = append(out, GuestDrift{VMID: g.VMID, Name: g.Name, Type: g.Type, Kind: DriftName, Old: old.Name, New: g.Name})
		}
	}
	for _, g := range stored {
		if !seen[g.VMID] {
			out = append(out, GuestDrift{VMID: g.VMID, Name: g.Name, Type: g.Type, Kind: DriftGone, Old: g.Node})
		}
	}
	slices.SortStableFunc(out, func(a, b GuestDrift) int { return cmp.Compare(a.VMID, b.VMID) })
	return out
}

// CountByStatus counts guests per status ("template" for templates).
func CountByStatus(gs []Guest) map[string]int {
	m := map[string]int{}
	for _, g := range gs {
		st := g.Status
		if g.Template {
			st = "template"
		}
		m[st]++
	}
	return m
}

// LastSync returns the newest successful sync of a state-backed Service.
func (s *Service) LastSync(ctx context.Context) (state.SyncRun, error) {
	if s.store == nil {
		return state.SyncRun{}, errors.New("last sync needs the state store")
	}
	if err := s.lastSync(ctx); err != nil {
		return state.SyncRun{}, err
	}
	run, err := s.store.LastSync(ctx)
	if err != nil {
		return state.SyncRun{}, fmt.Errorf("read last sync: %w", err)
	}
	return run, nil
}

// String renders a drift entry as one line.
func (d GuestDrift) String() string {
	id := d.Type + " " + strconv.Itoa(d.VMID) + " " + d.Name
	switch d.Kind {
	case DriftNew:
		return "+ " + id + " (new on " + d.New + ")"
	case DriftGone:
		return "- " + id + " (gone from " + d.Old + ")"
	}
	return "~ " + id + " " + d.Kind + ": " + d.Old + " → " + d.New
}
