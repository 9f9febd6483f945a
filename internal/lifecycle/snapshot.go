package lifecycle

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/proxmox-mpc/proxmox-mpc/internal/diag"
	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
)

// Snapshot operations.
const (
	SnapCreate   = "create"
	SnapRollback = "rollback"
	SnapDelete   = "delete"
)

// snapNameRE is PVE's configid format (pve-common JSONSchema
// pve-configid), at most 40 characters.
var snapNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_\-]{0,39}$`)

// ValidateSnapshotName checks a snapshot name against PVE's rules.
func ValidateSnapshotName(name string) error {
	switch {
	case name == "":
		return &ValidationError{What: "snapshot name", Problem: "empty", Fix: "name the snapshot, e.g. before-upgrade"}
	case strings.EqualFold(name, "current") || strings.EqualFold(name, "vzdump"):
		return &ValidationError{What: "snapshot name", Value: name, Problem: "reserved by PVE", Fix: "choose another name, e.g. before-upgrade"}
	case !snapNameRE.MatchString(name):
		return &ValidationError{What: "snapshot name", Value: name, Problem: "must start with a letter and contain only letters, digits, - and _ (at most 40)", Fix: "e.g. before-upgrade or pre_2024_01"}
	}
	return nil
}

// SnapshotRequest asks for one snapshot operation on one guest.
type SnapshotRequest struct {
	Op          string // SnapCreate, SnapRollback, SnapDelete
	Guest       inventory.Guest
	Name        string
	Description string // create
	VMState     bool   // create, VMs only: include RAM
	Start       bool   // rollback, VMs only: start the VM afterwards
	Force       bool   // delete: remove the snapshot config even if removing disk snapshots fails
}

// Snapshot is one snapshot of a guest, for listing.
type Snapshot struct {
	Name        string `json:"name"`
	Parent      string `json:"parent"`
	Description string `json:"description"`
	VMState     bool   `json:"vmstate"`
	SnapTime    int64  `json:"snaptime"`
}

// Snapshots lists a guest's snapshots, oldest first, without the "current"
// pseudo-snapshot.
func (s *Service) Snapshots(ctx context.Context, g inventory.Guest) ([]Snapshot, error) {
	raw, err := s.client.Snapshots(ctx, g.Node, kindOf(g), g.VMID)
	if err != nil {
		return nil, err
	}
	out := make([]Snapshot, 0, len(raw))
	for _, r := range raw {
		if r.Name == "current" {
			continue
		}
		out = append(out, Snapshot{Name: r.Name, Parent: r.Parent, Description: strings.TrimSpace(r.Description), VMState: bool(r.VMState), SnapTime: int64(r.SnapTime)})
	}
	slices.SortStableFunc(out, func(a, b Snapshot) int { return int(a.SnapTime - b.SnapTime) })
	return out, nil
}

// PlanSnapshot validates a snapshot request (reading the guest's snapshot
// list) and plans its one call.
func (s *Service) PlanSnapshot(ctx context.Context, req SnapshotRequest) (Plan, error) {
	g := req.Guest
	if err := ValidateSnapshotName(req.Name); err != nil && req.Op == SnapCreate {
		return Plan{}, err
	}
	if g.Template && req.Op != SnapDelete {
		return Plan{}, &ValidationError{What: "guest", Value: Label(g), Problem: "is a template; PVE does not snapshot templates", Fix: "clone the template and snapshot the clone"}
	}
	if g.Type != inventory.TypeVM && (req.VMState || req.Start) {
		return Plan{}, &ValidationError{What: "option", Value: Label(g), Problem: "--vmstate and --start apply to VMs only", Fix: "drop the flag for containers"}
	}
	existing, err := s.Snapshots(ctx, g)
	if err != nil {
		return Plan{}, fmt.Errorf("read snapshots of %s: %w", Label(g), err)
	}
	names := make([]string, len(existing))
	for i, sn := range existing {
		names[i] = sn.Name
	}
	exists := slices.Contains(names, req.Name)
	base := guestPath(g) + "/snapshot"
	var call Call
	switch req.Op {
	case SnapCreate:
		if exists {
			return Plan{}, &ValidationError{What: "snapshot name", Value: req.Name, Problem: "already used by " + Label(g), Fix: "choose another name, or delete the old one with `proxmox-mpc snapshot delete " + g.Type + " " + guestRef(g) + " " + req.Name + "`"}
		}
		form := url.Values{"snapname": {req.Name}}
		if req.Description != "" {
			form.Set("description", req.Description)
		}
		if req.VMState {
			form.Set("vmstate", "1")
		}
		call = Call{Method: "POST", Path: base, Params: form}
	case SnapRollback, SnapDelete:
		if !exists {
			fix := "run `proxmox-mpc snapshot list " + g.Type + " " + guestRef(g) + "` to see its snapshots"
			if sug := diag.Suggest(req.Name, names); len(sug) > 0 {
				fix = "did you mean " + strings.Join(sug, " or ") + "?"
			}
			return Plan{}, &ValidationError{What: "snapshot", Value: req.Name, Problem: "not found on " + Label(g), Fix: fix}
		}
		if req.Op == SnapRollback {
			call = Call{Method: "POST", Path: base + "/" + url.PathEscape(req.Name) + "/rollback"}
			if req.Start {
				call.Params = url.Values{"start": {"1"}}
			}
		} else {
			call = Call{Method: "DELETE", Path: base + "/" + url.PathEscape(req.Name)}
			if req.Force {
				call.Params = url.Values{"force": {"1"}}
			}
		}
	default:
		return Plan{}, &ValidationError{What: "snapshot operation", Value: req.Op, Problem: "unknown", Fix: "use create, list, rollback or delete"}
	}
	p := Plan{Verb: "snapshot " + req.Op, Warnings: guestWarnings(g)}
	p.Steps = []Step{{Action: "snapshot-" + req.Op, Guest: g, Call: call}}
	return p, nil
}

func guestRef(g inventory.Guest) string {
	if g.Name != "" {
		return g.Name
	}
	return fmt.Sprint(g.VMID)
}
