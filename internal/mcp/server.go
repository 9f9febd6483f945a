// Package mcp serves the cluster and the workspace to AI assistants over
// the Model Context Protocol: read tools, plan-then-apply, tiered
// permissions, allowlists, an audit journal and anonymized output.
//
// It is a front end: everything it reads or changes comes through Deps,
// which the composition root wires from the Factory.
package mcp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/anonymize"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine/native"
	"github.com/proxmox-mpc/proxmox-mpc/internal/health"
	"github.com/proxmox-mpc/proxmox-mpc/internal/observe"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// Tier is what the assistant may do: read (default), write, destroy.
type Tier int

// Tiers, from the least to the most power.
const (
	TierRead Tier = iota
	TierWrite
	TierDestroy
)

func (t Tier) String() string {
	switch t {
	case TierWrite:
		return "write"
	case TierDestroy:
		return "destroy"
	default:
		return "read"
	}
}

// ParseTier reads an --allow value.
func ParseTier(s string) (Tier, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "read":
		return TierRead, nil
	case "write":
		return TierWrite, nil
	case "destroy":
		return TierDestroy, nil
	}
	return TierRead, fmt.Errorf("unknown permission tier %q (want read, write or destroy)", s)
}

// ProtectedTag marks a guest that MCP never stops, replaces or destroys.
const ProtectedTag = "protected"

