// Package inventory answers read questions about a live cluster — which
// guests, nodes, storages, tasks and templates exist — as rows with one
// documented snake_case field set shared by the CLI, the REST API and MCP
// (docs/output-fields.md). It reads through internal/pve and never prints.
package inventory

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/diag"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// Guest types as shown to users.
const (
	TypeVM = "vm"
	TypeCT = "ct"
)

// Guest is one VM or container.
type Guest struct {
	VMID            int      `json:"vmid"`
	Name            string   `json:"name"`
	Type            string   `json:"type"`
	Node            string   `json:"node"`
	Status          string   `json:"status"`
	Template        bool     `json:"template"`
	Tags            []string `json:"tags"`
	Pool            string   `json:"pool"`
	HAState         string   `json:"ha_state"`
	Lock            string   `json:"lock"`
	CPUs            float64  `json:"cpus"`
	CPUUsage        float64  `json:"cpu_usage"`
	MemoryBytes     int64    `json:"memory_bytes"`
	MemoryUsedBytes int64    `json:"memory_used_bytes"`
	DiskBytes       int64    `json:"disk_bytes"`
	UptimeSeconds   int64    `json:"uptime_seconds"`
}

// Node is one cluster member.
type Node struct {
	Name            string  `json:"name"`
	Status          string  `json:"status"`
	CPUs            int     `json:"cpus"`
	CPUUsage        float64 `json:"cpu_usage"`
	MemoryBytes     int64   `json:"memory_bytes"`
	MemoryUsedBytes int64   `json:"memory_used_bytes"`
	DiskBytes       int64   `json:"disk_bytes"`
	DiskUsedBytes   int64   `json:"disk_used_bytes"`
	UptimeSeconds   int64   `json:"uptime_seconds"`
	Guests          int     `json:"guests"`
	SSLFingerprint  string  `json:"ssl_fingerprint"`
}

// Storage is one storage as seen from one node.
type Storage struct {
	Name         string   `json:"name"`
	Node         string   `json:"node"`
	Type         string   `json:"type"`
	Content      []string `json:"content"`
	Shared       bool     `json:"shared"`
	Status       string   `json:"status"`
	UsedBytes    int64    `json:"used_bytes"`
	TotalBytes   int64    `json:"total_bytes"`
	UsedFraction float64  `json:"used_fraction"`
}

// Task is one PVE task (UPID) from a node's task list.
type Task struct {
	UPID            string     `json:"upid"`
	Node            string     `json:"node"`
	Type            string     `json:"type"`
	ID              string     `json:"id"`
	User            string     `json:"user"`
	Status          string     `json:"status"`
	StartTime       time.Time  `json:"start_time"`
	EndTime         *time.Time `json:"end_time"`
	DurationSeconds float64    `json:"duration_seconds"`
}

// Template is something new guests are made from: a VM or container marked
// as template, or a container template archive (vztmpl) on a storage.
type Template struct {
	Name      string `json:"name"`
	Type      string `json:"type"` // "vm", "ct" (guest templates) or "vztmpl" (archives)
	Node      string `json:"node"`
	VMID      int    `json:"vmid"`
	Volid     string `json:"volid"`
	Storage   string `json:"storage"`
	SizeBytes int64  `json:"size_bytes"`
}

// GuestKeys are the keys a guest selector (-l) can match.
var guestKeys = []string{"name", "node", "status", "type", "tag", "pool", "template", "vmid", "ha_state"}

// GuestSelectorKeys returns the keys a guest selector can use.
func GuestSelectorKeys() []string { return slices.Clone(guestKeys) }

// Service reads inventory from one PVE endpoint, or from the state store
// as the last sync saw it (NewFromState).
type Service struct {
	client *pve.Client
	store  state.Store
	log    *slog.Logger
	now    func() time.Time
}

// New returns a Service reading through client.
func New(client *pve.Client, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{client: client, log: log, now: time.Now}
}

// NewFromState returns a Service answering from the state store, without
// the server.
func NewFromState(store state.Store, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{store: store, log: log, now: time.Now}
}

// Client returns the underlying PVE client (nil for a state-backed Service).
func (s *Service) Client() *pve.Client { return s.client }

// Offline reports whether answers come from the state store.
func (s *Service) Offline() bool { return s.store != nil }

