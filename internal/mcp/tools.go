package mcp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/engine"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine/native"
	"github.com/proxmox-mpc/proxmox-mpc/internal/health"
	"github.com/proxmox-mpc/proxmox-mpc/internal/observe"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// toolSpec describes one tool.
type toolSpec struct {
	name, title, desc string
	tier              Tier
	readOnly          bool
	destructive       bool
	idempotent        bool
}

func (t toolSpec) annotations() *sdk.ToolAnnotations {
	d := t.destructive
	return &sdk.ToolAnnotations{Title: t.title, ReadOnlyHint: t.readOnly, DestructiveHint: &d, IdempotentHint: t.idempotent}
}

// hinter is an error with the exact next step.
type hinter interface{ Hint() string }

// addTool registers a typed tool, or hides it above the server's tier.
// The handler sees inputs with pseudonyms mapped back; its output and
// errors are anonymized, and every call is journaled.
func addTool[In, Out any](s *Server, spec toolSpec, target func(In) string, h func(context.Context, In) (Out, error)) {
	if s.opts.Allow < spec.tier {
		s.hidden[spec.name] = spec.tier
		return
	}
	tool := &sdk.Tool{Name: spec.name, Title: spec.title, Description: spec.desc, Annotations: spec.annotations()}
	sdk.AddTool(s.sdk, tool, func(ctx context.Context, req *sdk.CallToolRequest, in In) (*sdk.CallToolResult, Out, error) {
		started := s.now()
		var zero Out
		if _, err := s.engine(ctx); err != nil {
			return nil, zero, err
		}
		in = unmask(s, in)
		out, err := h(ctx, in)
		if err == nil {
			out, err = mask(ctx, s, out)
		}
		s.journal(ctx, req.Session, spec.name, target(in), in, started, err)
		if err != nil {
			return nil, zero, s.toolError(ctx, err)
		}
		return nil, out, nil
	})
}

// toolError is the error text the assistant sees: anonymized, with a hint.
func (s *Server) toolError(ctx context.Context, err error) error {
	msg := err.Error()
	var h hinter
	if errors.As(err, &h) && h.Hint() != "" {
		msg += "\nHint: " + h.Hint()
	}
	if m, merr := s.maskText(ctx, msg); merr == nil {
		msg = m
	}
	return errors.New(msg)
}

// tierGate answers calls of tools above the tier with a tool error naming
// the --allow they need (instead of "unknown tool"), and journals them.
func (s *Server) tierGate(next sdk.MethodHandler) sdk.MethodHandler {
	return func(ctx context.Context, method string, req sdk.Request) (sdk.Result, error) {
		if method != "tools/call" {
			return next(ctx, method, req)
		}
		call, ok := req.(*sdk.CallToolRequest)
		if !ok || call.Params == nil {
			return next(ctx, method, req)
		}
		need, hidden := s.hidden[call.Params.Name]
		if !hidden {
			return next(ctx, method, req)
		}
		err := &TierError{What: call.Params.Name, Need: need}
		s.journal(ctx, call.Session, call.Params.Name, "", nil, s.now(), err)
		res := &sdk.CallToolResult{}
		res.SetError(s.toolError(ctx, err))
		return res, nil
	}
}

func noTarget[In any](In) string { return "" }