// Options configure a Server.
type Options struct {
	Allow     Tier
	Nodes     []string // allowlist of nodes (empty: all)
	Tags      []string // allowlist of tags: a guest needs one of them (empty: all)
	VMIDs     []int    // allowlist of VMIDs (empty: all)
	NoPrivacy bool     // true: show real names and addresses (--privacy off)
	// ClientName names the client in the journal when its initialize
	// request did not.
	ClientName string
	// Version is the server version announced to clients.
	Version string
	Logger  *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// SyncSummary is what a sync did.
type SyncSummary struct {
	SyncID    int64    `json:"sync_id"`
	Added     int      `json:"added"`
	Changed   int      `json:"changed"`
	Removed   int      `json:"removed"`
	Unchanged int      `json:"unchanged"`
	Warnings  []string `json:"warnings"`
}

// GuestActionRequest asks for one operational verb on one guest, already
// checked against tier, allowlists and the protected tag.
type GuestActionRequest struct {
	Guest    state.Guest
	Action   string // start, stop, shutdown, reboot, snapshot, rollback
	Snapshot string // snapshot name (snapshot, rollback)
}

// GuestActionResult is what the verb did.
type GuestActionResult struct {
	UPID    string `json:"upid,omitempty"`
	Outcome string `json:"outcome"`
	Detail  string `json:"detail,omitempty"`
}

// EditRequest asks for one change of the workspace's Terraform code.
type EditRequest struct {
	Op   string // create, set, delete
	Kind string // state.TypeVM or state.TypeCT
	// Ref is the guest's VMID or name (set, delete).
	Ref string
	// Guest is the guest to create (create): VMID, Node, Name, Type.
	Guest state.Guest
	// Set maps attribute paths (as `proxmox-mpc set` takes them) to values.
	Set map[string]string
}

// FileEdit is one file an edit changed.
type FileEdit struct {
	Path string `json:"path"`
	Diff string `json:"diff"`
}

// Deps are where the server reads and acts. A nil func disables what
// needs it: its tools answer with an error that says so.
type Deps struct {
	// Guests lists the guests (the state store in a workspace, the server
	// outside one), removed ones excluded.
	Guests func(ctx context.Context) ([]state.Guest, error)
	// History lists the recorded changes of one guest ("guest/<vmid>").
	History  func(ctx context.Context, resourceKey string) ([]state.Change, error)
	Nodes    func(ctx context.Context) ([]state.Node, error)
	Storages func(ctx context.Context) ([]state.Storage, error)
	Health   func(ctx context.Context) (health.Report, error)
	Logs     func(ctx context.Context, f observe.Filter) ([]observe.Record, error)
	Drift    func(ctx context.Context) (engine.DriftReport, error)
	Sync     func(ctx context.Context) (SyncSummary, error)
	// Plan makes a fresh plan and returns the config digest of every live
	// guest it saw (VMID → digest).
	Plan        func(ctx context.Context) (engine.Plan, map[int]string, error)
	Apply       func(ctx context.Context, p engine.Plan) (native.Result, error)
	GuestAction func(ctx context.Context, r GuestActionRequest) (GuestActionResult, error)
	EditCode    func(ctx context.Context, r EditRequest) ([]FileEdit, error)
	// TerraformFile reads one file of the workspace's terraform/ folder by
	// its base name.
	TerraformFile func(ctx context.Context, name string) ([]byte, error)
	// SavePlan and LoadPlan keep plans by plan_id beyond this process (nil:
	// in memory only); LoadPlan's found is false for an unknown id.
	SavePlan func(ctx context.Context, id string, p engine.Plan) error
	LoadPlan func(ctx context.Context, id string) (p engine.Plan, found bool, err error)
	// Journal records one finished operation in the audit journal.
	Journal func(ctx context.Context, op state.Operation) error
	// Anonymizer builds the workspace's anonymization engine; nil, or a
	// nil engine, means no workspace: a random in-memory key is used.
	Anonymizer func(ctx context.Context) (*anonymize.Engine, error)
	// Workspace names the workspace root ("" outside one).
	Workspace string
}

// Server is an MCP server over Deps.
type Server struct {
	deps Deps
	opts Options
	sdk  *sdk.Server
	log  *slog.Logger
	now  func() time.Time

	nodes map[string]bool
	tags  map[string]bool
	vmids map[int]bool

	hidden map[string]Tier // tools above the tier → the tier they need

	engMu      sync.Mutex
	eng        *anonymize.Engine
	sessionKey bool

	planMu sync.Mutex
	plans  map[string]engine.Plan
	order  []string // plan ids, oldest first
	latest string
}

// maxPlans bounds the plans kept in memory.
const maxPlans = 32

// New builds the server with its tools, resources and prompts.
func New(deps Deps, opts Options) *Server {
	s := &Server{deps: deps, opts: opts, log: opts.Logger, now: opts.Now,
		nodes: map[string]bool{}, tags: map[string]bool{}, vmids: map[int]bool{},
		hidden: map[string]Tier{}, plans: map[string]engine.Plan{}}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	for _, n := range opts.Nodes {
		s.nodes[n] = true
	}
	for _, t := range opts.Tags {
		s.tags[strings.ToLower(t)] = true
	}
	for _, v := range opts.VMIDs {
		s.vmids[v] = true
	}
	version := opts.Version
	if version == "" {
		version = "dev"
	}
	s.sdk = sdk.NewServer(&sdk.Implementation{Name: "proxmox-mpc", Version: version},
		&sdk.ServerOptions{Instructions: s.instructions(), Logger: s.log})
	s.addTools()
	s.addResources()
	s.addPrompts()
	s.sdk.AddReceivingMiddleware(s.tierGate)
	return s
}

// SDK returns the go-sdk server, to connect transports to.
func (s *Server) SDK() *sdk.Server { return s.sdk }

// Run serves one session over t until the client disconnects or ctx ends.
func (s *Server) Run(ctx context.Context, t sdk.Transport) error {
	return s.sdk.Run(ctx, t)
}

func (s *Server) instructions() string {
	var b strings.Builder
	b.WriteString("proxmox-mpc: a Proxmox VE cluster and its infrastructure-as-code workspace. ")
	b.WriteString("Read with list_guests, get_guest, list_nodes, list_storage, health, query_logs, drift. ")
	fmt.Fprintf(&b, "Permission tier: %s. ", s.opts.Allow)
	switch s.opts.Allow {
	case TierRead:
		b.WriteString("Changes are not allowed (restart with --allow write). ")
	default:
		b.WriteString("To change the cluster: edit_code, then plan, show the plan to the user, then apply with its plan_id. ")
		if s.opts.Allow < TierDestroy {
			b.WriteString("Stop, rollback and plans that delete or replace guests need --allow destroy. ")
		}
	}
	b.WriteString("Guests tagged 'protected' are never stopped, replaced or destroyed through MCP. ")
	if s.opts.NoPrivacy {
		b.WriteString("Privacy is OFF: outputs show real names and addresses.")
	} else {
		b.WriteString("Privacy is ON: names and addresses in outputs are consistent pseudonyms; use them as they are in tool inputs, they are mapped back to the real values.")
		if s.deps.Anonymizer == nil {
			b.WriteString(" No workspace key: pseudonyms come from a random key for this session only.")
		}
	}
	return b.String()
}

// engine returns the anonymization engine (nil with privacy off).
func (s *Server) engine(ctx context.Context) (*anonymize.Engine, error) {
	if s.opts.NoPrivacy {
		return nil, nil
	}
	s.engMu.Lock()
	defer s.engMu.Unlock()
	if s.eng != nil {
		return s.eng, nil
	}
	if s.deps.Anonymizer != nil {
		e, err := s.deps.Anonymizer(ctx)
		if err != nil {
			return nil, fmt.Errorf("anonymization engine: %w", err)
		}
		if e != nil {
			s.eng = e
			return e, nil
		}
	}
	key, err := anonymize.NewKey()
	if err != nil {
		return nil, fmt.Errorf("session anonymization key: %w", err)
	}
	e, err := anonymize.New(key, anonymize.Rules{}, s.knownNames(ctx))
	if err != nil {
		return nil, fmt.Errorf("anonymization engine: %w", err)
	}
	s.eng, s.sessionKey = e, true
	return e, nil
}

// knownNames lists the names of guests, nodes and storages for a session
// engine, so that they are masked even without a recognisable shape.
func (s *Server) knownNames(ctx context.Context) anonymize.Known {
	seen := map[string]bool{}
	var k anonymize.Known
	add := func(n string) {
		if n != "" && !seen[n] {
			seen[n] = true
			k.Hosts = append(k.Hosts, n)
		}
	}
	if s.deps.Guests != nil {
		if gs, err := s.deps.Guests(ctx); err == nil {
			for i := range gs {
				add(gs[i].Name)
				add(gs[i].Node)
			}
		}
	}
	if s.deps.Nodes != nil {
		if ns, err := s.deps.Nodes(ctx); err == nil {
			for _, n := range ns {
				add(n.Name)
			}
		}
	}
	if s.deps.Storages != nil {
		if ss, err := s.deps.Storages(ctx); err == nil {
			for _, st := range ss {
				add(st.Name)
			}
		}
	}
	return k
}

// mask anonymizes v through JSON (privacy on), keeping its type.
func mask[T any](ctx context.Context, s *Server, v T) (T, error) {
	e, err := s.engine(ctx)
	if err != nil || e == nil {
		return v, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return v, fmt.Errorf("encode output: %w", err)
	}
	b, err = e.JSON(b)
	if err != nil {
		return v, fmt.Errorf("anonymize output: %w", err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		return v, fmt.Errorf("decode anonymized output: %w", err)
	}
	return out, nil
}

// maskText anonymizes text (privacy on).
func (s *Server) maskText(ctx context.Context, t string) (string, error) {
	e, err := s.engine(ctx)
	if err != nil || e == nil {
		return t, err
	}
	return e.Text(t), nil
}

// unmask maps pseudonyms in an input back to real values (privacy on).
func unmask[T any](s *Server, v T) T {
	if s.opts.NoPrivacy {
		return v
	}
	s.engMu.Lock()
	e := s.eng
	s.engMu.Unlock()
	if e == nil {
		return v
	}
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out T
	if err := json.Unmarshal([]byte(anonymize.Reverse(string(b), e.Mapping())), &out); err != nil {
		return v
	}
	return out
}

// TierError is a call above the server's permission tier.
type TierError struct {
	What string
	Need Tier
}

func (e *TierError) Error() string {
	return fmt.Sprintf("%s needs --allow %s", e.What, e.Need)
}

// Hint says how to allow it.
func (e *TierError) Hint() string {
	return fmt.Sprintf("restart the server with `proxmox-mpc mcp --allow %s`", e.Need)
}

// RefusedError is a call the allowlists or the protected tag refuse.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return "refused: " + e.Reason }

// ErrUnavailable means the server was started without what a tool needs
// (outside a workspace, or no state store).
var ErrUnavailable = errors.New("not available here")

func unavailable(what string) error {
	return fmt.Errorf("%s: %w (run inside a synced workspace)", what, ErrUnavailable)
}

func (s *Server) need(what string, t Tier) error {
	if s.opts.Allow < t {
		return &TierError{What: what, Need: t}
	}
	return nil
}

// allowed reports whether the allowlists admit g.
func (s *Server) allowed(g *state.Guest) bool {
	if len(s.nodes) > 0 && !s.nodes[g.Node] {
		return false
	}
	if len(s.vmids) > 0 && !s.vmids[g.VMID] {
		return false
	}
	if len(s.tags) > 0 && !slices.ContainsFunc(g.Tags, func(t string) bool { return s.tags[strings.ToLower(t)] }) {
		return false
	}
	return true
}

func protected(tags []string) bool {
	return slices.ContainsFunc(tags, func(t string) bool { return strings.EqualFold(t, ProtectedTag) })
}

// clientName is the client's name from its initialize request.
func (s *Server) clientName(ss *sdk.ServerSession) string {
	if ss != nil {
		if p := ss.InitializeParams(); p != nil && p.ClientInfo != nil && p.ClientInfo.Name != "" {
			return p.ClientInfo.Name
		}
	}
	if s.opts.ClientName != "" {
		return s.opts.ClientName
	}
	return "unknown"
}

// journal records one call.
func (s *Server) journal(ctx context.Context, ss *sdk.ServerSession, tool, target string, params any, started time.Time, err error) {
	if s.deps.Journal == nil {
		return
	}
	fin := s.now()
	op := state.Operation{
		StartedAt: started, FinishedAt: &fin,
		APIIdentity: "mcp:" + s.clientName(ss),
		Action:      "mcp-" + tool, Target: target,
		Params:     paramsMap(params),
		Outcome:    state.OutcomeOK,
		DurationMS: fin.Sub(started).Milliseconds(),
	}
	op.Params["client"] = s.clientName(ss)
	if err != nil {
		op.Outcome, op.Error = state.OutcomeFailed, err.Error()
	}
	if jerr := s.deps.Journal(ctx, op); jerr != nil {
		s.log.Warn("journal mcp call", "tool", tool, "err", jerr)
	}
}

// secretKeys are input keys never journaled.
var secretKeys = []string{"password", "token", "secret", "key"}

func paramsMap(v any) map[string]any {
	m := map[string]any{}
	if v == nil {
		return m
	}
	b, err := json.Marshal(v)
	if err != nil {
		return m
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return map[string]any{}
	}
	for k, val := range m {
		if slices.ContainsFunc(secretKeys, func(s string) bool { return strings.Contains(strings.ToLower(k), s) }) {
			m[k] = "[redacted]"
		}
		if val == nil || val == "" || val == float64(0) {
			delete(m, k)
		}
	}
	return m
}

// planID binds a plan's changes to the live digests it saw.
func planID(p engine.Plan, digests map[int]string) (string, error) {
	h := sha256.New()
	b, err := json.Marshal(p.Changes)
	if err != nil {
		return "", fmt.Errorf("hash plan: %w", err)
	}
	h.Write(b)
	ids := make([]int, 0, len(digests))
	for id := range digests {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		h.Write([]byte("\n" + strconv.Itoa(id) + "=" + digests[id]))
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func (s *Server) keepPlan(id string, p engine.Plan) {
	s.planMu.Lock()
	defer s.planMu.Unlock()
	if _, ok := s.plans[id]; !ok {
		s.order = append(s.order, id)
		if len(s.order) > maxPlans {
			delete(s.plans, s.order[0])
			s.order = s.order[1:]
		}
	}
	s.plans[id] = p
	s.latest = id
}

func (s *Server) plan(id string) (engine.Plan, bool) {
	s.planMu.Lock()
	defer s.planMu.Unlock()
	p, ok := s.plans[id]
	return p, ok
}

func (s *Server) latestPlan() (string, engine.Plan, bool) {
	s.planMu.Lock()
	defer s.planMu.Unlock()
	p, ok := s.plans[s.latest]
	return s.latest, p, ok
}
