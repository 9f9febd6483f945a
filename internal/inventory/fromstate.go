package inventory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// NotInStateError is returned for questions the state store cannot answer
// (tasks, connection checks): they need the live server.
type NotInStateError struct{ What string }

func (e *NotInStateError) Error() string { return e.What + " are not kept in the state store" }

// Hint says how to get the answer.
func (e *NotInStateError) Hint() string { return "ask the server: drop --from-state" }

// NoStateError is returned when no sync has been recorded yet.
type NoStateError struct{ Location string }

func (e *NoStateError) Error() string { return "no sync recorded in " + e.Location }

// Hint says how to fill the state.
func (e *NoStateError) Hint() string { return "run `proxmox-mpc sync` first" }

func (s *Service) lastSync(ctx context.Context) error {
	if _, err := s.store.LastSync(ctx); err != nil {
		if errors.Is(err, state.ErrNotFound) {
			info, _ := s.store.Info(ctx)
			return &NoStateError{Location: info.Location}
		}
		return fmt.Errorf("read state: %w", err)
	}
	return nil
}

func guestFromState(g *state.Guest) Guest {
	tags := g.Tags
	if tags == nil {
		tags = []string{}
	}
	return Guest{
		VMID: g.VMID, Name: g.Name, Type: g.Type, Node: g.Node, Status: g.Status, Template: g.Template,
		Tags: tags, Pool: g.Pool, HAState: g.HAState, Lock: g.Lock, CPUs: g.CPUs,
		MemoryBytes: g.MemoryBytes, MemoryUsedBytes: g.MemoryUsedBytes, DiskBytes: g.DiskBytes, UptimeSeconds: g.UptimeSeconds,
	}
}

func (s *Service) guestsFromState(ctx context.Context) ([]Guest, error) {
	if err := s.lastSync(ctx); err != nil {
		return nil, err
	}
	gs, err := s.store.Guests(ctx, state.GuestFilter{})
	if err != nil {
		return nil, fmt.Errorf("read guests from state: %w", err)
	}
	out := make([]Guest, len(gs))
	for i := range gs {
		out[i] = guestFromState(&gs[i])
	}
	slices.SortFunc(out, func(a, b Guest) int { return a.VMID - b.VMID })
	return out, nil
}

func (s *Service) inventory(ctx context.Context) (state.Inventory, error) {
	if err := s.lastSync(ctx); err != nil {
		return state.Inventory{}, err
	}
	inv, err := s.store.Inventory(ctx)
	if err != nil {
		return state.Inventory{}, fmt.Errorf("read state: %w", err)
	}
	return inv, nil
}