func (s *Server) addTools() {
	addTool(s, toolSpec{name: "list_guests", title: "List guests", readOnly: true, idempotent: true,
		desc: "List VMs and containers with optional filters (node, status, tag, type vm|ct, name substring), 200 per page by default: total counts all matches, next_offset pages on."},
		noTarget[ListGuestsInput], s.listGuests)
	addTool(s, toolSpec{name: "get_guest", title: "Get a guest", readOnly: true, idempotent: true,
		desc: "One guest by VMID or name: its full config as Proxmox returns it, status, agent IP addresses and change history."},
		func(in GetGuestInput) string { return in.Guest }, s.getGuest)
	addTool(s, toolSpec{name: "list_nodes", title: "List nodes", readOnly: true, idempotent: true,
		desc: "Cluster nodes with CPU, memory, disk and uptime."}, noTarget[struct{}], s.listNodes)
	addTool(s, toolSpec{name: "list_storage", title: "List storage", readOnly: true, idempotent: true,
		desc: "Storages per node with type, content and usage."}, noTarget[struct{}], s.listStorage)
	addTool(s, toolSpec{name: "health", title: "Health check", readOnly: true, idempotent: true,
		desc: "Checks of the server connection, the state store, the workspace and the tools, with hints."},
		noTarget[struct{}], s.health)
	addTool(s, toolSpec{name: "query_logs", title: "Query logs", readOnly: true, idempotent: true,
		desc: "The workspace's structured logs, newest last: since (RFC3339 or a duration like 2h), minimum level, operation, correlation id, text grep, limit."},
		noTarget[LogsInput], s.queryLogs)
	addTool(s, toolSpec{name: "drift", title: "Drift", readOnly: true, idempotent: true,
		desc: "Compare the server, the code and the last sync per guest and field, and say which side moved and how to reconcile it."},
		noTarget[struct{}], s.drift)
	addTool(s, toolSpec{name: "sync", title: "Sync", idempotent: true,
		desc: "Read the cluster into the workspace's state store. It changes nothing on the cluster (it writes only the local store), so it is allowed under --allow read."},
		noTarget[struct{}], s.sync)
	addTool(s, toolSpec{name: "plan", title: "Plan", tier: TierWrite, readOnly: true, idempotent: true,
		desc: "Compare the code with the live cluster and return the plan (create, update, replace, delete per guest) and its plan_id. Nothing changes; show the plan to the user, then call apply with the plan_id."},
		noTarget[struct{}], s.planTool)
	addTool(s, toolSpec{name: "apply", title: "Apply a plan", tier: TierWrite, destructive: s.opts.Allow >= TierDestroy,
		desc: "Carry out a plan made by plan, by its plan_id. Refused when the code or the live guests changed since (stale plan_id: plan again). Plans that delete or replace guests need --allow destroy; guests tagged protected are never replaced or deleted."},
		func(in ApplyInput) string { return "plan/" + in.PlanID }, s.apply)
	addTool(s, toolSpec{name: "guest_action", title: "Guest action", tier: TierWrite, destructive: s.opts.Allow >= TierDestroy,
		desc: "Run start, shutdown, reboot or snapshot (--allow write), or stop and rollback (--allow destroy) on one guest. Guests tagged protected are never stopped or rolled back."},
		func(in GuestActionInput) string { return in.Guest }, s.guestAction)
	addTool(s, toolSpec{name: "edit_code", title: "Edit code", tier: TierWrite, destructive: true,
		desc: "Create, set attributes of, or delete a guest in the workspace's Terraform code and return the diff. Nothing reaches the cluster until plan and apply."},
		func(in EditCodeInput) string { return in.Guest }, s.editCode)
}

// GuestRow is one guest of list_guests.
type GuestRow struct {
	VMID        int      `json:"vmid"`
	Type        string   `json:"type"`
	Node        string   `json:"node"`
	Name        string   `json:"name"`
	Status      string   `json:"status"`
	Tags        []string `json:"tags"`
	Pool        string   `json:"pool,omitempty"`
	Template    bool     `json:"template,omitempty"`
	CPUs        float64  `json:"cpus"`
	MemoryBytes int64    `json:"memory_bytes"`
	AgentIPs    []string `json:"agent_ips,omitempty"`
}

// ListGuestsInput filters list_guests.
type ListGuestsInput struct {
	Node   string `json:"node,omitempty" jsonschema:"only guests on this node"`
	Status string `json:"status,omitempty" jsonschema:"only guests with this status (running, stopped, paused)"`
	Tag    string `json:"tag,omitempty" jsonschema:"only guests with this tag"`
	Type   string `json:"type,omitempty" jsonschema:"vm or ct"`
	Name   string `json:"name,omitempty" jsonschema:"only guests whose name contains this (case-insensitive)"`
	Limit  int    `json:"limit,omitempty" jsonschema:"at most this many (default 200, at most 2000)"`
	Offset int    `json:"offset,omitempty" jsonschema:"skip this many matching guests first (paging)"`
}

// Guest list page sizes: an assistant's context holds a few hundred rows.
const (
	defaultGuestLimit = 200
	maxGuestLimit     = 2000
)

