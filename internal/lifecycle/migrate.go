package lifecycle

import (
	"context"
	"net/url"
	"slices"
	"strings"

	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
)

// MigrateRequest asks to move a guest to another node.
type MigrateRequest struct {
	Guest  inventory.Guest
	Target string
	// Online demands a live migration (VMs only); a running VM migrates
	// live anyway.
	Online bool
	// Restart allows the restart migration of a running container (it
	// stops, moves and starts again).
	Restart bool
}

// PlanMigrate validates a migration (target node online and not the
// current one, --online only for running VMs, running containers only with
// Restart, local disks' storages present on the target) and plans it. A
// running VM migrates with online=1, and with-local-disks=1 when it has
// disks on local storage.
func (s *Service) PlanMigrate(ctx context.Context, req MigrateRequest) (Plan, error) {
	g := req.Guest
	if req.Target == "" {
		return Plan{}, &ValidationError{What: "target node", Problem: "missing", Fix: "pass --to NODE"}
	}
	if req.Target == g.Node {
		return Plan{}, &ValidationError{What: "target node", Value: req.Target, Problem: Label(g) + " is already there", Fix: "pick another node with --to"}
	}
	if err := s.checkNode(ctx, req.Target); err != nil {
		return Plan{}, err
	}
	running := strings.EqualFold(g.Status, "running")
	form := url.Values{"target": {req.Target}}
	if g.Type == inventory.TypeCT {
		switch {
		case req.Online:
			return Plan{}, &ValidationError{What: "option", Value: "--online", Problem: "containers cannot migrate live", Fix: "pass --restart to stop, move and start " + Label(g)}
		case running && !req.Restart:
			return Plan{}, &ValidationError{What: "guest", Value: Label(g), Problem: "is running; PVE moves running containers by restarting them", Fix: "pass --restart to accept the short downtime, or stop it first"}
		case running:
			form.Set("restart", "1")
		}
	} else {
		switch {
		case req.Online && !running:
			return Plan{}, &ValidationError{What: "option", Value: "--online", Problem: Label(g) + " is not running", Fix: "drop --online: a stopped VM migrates offline"}
		case req.Restart:
			return Plan{}, &ValidationError{What: "option", Value: "--restart", Problem: "applies to containers only", Fix: "drop --restart: a running VM migrates live"}
		case running:
			form.Set("online", "1")
		}
	}
	disks, _, err := s.guestDisks(ctx, g)
	if err != nil {
		return Plan{}, err
	}
	local, err := s.localStorages(ctx, g.Node, disks)
	if err != nil {
		return Plan{}, err
	}
	for _, st := range local {
		if _, err := s.checkStorage(ctx, req.Target, st, contentOf(g.Type), 0); err != nil {
			return Plan{}, err
		}
	}
	if running && g.Type == inventory.TypeVM && len(local) > 0 {
		form.Set("with-local-disks", "1")
	}
	p := Plan{Verb: "migrate", Warnings: guestWarnings(g)}
	p.Steps = []Step{{Action: "migrate", Guest: g, Call: Call{Method: "POST", Path: guestPath(g) + "/migrate", Params: form}}}
	return p, nil
}

// localStorages returns the non-shared storages (sorted) that hold disks.
func (s *Service) localStorages(ctx context.Context, node string, disks []guestDisk) ([]string, error) {
	if len(disks) == 0 {
		return nil, nil
	}
	list, err := s.client.Storage(ctx, node)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range disks {
		i := slices.IndexFunc(list, func(st pve.Storage) bool { return st.Storage == d.Storage })
		if (i < 0 || !bool(list[i].Shared)) && !slices.Contains(out, d.Storage) {
			out = append(out, d.Storage)
		}
	}
	slices.Sort(out)
	return out, nil
}