// GuestQuery filters and orders guests. Zero values match everything.
type GuestQuery struct {
	Type     string // TypeVM, TypeCT or "" for both
	Node     string
	Status   string
	Tags     []string // all must be present
	Selector Selector
	Names    []string // names or VMIDs; when set, only these
	Sort     string   // JSON field name, "-" prefix for descending
	Limit    int
}

// Guests lists guests with one /cluster/resources call.
func (s *Service) Guests(ctx context.Context, q GuestQuery) ([]Guest, error) {
	all, err := s.allGuests(ctx)
	if err != nil {
		return nil, err
	}
	if len(q.Names) > 0 {
		picked := make([]Guest, 0, len(q.Names))
		for _, ref := range q.Names {
			g, err := resolveGuest(all, q.Type, ref)
			if err != nil {
				return nil, err
			}
			picked = append(picked, g)
		}
		all = picked
	}
	out := all[:0:0]
	for _, g := range all {
		if matchGuest(g, q) {
			out = append(out, g)
		}
	}
	if err := SortBy(out, q.Sort); err != nil {
		return nil, err
	}
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

func (s *Service) allGuests(ctx context.Context) ([]Guest, error) {
	if s.store != nil {
		return s.guestsFromState(ctx)
	}
	res, err := s.client.ClusterResources(ctx, "vm")
	if err != nil {
		return nil, fmt.Errorf("list guests: %w", err)
	}
	all := make([]Guest, 0, len(res))
	for i := range res {
		g, ok := guestFromResource(&res[i])
		if ok {
			all = append(all, g)
		}
	}
	slices.SortFunc(all, func(a, b Guest) int { return a.VMID - b.VMID })
	return all, nil
}

func matchGuest(g Guest, q GuestQuery) bool {
	if q.Type != "" && g.Type != q.Type {
		return false
	}
	if q.Node != "" && !strings.EqualFold(g.Node, q.Node) {
		return false
	}
	if q.Status != "" && !strings.EqualFold(g.Status, q.Status) {
		return false
	}
	for _, t := range q.Tags {
		if !slices.ContainsFunc(g.Tags, func(v string) bool { return strings.EqualFold(v, t) }) {
			return false
		}
	}
	return q.Selector.Matches(func(key string) []string { return guestValues(g, key) })
}

func guestValues(g Guest, key string) []string {
	switch key {
	case "name":
		return []string{g.Name}
	case "node":
		return []string{g.Node}
	case "status":
		return []string{g.Status}
	case "type":
		return []string{g.Type}
	case "tag":
		return g.Tags
	case "pool":
		return []string{g.Pool}
	case "template":
		return []string{strconv.FormatBool(g.Template)}
	case "vmid":
		return []string{strconv.Itoa(g.VMID)}
	case "ha_state":
		return []string{g.HAState}
	}
	return nil
}

func guestFromResource(r *pve.Resource) (Guest, bool) {
	var typ string
	switch r.Type {
	case "qemu":
		typ = TypeVM
	case "lxc":
		typ = TypeCT
	default:
		return Guest{}, false
	}
	return Guest{
		VMID:            int(r.VMID),
		Name:            r.Name,
		Type:            typ,
		Node:            r.Node,
		Status:          r.Status,
		Template:        bool(r.Template),
		Tags:            SplitTags(r.Tags),
		Pool:            r.Pool,
		HAState:         r.HAState,
		Lock:            r.Lock,
		CPUs:            float64(r.MaxCPU),
		CPUUsage:        float64(r.CPU),
		MemoryBytes:     int64(r.MaxMem),
		MemoryUsedBytes: int64(r.Mem),
		DiskBytes:       int64(r.MaxDisk),
		UptimeSeconds:   int64(r.Uptime),
	}, true
}

// SplitTags splits a PVE tag list ("a;b", also "," or spaces) into tags.
func SplitTags(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' || r == ' ' })
	if f == nil {
		return []string{}
	}
	return f
}

// NotFoundError is returned when a name or VMID matches no guest or node.
type NotFoundError struct {
	Kind        string // "vm", "ct", "guest", "node"
	Ref         string
	Suggestions []string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("%s %q not found", e.Kind, e.Ref)
}

// Hint suggests close names, or how to list what exists.
func (e *NotFoundError) Hint() string {
	if len(e.Suggestions) > 0 {
		return "did you mean " + strings.Join(e.Suggestions, " or ") + "?"
	}
	switch e.Kind {
	case "node":
		return "run `proxmox-mpc get nodes` to see the nodes"
	case TypeCT:
		return "run `proxmox-mpc get containers` to see the containers"
	default:
		return "run `proxmox-mpc get vms` to see the guests"
	}
}

// AmbiguousError is returned when a name matches several guests.
type AmbiguousError struct {
	Ref   string
	VMIDs []int
}

func (e *AmbiguousError) Error() string {
	ids := make([]string, len(e.VMIDs))
	for i, id := range e.VMIDs {
		ids[i] = strconv.Itoa(id)
	}
	return fmt.Sprintf("name %q matches several guests (VMIDs %s)", e.Ref, strings.Join(ids, ", "))
}

// Hint says how to pick one.
func (e *AmbiguousError) Hint() string { return "use the VMID instead of the name" }

func kindLabel(typ string) string {
	if typ == "" {
		return "guest"
	}
	return typ
}

// resolveGuest finds ref (a name or VMID) among guests of type typ ("" = any).
func resolveGuest(all []Guest, typ, ref string) (Guest, error) {
	if id, err := strconv.Atoi(ref); err == nil {
		for _, g := range all {
			if g.VMID == id && (typ == "" || g.Type == typ) {
				return g, nil
			}
		}
		return Guest{}, &NotFoundError{Kind: kindLabel(typ), Ref: ref}
	}
	var hits []Guest
	var names []string
	for _, g := range all {
		if typ != "" && g.Type != typ {
			continue
		}
		names = append(names, g.Name)
		if strings.EqualFold(g.Name, ref) {
			hits = append(hits, g)
		}
	}
	switch len(hits) {
	case 1:
		return hits[0], nil
	case 0:
		return Guest{}, &NotFoundError{Kind: kindLabel(typ), Ref: ref, Suggestions: diag.Suggest(ref, names)}
	}
	ids := make([]int, len(hits))
	for i, h := range hits {
		ids[i] = h.VMID
	}
	return Guest{}, &AmbiguousError{Ref: ref, VMIDs: ids}
}

// ResolveGuest finds one guest by name or VMID.
func (s *Service) ResolveGuest(ctx context.Context, typ, ref string) (Guest, error) {
	gs, err := s.Guests(ctx, GuestQuery{})
	if err != nil {
		return Guest{}, err
	}
	return resolveGuest(gs, typ, ref)
}

// Nodes lists the cluster's nodes with their guest counts.
func (s *Service) Nodes(ctx context.Context) ([]Node, error) {
	if s.store != nil {
		return s.nodesFromState(ctx)
	}
	res, err := s.client.ClusterResources(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	count := map[string]int{}
	var nodes []Node
	for i := range res {
		r := &res[i]
		switch r.Type {
		case "qemu", "lxc":
			count[r.Node]++
		case "node":
			nodes = append(nodes, Node{
				Name:            r.Node,
				Status:          r.Status,
				CPUs:            int(r.MaxCPU),
				CPUUsage:        float64(r.CPU),
				MemoryBytes:     int64(r.MaxMem),
				MemoryUsedBytes: int64(r.Mem),
				DiskBytes:       int64(r.MaxDisk),
				DiskUsedBytes:   int64(r.Disk),
				UptimeSeconds:   int64(r.Uptime),
			})
		}
	}
	fps := map[string]string{}
	if list, err := s.client.Nodes(ctx); err == nil {
		for _, n := range list {
			fps[n.Node] = n.SSLFingerprint
		}
	} else {
		s.log.Debug("node fingerprints unavailable", "err", err)
	}
	for i := range nodes {
		nodes[i].Guests = count[nodes[i].Name]
		nodes[i].SSLFingerprint = fps[nodes[i].Name]
	}
	slices.SortFunc(nodes, func(a, b Node) int { return strings.Compare(a.Name, b.Name) })
	return nodes, nil
}

// ResolveNode finds a node by name.
func (s *Service) ResolveNode(ctx context.Context, name string) (Node, error) {
	nodes, err := s.Nodes(ctx)
	if err != nil {
		return Node{}, err
	}
	names := make([]string, len(nodes))
	for i, n := range nodes {
		if strings.EqualFold(n.Name, name) {
			return n, nil
		}
		names[i] = n.Name
	}
	return Node{}, &NotFoundError{Kind: "node", Ref: name, Suggestions: diag.Suggest(name, names)}
}

// Storages lists storages per node (one row per node and storage).
func (s *Service) Storages(ctx context.Context, node string) ([]Storage, error) {
	if s.store != nil {
		return s.storagesFromState(ctx, node)
	}
	res, err := s.client.ClusterResources(ctx, "storage")
	if err != nil {
		return nil, fmt.Errorf("list storage: %w", err)
	}
	var out []Storage
	for i := range res {
		r := &res[i]
		if r.Type != "storage" || (node != "" && !strings.EqualFold(r.Node, node)) {
			continue
		}
		st := Storage{
			Name:       r.Storage,
			Node:       r.Node,
			Type:       r.PluginType,
			Content:    splitList(r.Content),
			Shared:     bool(r.Shared),
			Status:     r.Status,
			UsedBytes:  int64(r.Disk),
			TotalBytes: int64(r.MaxDisk),
		}
		if st.TotalBytes > 0 {
			st.UsedFraction = float64(st.UsedBytes) / float64(st.TotalBytes)
		}
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b Storage) int {
		if c := strings.Compare(a.Node, b.Node); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

func splitList(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' })
	if f == nil {
		return []string{}
	}
	return f
}

// Tasks lists recent tasks of one node, or of every node when node is "".
func (s *Service) Tasks(ctx context.Context, node string, limit int) ([]Task, error) {
	if s.store != nil {
		return nil, &NotInStateError{What: "tasks"}
	}
	nodes := []string{node}
	if node == "" {
		ns, err := s.client.Nodes(ctx)
		if err != nil {
			return nil, fmt.Errorf("list tasks: %w", err)
		}
		nodes = nodes[:0]
		for _, n := range ns {
			if n.Status == "online" || n.Status == "" {
				nodes = append(nodes, n.Node)
			}
		}
	}
	var out []Task
	for _, n := range nodes {
		ts, err := s.client.Tasks(ctx, n, limit)
		if err != nil {
			return nil, fmt.Errorf("list tasks of node %s: %w", n, err)
		}
		for i := range ts {
			out = append(out, taskFromWire(&ts[i]))
		}
	}
	slices.SortStableFunc(out, func(a, b Task) int { return b.StartTime.Compare(a.StartTime) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func taskFromWire(t *pve.Task) Task {
	out := Task{
		UPID:      t.UPID,
		Node:      t.Node,
		Type:      t.Type,
		ID:        t.ID,
		User:      t.User,
		Status:    t.Status,
		StartTime: time.Unix(int64(t.StartTime), 0).UTC(),
	}
	if out.Status == "" {
		out.Status = "running"
	}
	if t.EndTime > 0 {
		end := time.Unix(int64(t.EndTime), 0).UTC()
		out.EndTime = &end
		out.DurationSeconds = end.Sub(out.StartTime).Seconds()
	}
	return out
}

// Templates lists guest templates and container template archives.
func (s *Service) Templates(ctx context.Context) ([]Template, error) {
	gs, err := s.Guests(ctx, GuestQuery{})
	if err != nil {
		return nil, err
	}
	var out []Template
	for _, g := range gs {
		if g.Template {
			out = append(out, Template{Name: g.Name, Type: g.Type, Node: g.Node, VMID: g.VMID, SizeBytes: g.DiskBytes})
		}
	}
	if s.store != nil {
		return s.volumeTemplatesFromState(ctx, out)
	}
	sts, err := s.Storages(ctx, "")
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, st := range sts {
		if !slices.Contains(st.Content, "vztmpl") || st.Status == "unavailable" {
			continue
		}
		if st.Shared && seen[st.Name] {
			continue
		}
		seen[st.Name] = true
		items, err := s.client.StorageContent(ctx, st.Node, st.Name, "vztmpl")
		if err != nil {
			return nil, fmt.Errorf("list templates on %s/%s: %w", st.Node, st.Name, err)
		}
		for _, it := range items {
			name := it.Volid
			if _, after, ok := strings.Cut(name, "/"); ok {
				name = after
			}
			node := st.Node
			if st.Shared {
				node = ""
			}
			out = append(out, Template{Name: name, Type: "vztmpl", Node: node, Volid: it.Volid, Storage: st.Name, SizeBytes: int64(it.Size)})
		}
	}
	return out, nil
}