func (s *Service) nodesFromState(ctx context.Context) ([]Node, error) {
	inv, err := s.inventory(ctx)
	if err != nil {
		return nil, err
	}
	count := map[string]int{}
	for _, g := range inv.Guests {
		count[g.Node]++
	}
	out := make([]Node, 0, len(inv.Nodes))
	for _, n := range inv.Nodes {
		out = append(out, Node{
			Name: n.Name, Status: n.Status, CPUs: n.CPUs, CPUUsage: n.CPUUsage,
			MemoryBytes: n.MemoryBytes, MemoryUsedBytes: n.MemoryUsedBytes, DiskBytes: n.DiskBytes, DiskUsedBytes: n.DiskUsedBytes,
			UptimeSeconds: n.UptimeSeconds, Guests: count[n.Name], SSLFingerprint: n.SSLFingerprint,
		})
	}
	slices.SortFunc(out, func(a, b Node) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (s *Service) storagesFromState(ctx context.Context, node string) ([]Storage, error) {
	inv, err := s.inventory(ctx)
	if err != nil {
		return nil, err
	}
	var out []Storage
	for _, st := range inv.Storages {
		if node != "" && !strings.EqualFold(st.Node, node) {
			continue
		}
		row := Storage{Name: st.Name, Node: st.Node, Type: st.Type, Content: st.Content, Shared: st.Shared, Status: st.Status, UsedBytes: st.UsedBytes, TotalBytes: st.TotalBytes}
		if row.Content == nil {
			row.Content = []string{}
		}
		if row.TotalBytes > 0 {
			row.UsedFraction = float64(row.UsedBytes) / float64(row.TotalBytes)
		}
		out = append(out, row)
	}
	slices.SortFunc(out, func(a, b Storage) int {
		if c := strings.Compare(a.Node, b.Node); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

func (s *Service) volumeTemplatesFromState(ctx context.Context, out []Template) ([]Template, error) {
	inv, err := s.inventory(ctx)
	if err != nil {
		return nil, err
	}
	for _, v := range inv.Volumes {
		if v.Content != "vztmpl" {
			continue
		}
		name := v.Volid
		if _, after, ok := strings.Cut(name, "/"); ok {
			name = after
		}
		out = append(out, Template{Name: name, Type: "vztmpl", Node: v.Node, Volid: v.Volid, Storage: v.Storage, SizeBytes: v.SizeBytes})
	}
	return out, nil
}

func (s *Service) describeGuestFromState(ctx context.Context, g Guest) (*GuestDetail, error) {
	gs, err := s.store.Guests(ctx, state.GuestFilter{VMID: g.VMID})
	if err != nil || len(gs) == 0 {
		return nil, fmt.Errorf("read guest %d from state: %w", g.VMID, errors.Join(err, state.ErrNotFound))
	}
	sg := gs[0]
	d := &GuestDetail{Guest: g, Config: sg.Config, Digest: sg.Digest, Pending: []PendingChange{}, Snapshots: []Snapshot{}, IPAddresses: sg.AgentIPs, Tasks: []Task{}}
	if d.Config == nil {
		d.Config = map[string]string{}
	}
	if d.IPAddresses == nil {
		d.IPAddresses = []string{}
	}
	inv, err := s.inventory(ctx)
	if err != nil {
		return nil, err
	}
	for _, sn := range inv.Snapshots {
		if sn.VMID == g.VMID {
			d.Snapshots = append(d.Snapshots, Snapshot{Name: sn.Name, Parent: sn.Parent, Description: sn.Description, Time: sn.Time, VMState: sn.VMState})
		}
	}
	return d, nil
}

func (s *Service) describeNodeFromState(ctx context.Context, n Node) (*NodeDetail, error) {
	d := &NodeDetail{Node: n, GuestList: []Guest{}, Storages: []Storage{}, Networks: []NetworkDevice{}, Tasks: []Task{}, LoadAverage: []string{}}
	var err error
	if d.GuestList, err = s.Guests(ctx, GuestQuery{Node: n.Name}); err != nil {
		return nil, err
	}
	if d.Storages, err = s.storagesFromState(ctx, n.Name); err != nil {
		return nil, err
	}
	inv, err := s.inventory(ctx)
	if err != nil {
		return nil, err
	}
	for _, nw := range inv.Networks {
		if nw.Node == n.Name {
			d.Networks = append(d.Networks, NetworkDevice{Name: nw.Name, Type: nw.Type, CIDR: nw.CIDR, Gateway: nw.Gateway, Ports: nw.Ports, VLANAware: nw.VLANAware, Active: nw.Active})
		}
	}
	slices.SortFunc(d.Networks, func(a, b NetworkDevice) int { return strings.Compare(a.Name, b.Name) })
	return d, nil
}

// History returns a guest (removed ones included) and its change history,
// oldest first. ref is a name or VMID; typ is TypeVM, TypeCT or "".
func (s *Service) History(ctx context.Context, typ, ref string) (Guest, []state.Change, error) {
	if s.store == nil {
		return Guest{}, nil, errors.New("history needs the state store")
	}
	if err := s.lastSync(ctx); err != nil {
		return Guest{}, nil, err
	}
	gs, err := s.store.Guests(ctx, state.GuestFilter{Type: typ, IncludeRemoved: true})
	if err != nil {
		return Guest{}, nil, fmt.Errorf("read guests from state: %w", err)
	}
	all := make([]Guest, len(gs))
	for i := range gs {
		all[i] = guestFromState(&gs[i])
		if gs[i].RemovedAt != nil {
			all[i].Status = "removed"
		}
	}
	g, err := resolveGuest(all, typ, ref)
	if err != nil {
		return Guest{}, nil, err
	}
	changes, err := s.store.History(ctx, state.HistoryFilter{ResourceKey: fmt.Sprintf("guest/%d", g.VMID)})
	if err != nil {
		return Guest{}, nil, fmt.Errorf("read history of %s %d: %w", g.Type, g.VMID, err)
	}
	return g, changes, nil
}

// Operations lists the operations journal, newest first.
func (s *Service) Operations(ctx context.Context, f state.OperationFilter) ([]state.Operation, error) {
	if s.store == nil {
		return nil, errors.New("the operations journal needs the state store")
	}
	ops, err := s.store.Operations(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("read the operations journal: %w", err)
	}
	return ops, nil
}
