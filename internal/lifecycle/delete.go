package lifecycle

import (
	"net/url"
	"strings"

	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
)

// DeleteRequest asks to destroy guests.
type DeleteRequest struct {
	Guests []inventory.Guest
	// Stop stops running guests first (POST .../status/stop, then DELETE).
	Stop bool
	// Force deletes guests tagged "protected".
	Force bool
	// Purge also removes the guest from backup jobs, replication and HA.
	Purge bool
}

// PlanDelete plans DELETE /nodes/{node}/{kind}/{vmid} per guest, preceded
// by a stop for running guests when Stop is set. Running guests without
// Stop give a *RunningError; protected guests a *ProtectedError unless
// Force. Disks that no config references are destroyed too
// (destroy-unreferenced-disks=1), as the PVE GUI does.
func (s *Service) PlanDelete(req DeleteRequest) (Plan, error) {
	p := Plan{Verb: "delete"}
	var protected, running []string
	for i, g := range req.Guests {
		if isProtected(g) && !req.Force {
			protected = append(protected, Label(g))
			continue
		}
		isRunning := !strings.EqualFold(g.Status, "stopped")
		if isRunning && !req.Stop {
			running = append(running, Label(g))
			continue
		}
		p.Warnings = append(p.Warnings, guestWarnings(g)...)
		if isRunning {
			p.Steps = append(p.Steps, Step{Action: VerbStop, Guest: g, Call: Call{Method: "POST", Path: guestPath(g) + "/status/stop"}, Group: i})
		}
		q := url.Values{"destroy-unreferenced-disks": {"1"}}
		if req.Purge {
			q.Set("purge", "1")
		}
		p.Steps = append(p.Steps, Step{Action: "delete", Guest: g, Call: Call{Method: "DELETE", Path: guestPath(g), Params: q}, Group: i})
	}
	switch {
	case len(protected) > 0:
		return Plan{}, &ProtectedError{Verb: "delete", Guests: protected}
	case len(running) > 0:
		return Plan{}, &RunningError{Guests: running}
	}
	return p, nil
}
