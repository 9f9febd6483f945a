package inventory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
)

// GuestDetail is everything known about one guest.
type GuestDetail struct {
	Guest
	Config      map[string]string `json:"config"`
	Digest      string            `json:"digest"`
	Pending     []PendingChange   `json:"pending"`
	Snapshots   []Snapshot        `json:"snapshots"`
	IPAddresses []string          `json:"ip_addresses"`
	AgentError  string            `json:"agent_error"`
	Tasks       []Task            `json:"recent_tasks"`
}

// PendingChange is a config change waiting for the next guest restart.
type PendingChange struct {
	Key     string `json:"key"`
	Current string `json:"current"`
	Pending string `json:"pending"`
	Delete  bool   `json:"delete"`
}

// Snapshot is one guest snapshot.
type Snapshot struct {
	Name        string     `json:"name"`
	Parent      string     `json:"parent"`
	Description string     `json:"description"`
	Time        *time.Time `json:"time"`
	VMState     bool       `json:"vmstate"`
}

func kindOf(typ string) pve.GuestKind {
	if typ == TypeCT {
		return pve.KindCT
	}
	return pve.KindVM
}

// DescribeGuest gathers config, pending changes, snapshots, agent addresses
// and recent tasks of g.
func (s *Service) DescribeGuest(ctx context.Context, g Guest) (*GuestDetail, error) {
	if s.store != nil {
		return s.describeGuestFromState(ctx, g)
	}
	kind := kindOf(g.Type)
	cfg, err := s.client.GuestConfig(ctx, g.Node, kind, g.VMID)
	if err != nil {
		return nil, fmt.Errorf("read config of %s %d: %w", g.Type, g.VMID, err)
	}
	d := &GuestDetail{Guest: g, Config: cfg.Values, Digest: cfg.Digest, Pending: []PendingChange{}, Snapshots: []Snapshot{}, IPAddresses: []string{}, Tasks: []Task{}}
	if pend, err := s.client.GuestPending(ctx, g.Node, kind, g.VMID); err == nil {
		for _, p := range pend {
			if p.Pending == nil && !bool(p.Delete) {
				continue
			}
			pc := PendingChange{Key: p.Key, Delete: bool(p.Delete)}
			if p.Value != nil {
				pc.Current = *p.Value
			}
			if p.Pending != nil {
				pc.Pending = *p.Pending
			}
			d.Pending = append(d.Pending, pc)
		}
	} else {
		s.log.Debug("pending changes unavailable", "vmid", g.VMID, "err", err)
	}
	if snaps, err := s.client.Snapshots(ctx, g.Node, kind, g.VMID); err == nil {
		for _, sn := range snaps {
			if sn.Name == "current" {
				continue
			}
			out := Snapshot{Name: sn.Name, Parent: sn.Parent, Description: sn.Description, VMState: bool(sn.VMState)}
			if sn.SnapTime > 0 {
				t := time.Unix(int64(sn.SnapTime), 0).UTC()
				out.Time = &t
			}
			d.Snapshots = append(d.Snapshots, out)
		}
	} else {
		s.log.Debug("snapshots unavailable", "vmid", g.VMID, "err", err)
	}
	if kind == pve.KindVM && g.Status == "running" && agentEnabled(cfg.Values["agent"]) {
		actx, cancel := context.WithTimeout(ctx, 3*time.Second)
		ifs, err := s.client.AgentInterfaces(actx, g.Node, g.VMID)
		cancel()
		if err != nil {
			d.AgentError = agentProblem(err)
		}
		for _, in := range ifs {
			if in.Name == "lo" {
				continue
			}
			for _, a := range in.IPAddresses {
				d.IPAddresses = append(d.IPAddresses, a.Address+"/"+strconv.Itoa(int(a.Prefix)))
			}
		}
	}
	if tasks, err := s.client.Tasks(ctx, g.Node, 50); err == nil {
		id := strconv.Itoa(g.VMID)
		for i := range tasks {
			if tasks[i].ID == id {
				d.Tasks = append(d.Tasks, taskFromWire(&tasks[i]))
			}
		}
		if len(d.Tasks) > 10 {
			d.Tasks = d.Tasks[:10]
		}
	}
	return d, nil
}

func agentProblem(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "guest agent did not answer within 3s"
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && i+2 < len(msg) {
		msg = msg[i+2:]
	}
	return msg
}

func agentEnabled(v string) bool {
	first, _, _ := strings.Cut(v, ",")
	if strings.Contains(first, "=") {
		for _, kv := range strings.Split(v, ",") {
			if k, val, ok := strings.Cut(kv, "="); ok && k == "enabled" {
				return val == "1" || val == "true" || val == "on" || val == "yes"
			}
		}
		return false
	}
	return first == "1" || first == "true" || first == "on" || first == "yes"
}

// NodeDetail is everything known about one node.
type NodeDetail struct {
	Node
	PVEVersion  string          `json:"pve_version"`
	Kernel      string          `json:"kernel"`
	CPUModel    string          `json:"cpu_model"`
	LoadAverage []string        `json:"load_average"`
	SwapBytes   int64           `json:"swap_bytes"`
	SwapUsed    int64           `json:"swap_used_bytes"`
	GuestList   []Guest         `json:"guest_list"`
	Storages    []Storage       `json:"storage"`
	Networks    []NetworkDevice `json:"networks"`
	Tasks       []Task          `json:"recent_tasks"`
}