// ListGuestsOutput is list_guests' answer.
type ListGuestsOutput struct {
	Guests []GuestRow `json:"guests"`
	Count  int        `json:"count"` // rows returned
	Total  int        `json:"total"` // guests matching, over all pages
	// Next is the offset of the next page (0: no more).
	Next int `json:"next_offset,omitempty"`
}

func (s *Server) guests(ctx context.Context) ([]state.Guest, error) {
	if s.deps.Guests == nil {
		return nil, unavailable("guests")
	}
	gs, err := s.deps.Guests(ctx)
	if err != nil {
		return nil, fmt.Errorf("list guests: %w", err)
	}
	return gs, nil
}

func (s *Server) listGuests(ctx context.Context, in ListGuestsInput) (ListGuestsOutput, error) {
	gs, err := s.guests(ctx)
	if err != nil {
		return ListGuestsOutput{}, err
	}
	limit := in.Limit
	if limit <= 0 {
		limit = defaultGuestLimit
	}
	limit = min(limit, maxGuestLimit)
	out := ListGuestsOutput{Guests: []GuestRow{}}
	name := strings.ToLower(in.Name)
	for i := range gs {
		g := &gs[i]
		if !s.allowed(g) || !matches(g, in, name) {
			continue
		}
		out.Total++
		if out.Total <= in.Offset || len(out.Guests) == limit {
			if len(out.Guests) == limit && out.Next == 0 {
				out.Next = in.Offset + limit
			}
			continue
		}
		out.Guests = append(out.Guests, GuestRow{VMID: g.VMID, Type: g.Type, Node: g.Node, Name: g.Name,
			Status: g.Status, Tags: nonNil(g.Tags), Pool: g.Pool, Template: g.Template, CPUs: g.CPUs,
			MemoryBytes: g.MemoryBytes, AgentIPs: g.AgentIPs})
	}
	out.Count = len(out.Guests)
	return out, nil
}

func matches(g *state.Guest, in ListGuestsInput, lowerName string) bool {
	switch {
	case in.Node != "" && g.Node != in.Node,
		in.Status != "" && !strings.EqualFold(g.Status, in.Status),
		in.Type != "" && !strings.EqualFold(g.Type, in.Type),
		lowerName != "" && !strings.Contains(strings.ToLower(g.Name), lowerName):
		return false
	case in.Tag != "":
		for _, t := range g.Tags {
			if strings.EqualFold(t, in.Tag) {
				return true
			}
		}
		return false
	}
	return true
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// GuestNotFoundError is a guest reference that matches no guest the
// allowlists admit.
type GuestNotFoundError struct{ Ref string }

func (e *GuestNotFoundError) Error() string { return fmt.Sprintf("no guest %q", e.Ref) }

// Hint says how to find one.
func (e *GuestNotFoundError) Hint() string { return "call list_guests to see the guests you may use" }

// findGuest resolves a VMID or a name among the guests the allowlists admit.
func (s *Server) findGuest(ctx context.Context, ref string) (state.Guest, error) {
	gs, err := s.guests(ctx)
	if err != nil {
		return state.Guest{}, err
	}
	ref = strings.TrimSpace(ref)
	id, idErr := strconv.Atoi(ref)
	var found []state.Guest
	for i := range gs {
		if (idErr == nil && gs[i].VMID == id) || (idErr != nil && gs[i].Name == ref) {
			found = append(found, gs[i])
		}
	}
	switch {
	case len(found) == 0:
		return state.Guest{}, &GuestNotFoundError{Ref: ref}
	case len(found) > 1:
		return state.Guest{}, fmt.Errorf("%d guests are named %q: use the VMID", len(found), ref)
	case !s.allowed(&found[0]):
		return state.Guest{}, &RefusedError{Reason: fmt.Sprintf("guest %q is outside the allowlists of this server", ref)}
	}
	return found[0], nil
}

// GetGuestInput names a guest.
type GetGuestInput struct {
	Guest string `json:"guest" jsonschema:"the guest's VMID or name"`
}

// GuestDetail is one guest in full.
type GuestDetail struct {
	VMID          int               `json:"vmid"`
	Type          string            `json:"type"`
	Node          string            `json:"node"`
	Name          string            `json:"name"`
	Status        string            `json:"status"`
	Tags          []string          `json:"tags"`
	Pool          string            `json:"pool,omitempty"`
	Template      bool              `json:"template"`
	HAState       string            `json:"ha_state,omitempty"`
	Lock          string            `json:"lock,omitempty"`
	CPUs          float64           `json:"cpus"`
	MemoryBytes   int64             `json:"memory_bytes"`
	DiskBytes     int64             `json:"disk_bytes"`
	UptimeSeconds int64             `json:"uptime_seconds"`
	Config        map[string]string `json:"config"`
	Digest        string            `json:"digest"`
	AgentIPs      []string          `json:"agent_ips"`
	FirstSeen     string            `json:"first_seen,omitempty"`
	LastSeen      string            `json:"last_seen,omitempty"`
	History       []HistoryEntry    `json:"history"`
}

// HistoryEntry is one recorded change of a guest.
type HistoryEntry struct {
	At    string `json:"at"`
	Kind  string `json:"kind"`
	Field string `json:"field,omitempty"`
	Old   string `json:"old,omitempty"`
	New   string `json:"new,omitempty"`
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func (s *Server) getGuest(ctx context.Context, in GetGuestInput) (GuestDetail, error) {
	g, err := s.findGuest(ctx, in.Guest)
	if err != nil {
		return GuestDetail{}, err
	}
	d := GuestDetail{VMID: g.VMID, Type: g.Type, Node: g.Node, Name: g.Name, Status: g.Status, Tags: nonNil(g.Tags),
		Pool: g.Pool, Template: g.Template, HAState: g.HAState, Lock: g.Lock, CPUs: g.CPUs, MemoryBytes: g.MemoryBytes,
		DiskBytes: g.DiskBytes, UptimeSeconds: g.UptimeSeconds, Config: g.Config, Digest: g.Digest,
		AgentIPs: nonNil(g.AgentIPs), FirstSeen: rfc3339(g.FirstSeen), LastSeen: rfc3339(g.LastSeen), History: []HistoryEntry{}}
	if d.Config == nil {
		d.Config = map[string]string{}
	}
	if s.deps.History != nil {
		hs, err := s.deps.History(ctx, "guest/"+strconv.Itoa(g.VMID))
		if err != nil {
			return GuestDetail{}, fmt.Errorf("history of guest %d: %w", g.VMID, err)
		}
		for _, h := range hs {
			d.History = append(d.History, HistoryEntry{At: rfc3339(h.At), Kind: h.Kind, Field: h.Field, Old: h.Old, New: h.New})
		}
	}
	return d, nil
}

// NodesOutput is list_nodes' answer.
type NodesOutput struct {
	Nodes []state.Node `json:"nodes"`
}

func (s *Server) listNodes(ctx context.Context, _ struct{}) (NodesOutput, error) {
	if s.deps.Nodes == nil {
		return NodesOutput{}, unavailable("nodes")
	}
	ns, err := s.deps.Nodes(ctx)
	if err != nil {
		return NodesOutput{}, fmt.Errorf("list nodes: %w", err)
	}
	out := NodesOutput{Nodes: []state.Node{}}
	for _, n := range ns {
		if len(s.nodes) == 0 || s.nodes[n.Name] {
			out.Nodes = append(out.Nodes, n)
		}
	}
	return out, nil
}

// StorageOutput is list_storage's answer.
type StorageOutput struct {
	Storages []StorageRow `json:"storages"`
}

// StorageRow is one storage of one node.
type StorageRow struct {
	Node       string   `json:"node"`
	Name       string   `json:"name"`
	Type       string   `json:"type"`
	Content    []string `json:"content"`
	Shared     bool     `json:"shared"`
	Status     string   `json:"status"`
	UsedBytes  int64    `json:"used_bytes"`
	TotalBytes int64    `json:"total_bytes"`
}

func (s *Server) listStorage(ctx context.Context, _ struct{}) (StorageOutput, error) {
	if s.deps.Storages == nil {
		return StorageOutput{}, unavailable("storage")
	}
	ss, err := s.deps.Storages(ctx)
	if err != nil {
		return StorageOutput{}, fmt.Errorf("list storage: %w", err)
	}
	out := StorageOutput{Storages: []StorageRow{}}
	for _, st := range ss {
		if len(s.nodes) > 0 && st.Node != "" && !s.nodes[st.Node] {
			continue
		}
		out.Storages = append(out.Storages, StorageRow(st))
		out.Storages[len(out.Storages)-1].Content = nonNil(st.Content)
	}
	return out, nil
}

func (s *Server) health(ctx context.Context, _ struct{}) (health.Report, error) {
	if s.deps.Health == nil {
		return health.Report{}, unavailable("health")
	}
	r, err := s.deps.Health(ctx)
	if err != nil {
		return health.Report{}, fmt.Errorf("health: %w", err)
	}
	if r.Checks == nil {
		r.Checks = []health.Check{}
	}
	return r, nil
}

// LogsInput filters query_logs.
type LogsInput struct {
	Since       string `json:"since,omitempty" jsonschema:"records at or after this: RFC3339 time or a duration back from now (90m, 2h, 3d)"`
	Level       string `json:"level,omitempty" jsonschema:"minimum level: debug, info (default), warn, error"`
	Op          string `json:"op,omitempty" jsonschema:"operation or subsystem"`
	Correlation string `json:"correlation,omitempty" jsonschema:"correlation id of one command"`
	Grep        string `json:"grep,omitempty" jsonschema:"text anywhere in the record, case-insensitive"`
	Limit       int    `json:"limit,omitempty" jsonschema:"the newest N records (default 100, at most 1000)"`
}

// LogRecord is one log record.
type LogRecord struct {
	Time          string         `json:"time"`
	Level         string         `json:"level"`
	Msg           string         `json:"msg"`
	CorrelationID string         `json:"correlation_id,omitempty"`
	Operation     string         `json:"operation,omitempty"`
	Subsys        string         `json:"subsys,omitempty"`
	DurationMS    float64        `json:"duration_ms,omitempty"`
	Err           string         `json:"err,omitempty"`
	Attrs         map[string]any `json:"attrs,omitempty"`
}

// LogsOutput is query_logs' answer.
type LogsOutput struct {
	Records []LogRecord `json:"records"`
}

// Log limits.
const (
	defaultLogLimit = 100
	maxLogLimit     = 1000
)

// parseSince reads an RFC3339 time or a duration back from now ("3d" counts days).
func parseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if strings.HasSuffix(s, "d") {
		n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
		if err == nil && n >= 0 && n <= 36500 {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("since %q: want an RFC3339 time or a duration like 90m, 2h, 3d", s)
	}
	return now.Add(-d), nil
}

func parseLevel(s string) (slog.Level, error) {
	if strings.TrimSpace(s) == "" {
		return slog.LevelInfo, nil
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.TrimSpace(s))); err != nil {
		return slog.LevelInfo, fmt.Errorf("level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

func (s *Server) queryLogs(ctx context.Context, in LogsInput) (LogsOutput, error) {
	if s.deps.Logs == nil {
		return LogsOutput{}, unavailable("logs")
	}
	since, err := parseSince(in.Since, s.now())
	if err != nil {
		return LogsOutput{}, err
	}
	lvl, err := parseLevel(in.Level)
	if err != nil {
		return LogsOutput{}, err
	}
	limit := in.Limit
	if limit <= 0 {
		limit = defaultLogLimit
	}
	limit = min(limit, maxLogLimit)
	recs, err := s.deps.Logs(ctx, observe.Filter{Since: since, Level: lvl, Op: in.Op, Correlation: in.Correlation, Grep: in.Grep, Limit: limit})
	if err != nil {
		return LogsOutput{}, fmt.Errorf("query logs: %w", err)
	}
	out := LogsOutput{Records: make([]LogRecord, 0, len(recs))}
	for _, r := range recs {
		out.Records = append(out.Records, LogRecord{Time: r.Time.UTC().Format(time.RFC3339Nano), Level: r.Level.String(), Msg: r.Msg,
			CorrelationID: r.CorrelationID, Operation: r.Operation, Subsys: r.Subsys, DurationMS: r.DurationMS, Err: r.Err, Attrs: r.Attrs})
	}
	return out, nil
}

func (s *Server) drift(ctx context.Context, _ struct{}) (engine.DriftReport, error) {
	if s.deps.Drift == nil {
		return engine.DriftReport{}, unavailable("drift")
	}
	r, err := s.deps.Drift(ctx)
	if err != nil {
		return engine.DriftReport{}, fmt.Errorf("drift: %w", err)
	}
	if r.Drifts == nil {
		r.Drifts = []engine.Drift{}
	}
	return r, nil
}

func (s *Server) sync(ctx context.Context, _ struct{}) (SyncSummary, error) {
	if s.deps.Sync == nil {
		return SyncSummary{}, unavailable("sync")
	}
	r, err := s.deps.Sync(ctx)
	if err != nil {
		return SyncSummary{}, fmt.Errorf("sync: %w", err)
	}
	if r.Warnings == nil {
		r.Warnings = []string{}
	}
	return r, nil
}

// PlanOutput is plan's answer.
type PlanOutput struct {
	PlanID   string      `json:"plan_id"`
	Summary  string      `json:"summary"` // "Plan: 1 to add, 0 to change, 0 to destroy."
	Rendered string      `json:"rendered"`
	Plan     engine.Plan `json:"plan"`
	// Needs is the --allow tier that applying this plan needs.
	Needs string `json:"needs"`
}

func (s *Server) freshPlan(ctx context.Context) (engine.Plan, string, error) {
	if s.deps.Plan == nil {
		return engine.Plan{}, "", unavailable("plan")
	}
	p, digests, err := s.deps.Plan(ctx)
	if err != nil {
		return engine.Plan{}, "", fmt.Errorf("plan: %w", err)
	}
	id, err := planID(p, digests)
	if err != nil {
		return engine.Plan{}, "", err
	}
	return p, id, nil
}

func planNeeds(p engine.Plan) Tier {
	for _, c := range p.Changes {
		if c.Action == engine.Delete || c.Action == engine.Replace {
			return TierDestroy
		}
	}
	return TierWrite
}

func (s *Server) planTool(ctx context.Context, _ struct{}) (PlanOutput, error) {
	p, id, err := s.freshPlan(ctx)
	if err != nil {
		return PlanOutput{}, err
	}
	s.keepPlan(id, p)
	if s.deps.SavePlan != nil {
		// Plans outlive this server process: a client that starts one
		// server per call (the MCP Inspector's CLI) still applies by id.
		if err := s.deps.SavePlan(ctx, id, p); err != nil {
			return PlanOutput{}, fmt.Errorf("keep the plan: %w", err)
		}
	}
	return planOutput(id, p)
}

func planOutput(id string, p engine.Plan) (PlanOutput, error) {
	var b bytes.Buffer
	if err := engine.Render(&b, p, engine.RenderOptions{}); err != nil {
		return PlanOutput{}, fmt.Errorf("render plan: %w", err)
	}
	if p.Changes == nil {
		p.Changes = []engine.GuestChange{}
	}
	for i := range p.Changes {
		if p.Changes[i].Attrs == nil {
			p.Changes[i].Attrs = []engine.AttrChange{}
		}
	}
	return PlanOutput{PlanID: id, Summary: engine.SummaryLine(p.Summary()), Rendered: b.String(), Plan: p, Needs: planNeeds(p).String()}, nil
}

// ApplyInput names the plan to apply.
type ApplyInput struct {
	PlanID string `json:"plan_id" jsonschema:"the plan_id returned by plan"`
}

// StepResult is one call of an apply.
type StepResult struct {
	Address string `json:"address"`
	Target  string `json:"target"`
	Action  string `json:"action"`
	Outcome string `json:"outcome"`
	UPID    string `json:"upid,omitempty"`
	Error   string `json:"error,omitempty"`
}

// ApplyOutput is apply's answer.
type ApplyOutput struct {
	PlanID     string       `json:"plan_id"`
	Succeeded  []StepResult `json:"succeeded"`
	Failed     []StepResult `json:"failed"`
	NotStarted []StepResult `json:"not_started"`
}

// ErrUnknownPlan is an apply of a plan_id this server did not make.
var ErrUnknownPlan = errors.New("unknown plan_id: call plan first and apply the plan_id it returns")

// ErrStalePlan is an apply of a plan whose code or live guests changed.
var ErrStalePlan = errors.New("stale plan_id: the code or the live guests changed since the plan was made; call plan again, review it, and apply the new plan_id")

func (s *Server) apply(ctx context.Context, in ApplyInput) (ApplyOutput, error) {
	p, ok := s.plan(in.PlanID)
	if !ok && s.deps.LoadPlan != nil && validPlanID(in.PlanID) {
		lp, found, err := s.deps.LoadPlan(ctx, in.PlanID)
		if err != nil {
			return ApplyOutput{}, err
		}
		p, ok = lp, found
	}
	if !ok {
		return ApplyOutput{}, ErrUnknownPlan
	}
	if err := s.need("a plan that deletes or replaces guests", planNeeds(p)); err != nil {
		return ApplyOutput{}, err
	}
	if err := s.checkPlanGuests(ctx, p); err != nil {
		return ApplyOutput{}, err
	}
	if s.deps.Apply == nil {
		return ApplyOutput{}, unavailable("apply")
	}
	_, freshID, err := s.freshPlan(ctx)
	if err != nil {
		return ApplyOutput{}, err
	}
	if freshID != in.PlanID {
		return ApplyOutput{}, ErrStalePlan
	}
	res, err := s.deps.Apply(ctx, p)
	if err != nil {
		return ApplyOutput{}, fmt.Errorf("apply: %w", err)
	}
	out := ApplyOutput{PlanID: in.PlanID, Succeeded: steps(res.Succeeded), Failed: steps(res.Failed), NotStarted: steps(res.NotStarted)}
	if res.Err != nil {
		return out, fmt.Errorf("apply: %w", res.Err)
	}
	return out, nil
}

// checkPlanGuests refuses plans that touch guests outside the allowlists
// or replace or delete protected guests.
func (s *Server) checkPlanGuests(ctx context.Context, p engine.Plan) error {
	var byID map[int]*state.Guest
	for _, c := range p.Changes {
		live := c.Live
		if live == nil && c.Action != engine.Create {
			if byID == nil {
				gs, err := s.guests(ctx)
				if err != nil {
					return err
				}
				byID = make(map[int]*state.Guest, len(gs))
				for i := range gs {
					byID[gs[i].VMID] = &gs[i]
				}
			}
			live = byID[c.VMID]
		}
		g := state.Guest{VMID: c.VMID, Node: c.Node, Name: c.Name}
		if live != nil {
			g = *live
		} else if c.Desired != nil {
			g.Tags = c.Desired.Tags
		}
		if !s.allowed(&g) {
			return &RefusedError{Reason: fmt.Sprintf("the plan touches %s (vmid %d), outside the allowlists of this server", c.Address, c.VMID)}
		}
		if (c.Action == engine.Delete || c.Action == engine.Replace) && live != nil && protected(live.Tags) {
			return &RefusedError{Reason: fmt.Sprintf("the plan would %s %s (vmid %d), which is tagged protected", c.Action, c.Address, c.VMID)}
		}
	}
	return nil
}

func steps(ss []native.Step) []StepResult {
	out := make([]StepResult, 0, len(ss))
	for _, st := range ss {
		r := StepResult{Address: st.Address, Target: st.Target, Action: st.Action, Outcome: st.Outcome, UPID: st.UPID}
		if st.Err != nil {
			r.Error = st.Err.Error()
		}
		out = append(out, r)
	}
	return out
}

// GuestActionInput asks for one verb on one guest.
type GuestActionInput struct {
	Guest    string `json:"guest" jsonschema:"the guest's VMID or name"`
	Action   string `json:"action" jsonschema:"start, shutdown, reboot, snapshot (write); stop, rollback (destroy)"`
	Snapshot string `json:"snapshot,omitempty" jsonschema:"snapshot name, for snapshot and rollback"`
}

// GuestActionOutput is guest_action's answer.
type GuestActionOutput struct {
	VMID   int    `json:"vmid"`
	Name   string `json:"name"`
	Action string `json:"action"`
	GuestActionResult
}

// actionTiers are the verbs guest_action takes and the tier each needs.
var actionTiers = map[string]Tier{
	"start": TierWrite, "shutdown": TierWrite, "reboot": TierWrite, "snapshot": TierWrite,
	"stop": TierDestroy, "rollback": TierDestroy,
}

func (s *Server) guestAction(ctx context.Context, in GuestActionInput) (GuestActionOutput, error) {
	action := strings.ToLower(strings.TrimSpace(in.Action))
	need, ok := actionTiers[action]
	if !ok {
		return GuestActionOutput{}, fmt.Errorf("unknown action %q (want start, shutdown, reboot, snapshot, stop or rollback)", in.Action)
	}
	if err := s.need("guest_action "+action, need); err != nil {
		return GuestActionOutput{}, err
	}
	if (action == "snapshot" || action == "rollback") && strings.TrimSpace(in.Snapshot) == "" {
		return GuestActionOutput{}, fmt.Errorf("%s needs a snapshot name", action)
	}
	g, err := s.findGuest(ctx, in.Guest)
	if err != nil {
		return GuestActionOutput{}, err
	}
	if need == TierDestroy && protected(g.Tags) {
		return GuestActionOutput{}, &RefusedError{Reason: fmt.Sprintf("guest %d is tagged protected: MCP never runs %s on it", g.VMID, action)}
	}
	if s.deps.GuestAction == nil {
		return GuestActionOutput{}, unavailable("guest actions")
	}
	r, err := s.deps.GuestAction(ctx, GuestActionRequest{Guest: g, Action: action, Snapshot: in.Snapshot})
	if err != nil {
		return GuestActionOutput{}, fmt.Errorf("%s guest %d: %w", action, g.VMID, err)
	}
	return GuestActionOutput{VMID: g.VMID, Name: g.Name, Action: action, GuestActionResult: r}, nil
}

// EditCodeInput asks for one change of the code.
type EditCodeInput struct {
	Op    string            `json:"op" jsonschema:"create, set or delete"`
	Guest string            `json:"guest,omitempty" jsonschema:"set, delete: the guest's VMID or name"`
	Type  string            `json:"type,omitempty" jsonschema:"create: vm or ct"`
	VMID  int               `json:"vmid,omitempty" jsonschema:"create: the new guest's VMID"`
	Node  string            `json:"node,omitempty" jsonschema:"create: the node"`
	Name  string            `json:"name,omitempty" jsonschema:"create: the new guest's name"`
	Set   map[string]string `json:"set,omitempty" jsonschema:"attributes to set, as proxmox-mpc set takes them (cores=4, memory=4096, tags=a;b)"`
}

// EditCodeOutput is edit_code's answer.
type EditCodeOutput struct {
	Files []FileEdit `json:"files"`
	Next  string     `json:"next"`
}

func (s *Server) editCode(ctx context.Context, in EditCodeInput) (EditCodeOutput, error) {
	if s.deps.EditCode == nil {
		return EditCodeOutput{}, unavailable("edit_code")
	}
	req := EditRequest{Op: strings.ToLower(strings.TrimSpace(in.Op)), Set: in.Set}
	switch req.Op {
	case "create":
		if in.Type != state.TypeVM && in.Type != state.TypeCT {
			return EditCodeOutput{}, fmt.Errorf("create needs type vm or ct, not %q", in.Type)
		}
		if in.Name == "" || in.Node == "" {
			return EditCodeOutput{}, errors.New("create needs a name and a node")
		}
		g := state.Guest{VMID: in.VMID, Type: in.Type, Node: in.Node, Name: in.Name}
		if len(s.nodes) > 0 && !s.nodes[g.Node] || len(s.vmids) > 0 && !s.vmids[g.VMID] {
			return EditCodeOutput{}, &RefusedError{Reason: "the new guest is outside the allowlists of this server"}
		}
		req.Kind, req.Guest = in.Type, g
	case "set", "delete":
		g, err := s.findGuest(ctx, in.Guest)
		if err != nil {
			return EditCodeOutput{}, err
		}
		if req.Op == "set" && len(in.Set) == 0 {
			return EditCodeOutput{}, errors.New("set needs at least one attribute")
		}
		req.Kind, req.Ref, req.Guest = g.Type, strconv.Itoa(g.VMID), g
	default:
		return EditCodeOutput{}, fmt.Errorf("unknown op %q (want create, set or delete)", in.Op)
	}
	files, err := s.deps.EditCode(ctx, req)
	if err != nil {
		return EditCodeOutput{}, fmt.Errorf("edit code: %w", err)
	}
	if files == nil {
		files = []FileEdit{}
	}
	return EditCodeOutput{Files: files, Next: "call plan to see what this does on the cluster, then apply with its plan_id"}, nil
}

// validPlanID: a plan_id is 64 lower-case hex digits (SHA-256), so that a
// stored plan is never looked up by a path-like string.
func validPlanID(id string) bool {
	if len(id) != 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