// NetworkDevice is one host network interface or bridge.
type NetworkDevice struct {
	Name      string `json:"name"`
	Type      string `json:"type"`
	CIDR      string `json:"cidr"`
	Gateway   string `json:"gateway"`
	Ports     string `json:"ports"`
	VLANAware bool   `json:"vlan_aware"`
	Active    bool   `json:"active"`
	Autostart bool   `json:"autostart"`
}

// DescribeNode gathers the status, guests, storage, networks and tasks of n.
func (s *Service) DescribeNode(ctx context.Context, n Node) (*NodeDetail, error) {
	if s.store != nil {
		return s.describeNodeFromState(ctx, n)
	}
	d := &NodeDetail{Node: n, GuestList: []Guest{}, Storages: []Storage{}, Networks: []NetworkDevice{}, Tasks: []Task{}, LoadAverage: []string{}}
	if n.Status == "online" {
		st, err := s.client.NodeStatus(ctx, n.Name)
		if err != nil {
			return nil, fmt.Errorf("read status of node %s: %w", n.Name, err)
		}
		d.PVEVersion = st.PVEVersion
		d.Kernel = st.Kversion
		d.CPUModel = st.CPUInfo.Model
		for _, l := range st.LoadAvg {
			d.LoadAverage = append(d.LoadAverage, string(l))
		}
		d.SwapBytes = int64(st.Swap.Total)
		d.SwapUsed = int64(st.Swap.Used)
	}
	gs, err := s.Guests(ctx, GuestQuery{Node: n.Name})
	if err != nil {
		return nil, err
	}
	d.GuestList = gs
	if d.Storages, err = s.Storages(ctx, n.Name); err != nil {
		return nil, err
	}
	if n.Status == "online" {
		nets, err := s.client.Network(ctx, n.Name)
		if err != nil {
			return nil, fmt.Errorf("read network of node %s: %w", n.Name, err)
		}
		for _, ni := range nets {
			d.Networks = append(d.Networks, NetworkDevice{
				Name: ni.Iface, Type: ni.Type, CIDR: ni.CIDR, Gateway: ni.Gateway, Ports: ni.BridgePorts,
				VLANAware: bool(ni.BridgeVLANAware), Active: bool(ni.Active), Autostart: bool(ni.Autostart),
			})
		}
		sort.Slice(d.Networks, func(i, j int) bool { return d.Networks[i].Name < d.Networks[j].Name })
		if d.Tasks, err = s.Tasks(ctx, n.Name, 10); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// ConnectionReport is what test-connection learned about an endpoint.
type ConnectionReport struct {
	Endpoint    string              `json:"endpoint"`
	TLSMode     string              `json:"tls_mode"`
	Fingerprint string              `json:"fingerprint"`
	AuthMethod  string              `json:"auth_method"`
	Version     string              `json:"pve_version"`
	Release     string              `json:"pve_release"`
	RepoID      string              `json:"pve_repoid"`
	Cluster     string              `json:"cluster"`
	Nodes       int                 `json:"nodes"`
	LatencyMS   float64             `json:"latency_ms"`
	Privileges  []string            `json:"privileges"`
	PrivilegeOn map[string][]string `json:"privileges_by_path"`
}

// TestConnection checks reachability, TLS, auth and privileges.
func (s *Service) TestConnection(ctx context.Context) (*ConnectionReport, error) {
	if s.store != nil {
		return nil, &NotInStateError{What: "connection checks"}
	}
	r := &ConnectionReport{Endpoint: s.client.Endpoint(), AuthMethod: s.client.AuthMethod(), Privileges: []string{}, PrivilegeOn: map[string][]string{}}
	start := time.Now()
	v, err := s.client.Version(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", s.client.Endpoint(), err)
	}
	// the first call may include a login; time a second, plain round trip
	start2 := time.Now()
	if _, err := s.client.Version(ctx); err == nil {
		r.LatencyMS = float64(time.Since(start2).Microseconds()) / 1000
	} else {
		r.LatencyMS = float64(time.Since(start).Microseconds()) / 1000
	}
	r.TLSMode = s.client.TLSMode()
	r.Fingerprint = s.client.PeerFingerprint()
	r.Version, r.Release, r.RepoID = v.Version, v.Release, v.RepoID
	if st, err := s.client.ClusterStatus(ctx); err == nil {
		for _, e := range st {
			switch e.Type {
			case "cluster":
				r.Cluster = e.Name
			case "node":
				r.Nodes++
			}
		}
	}
	perms, err := s.client.Permissions(ctx)
	if err != nil {
		return nil, fmt.Errorf("read permissions: %w", err)
	}
	for path, privs := range perms {
		names := make([]string, 0, len(privs))
		for p := range privs {
			names = append(names, p)
		}
		slices.Sort(names)
		r.PrivilegeOn[path] = names
	}
	r.Privileges = r.PrivilegeOn["/"]
	if r.Privileges == nil {
		r.Privileges = []string{}
	}
	return r, nil
}
