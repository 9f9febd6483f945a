package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/engine"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine/native"
	"github.com/proxmox-mpc/proxmox-mpc/internal/health"
	"github.com/proxmox-mpc/proxmox-mpc/internal/observe"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

var clock = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func testGuests() []state.Guest {
	return []state.Guest{
		{VMID: 101, Type: "vm", Node: "pve-alpha", Name: "webserver-prod", Status: "running", Tags: []string{"web", "prod"},
			Config: map[string]string{"ipconfig0": "ip=192.168.77.21/24,gw=192.168.77.1", "net0": "virtio=BC:24:11:AA:BB:01,bridge=vmbr0"},
			Digest: "d101", AgentIPs: []string{"192.168.77.21/24"}},
		{VMID: 102, Type: "vm", Node: "pve-alpha", Name: "database-main", Status: "running", Tags: []string{"db", "protected"},
			Digest: "d102", AgentIPs: []string{"192.168.77.22/24"}},
		{VMID: 201, Type: "ct", Node: "pve-beta", Name: "dnsresolver", Status: "stopped", Tags: []string{"infra"}, Digest: "d201"},
	}
}

type fake struct {
	mu      sync.Mutex
	guests  []state.Guest
	plans   []engine.Plan // Plan returns them in turn (the last one repeats)
	digests []map[int]string
	calls   int
	applied []engine.Plan
	actions []GuestActionRequest
	ops     []state.Operation
}

func newFake() *fake {
	return &fake{guests: testGuests()}
}

func (f *fake) deps() Deps {
	return Deps{
		Guests: func(context.Context) ([]state.Guest, error) { return f.guests, nil },
		History: func(_ context.Context, key string) ([]state.Change, error) {
			return []state.Change{{ResourceKey: key, Kind: state.ChangeUpdated, Field: "memory", Old: "2048", New: "4096", At: clock}}, nil
		},
		Nodes: func(context.Context) ([]state.Node, error) {
			return []state.Node{{Name: "pve-alpha", Status: "online", CPUs: 8}, {Name: "pve-beta", Status: "online", CPUs: 4}}, nil
		},
		Storages: func(context.Context) ([]state.Storage, error) {
			return []state.Storage{{Node: "pve-alpha", Name: "nas-store01", Type: "nfs"}}, nil
		},
		Health: func(context.Context) (health.Report, error) {
			return health.Report{Overall: "green", Summary: "healthy", Checks: []health.Check{{Name: "server", Status: "green", Detail: "pve-alpha answers"}}}, nil
		},
		Logs: func(_ context.Context, fl observe.Filter) ([]observe.Record, error) {
			return []observe.Record{{Time: clock, Msg: "started webserver-prod", Operation: "start"}}, nil
		},
		Drift: func(context.Context) (engine.DriftReport, error) { return engine.DriftReport{}, nil },
		Sync:  func(context.Context) (SyncSummary, error) { return SyncSummary{SyncID: 7, Unchanged: 3}, nil },
		Plan: func(context.Context) (engine.Plan, map[int]string, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			n := f.calls
			f.calls++
			return f.plans[min(n, len(f.plans)-1)], f.digests[min(n, len(f.digests)-1)], nil
		},
		Apply: func(_ context.Context, p engine.Plan) (native.Result, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.applied = append(f.applied, p)
			var r native.Result
			for _, c := range p.Changes {
				r.Succeeded = append(r.Succeeded, native.Step{Address: c.Address, Target: fmt.Sprintf("vm/%d", c.VMID), Action: "apply-update", Outcome: "ok"})
			}
			return r, nil
		},
		GuestAction: func(_ context.Context, r GuestActionRequest) (GuestActionResult, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.actions = append(f.actions, r)
			return GuestActionResult{Outcome: "ok", UPID: "UPID:pve-alpha:1"}, nil
		},
		EditCode: func(_ context.Context, r EditRequest) ([]FileEdit, error) {
			return []FileEdit{{Path: "terraform/" + r.Guest.Name + ".tf", Diff: "+  cores = 4\n"}}, nil
		},
		TerraformFile: func(_ context.Context, name string) ([]byte, error) {
			if name != "webserver-prod.tf" {
				return nil, errors.New("no such file")
			}
			return []byte(`resource "proxmox_virtual_environment_vm" "webserver_prod" { name = "webserver-prod" }`), nil
		},
		Journal: func(_ context.Context, op state.Operation) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.ops = append(f.ops, op)
			return nil
		},
		Workspace: "/ws",
	}
}

func updatePlan(vmid int, action engine.Action) engine.Plan {
	g := testGuests()
	var live *state.Guest
	for i := range g {
		if g[i].VMID == vmid {
			live = &g[i]
		}
	}
	return engine.Plan{Changes: []engine.GuestChange{{Address: fmt.Sprintf("proxmox_virtual_environment_vm.g%d", vmid), Kind: "vm", VMID: vmid,
		Node: live.Node, Name: live.Name, Action: action, Digest: live.Digest, Live: live,
		Attrs: []engine.AttrChange{{Path: "cpu.cores", Old: "2", New: "4", Disruption: engine.Hotplug}}}}, CreatedAt: clock}
}

func connect(t testing.TB, deps Deps, opts Options) *sdk.ClientSession {
	t.Helper()
	opts.Now = func() time.Time { return clock }
	srv := New(deps, opts)
	ctx, cancel := context.WithCancel(context.Background())
	st, ct := sdk.NewInMemoryTransports()
	ss, err := srv.SDK().Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := sdk.NewClient(&sdk.Implementation{Name: "test-client", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close(); ss.Wait(); cancel() })
	return cs
}

func call(t *testing.T, cs *sdk.ClientSession, name string, args any) *sdk.CallToolResult {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &sdk.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

func text(r *sdk.CallToolResult) string {
	var b strings.Builder
	for _, c := range r.Content {
		if tc, ok := c.(*sdk.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func decode[T any](t *testing.T, r *sdk.CallToolResult) T {
	t.Helper()
	if r.IsError {
		t.Fatalf("tool error: %s", text(r))
	}
	b, err := json.Marshal(r.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

var readTools = []string{"drift", "get_guest", "health", "list_guests", "list_nodes", "list_storage", "query_logs", "sync"}

func TestToolsListPerTier(t *testing.T) {
	t.Parallel()
	writeTools := append(slices.Clone(readTools), "apply", "edit_code", "guest_action", "plan")
	slices.Sort(writeTools)
	tests := []struct {
		tier            Tier
		want            []string
		applyDestructve bool
	}{
		{TierRead, readTools, false},
		{TierWrite, writeTools, false},
		{TierDestroy, writeTools, true},
	}
	for _, tt := range tests {
		t.Run(tt.tier.String(), func(t *testing.T) {
			t.Parallel()
			cs := connect(t, newFake().deps(), Options{Allow: tt.tier, NoPrivacy: true})
			res, err := cs.ListTools(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tool := range res.Tools {
				names = append(names, tool.Name)
				if tool.InputSchema == nil || tool.OutputSchema == nil {
					t.Errorf("%s: missing schema", tool.Name)
				}
				a := tool.Annotations
				if a == nil || a.DestructiveHint == nil {
					t.Fatalf("%s: no annotations", tool.Name)
				}
				switch tool.Name {
				case "list_guests", "get_guest", "plan":
					if !a.ReadOnlyHint || *a.DestructiveHint || !a.IdempotentHint {
						t.Errorf("%s: annotations %+v", tool.Name, a)
					}
				case "sync":
					if a.ReadOnlyHint || *a.DestructiveHint {
						t.Errorf("sync: annotations %+v", a)
					}
				case "apply":
					if a.ReadOnlyHint || a.IdempotentHint || *a.DestructiveHint != tt.applyDestructve {
						t.Errorf("apply: annotations %+v", a)
					}
				}
			}
			slices.Sort(names)
			if d := cmp.Diff(tt.want, names); d != "" {
				t.Errorf("tools (-want +got):\n%s", d)
			}
		})
	}
}

func vmids(rows []GuestRow) []int {
	var ids []int
	for _, r := range rows {
		ids = append(ids, r.VMID)
	}
	return ids
}

func TestListGuestsFilteredAndAllowlisted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts Options
		in   ListGuestsInput
		want []int
	}{
		{"all", Options{}, ListGuestsInput{}, []int{101, 102, 201}},
		{"node", Options{}, ListGuestsInput{Node: "pve-beta"}, []int{201}},
		{"status", Options{}, ListGuestsInput{Status: "running"}, []int{101, 102}},
		{"tag", Options{}, ListGuestsInput{Tag: "DB"}, []int{102}},
		{"type", Options{}, ListGuestsInput{Type: "ct"}, []int{201}},
		{"name substring", Options{}, ListGuestsInput{Name: "SERVER"}, []int{101}},
		{"limit", Options{}, ListGuestsInput{Limit: 1}, []int{101}},
		{"page", Options{}, ListGuestsInput{Limit: 1, Offset: 1}, []int{102}},
		{"node allowlist", Options{Nodes: []string{"pve-alpha"}}, ListGuestsInput{}, []int{101, 102}},
		{"tag allowlist", Options{Tags: []string{"infra", "web"}}, ListGuestsInput{}, []int{101, 201}},
		{"vmid allowlist and filter", Options{VMIDs: []int{102, 201}}, ListGuestsInput{Status: "running"}, []int{102}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.opts.NoPrivacy = true
			cs := connect(t, newFake().deps(), tt.opts)
			out := decode[ListGuestsOutput](t, call(t, cs, "list_guests", tt.in))
			if d := cmp.Diff(tt.want, vmids(out.Guests)); d != "" {
				t.Errorf("vmids (-want +got):\n%s", d)
			}
		})
	}
	t.Run("get_guest outside the allowlist", func(t *testing.T) {
		t.Parallel()
		cs := connect(t, newFake().deps(), Options{NoPrivacy: true, Nodes: []string{"pve-beta"}})
		r := call(t, cs, "get_guest", GetGuestInput{Guest: "101"})
		if !r.IsError || !strings.Contains(text(r), "outside the allowlists") {
			t.Errorf("got %v %q", r.IsError, text(r))
		}
	})
}

// realValues are the names and addresses of the fake data.
var realValues = []string{"webserver-prod", "database-main", "dnsresolver", "pve-alpha", "pve-beta", "192.168.77.21", "192.168.77.22", "192.168.77.1", "BC:24:11:AA:BB:01", "nas-store01"}

func TestPrivacy(t *testing.T) {
	t.Parallel()
	f := newFake()
	f.plans, f.digests = []engine.Plan{updatePlan(101, engine.Update)}, []map[int]string{{101: "d101"}}
	cs := connect(t, f.deps(), Options{Allow: TierWrite})
	outputs := map[string]*sdk.CallToolResult{}
	for _, name := range []string{"list_guests", "list_nodes", "list_storage", "health", "query_logs", "plan"} {
		outputs[name] = call(t, cs, name, map[string]any{})
	}
	outputs["get_guest"] = call(t, cs, "get_guest", GetGuestInput{Guest: "101"})
	outputs["error"] = call(t, cs, "get_guest", GetGuestInput{Guest: "999"})
	for name, r := range outputs {
		b, _ := json.Marshal(r)
		for _, v := range realValues {
			if strings.Contains(string(b), v) {
				t.Errorf("%s output shows %q: %s", name, v, b)
			}
		}
	}
	// a pseudonym sent back is mapped to the real guest
	list := decode[ListGuestsOutput](t, outputs["list_guests"])
	if list.Guests[0].Name == "webserver-prod" || list.Guests[0].Name == "" {
		t.Fatalf("name not anonymized: %q", list.Guests[0].Name)
	}
	got := decode[GuestDetail](t, call(t, cs, "get_guest", GetGuestInput{Guest: list.Guests[0].Name}))
	if got.VMID != 101 {
		t.Errorf("pseudonym %q resolved to vmid %d, want 101", list.Guests[0].Name, got.VMID)
	}
	call(t, cs, "guest_action", GuestActionInput{Guest: list.Guests[0].Name, Action: "start"})
	if len(f.actions) != 1 || f.actions[0].Guest.Name != "webserver-prod" {
		t.Errorf("guest_action got %+v", f.actions)
	}
	init := cs.InitializeResult()
	if !strings.Contains(init.Instructions, "Privacy is ON") {
		t.Errorf("instructions: %q", init.Instructions)
	}
}

func TestPrivacyOff(t *testing.T) {
	t.Parallel()
	cs := connect(t, newFake().deps(), Options{NoPrivacy: true})
	out := decode[ListGuestsOutput](t, call(t, cs, "list_guests", map[string]any{}))
	if out.Guests[0].Name != "webserver-prod" {
		t.Errorf("name %q, want the real one", out.Guests[0].Name)
	}
	if !strings.Contains(cs.InitializeResult().Instructions, "Privacy is OFF") {
		t.Errorf("instructions do not say privacy is off: %q", cs.InitializeResult().Instructions)
	}
}

func TestPlanApply(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		tier    Tier
		plans   []engine.Plan
		digests []map[int]string
		planID  string // "" = the one plan returned
		wantErr string
		applied int
	}{
		{name: "round trip", tier: TierWrite, plans: []engine.Plan{updatePlan(101, engine.Update)},
			digests: []map[int]string{{101: "d101", 102: "d102"}}, applied: 1},
		{name: "unknown plan_id", tier: TierWrite, plans: []engine.Plan{updatePlan(101, engine.Update)},
			digests: []map[int]string{{101: "d101"}}, planID: "abc", wantErr: "unknown plan_id"},
		{name: "stale: live digest changed", tier: TierWrite, plans: []engine.Plan{updatePlan(101, engine.Update)},
			digests: []map[int]string{{101: "d101"}, {101: "d101-changed"}}, wantErr: "stale plan_id"},
		{name: "stale: plan changed", tier: TierWrite, plans: []engine.Plan{updatePlan(101, engine.Update), updatePlan(201, engine.Update)},
			digests: []map[int]string{{101: "d101"}}, wantErr: "stale plan_id"},
		{name: "replace needs destroy", tier: TierWrite, plans: []engine.Plan{updatePlan(101, engine.Replace)},
			digests: []map[int]string{{101: "d101"}}, wantErr: "needs --allow destroy"},
		{name: "replace under destroy", tier: TierDestroy, plans: []engine.Plan{updatePlan(101, engine.Replace)},
			digests: []map[int]string{{101: "d101"}}, applied: 1},
		{name: "protected guest never deleted", tier: TierDestroy, plans: []engine.Plan{updatePlan(102, engine.Delete)},
			digests: []map[int]string{{102: "d102"}}, wantErr: "tagged protected"},
		{name: "protected guest may be updated", tier: TierWrite, plans: []engine.Plan{updatePlan(102, engine.Update)},
			digests: []map[int]string{{102: "d102"}}, applied: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake()
			f.plans, f.digests = tt.plans, tt.digests
			cs := connect(t, f.deps(), Options{Allow: tt.tier, NoPrivacy: true})
			plan := decode[PlanOutput](t, call(t, cs, "plan", map[string]any{}))
			if len(plan.PlanID) != 64 || len(plan.Plan.Changes) != 1 || !strings.Contains(plan.Summary, "Plan:") {
				t.Fatalf("plan output %+v", plan)
			}
			id := plan.PlanID
			if tt.planID != "" {
				id = tt.planID
			}
			r := call(t, cs, "apply", ApplyInput{PlanID: id})
			if tt.wantErr != "" {
				if !r.IsError || !strings.Contains(text(r), tt.wantErr) {
					t.Errorf("apply: isError=%v %q, want %q", r.IsError, text(r), tt.wantErr)
				}
			} else {
				out := decode[ApplyOutput](t, r)
				if len(out.Succeeded) != 1 {
					t.Errorf("apply output %+v", out)
				}
			}
			if len(f.applied) != tt.applied {
				t.Errorf("applied %d plans, want %d", len(f.applied), tt.applied)
			}
		})
	}
}

func TestAboveTierRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		tier Tier
		tool string
		args any
		want string
	}{
		{"apply under read", TierRead, "apply", ApplyInput{PlanID: "x"}, "apply needs --allow write"},
		{"plan under read", TierRead, "plan", map[string]any{}, "plan needs --allow write"},
		{"edit_code under read", TierRead, "edit_code", EditCodeInput{Op: "set"}, "needs --allow write"},
		{"stop under write", TierWrite, "guest_action", GuestActionInput{Guest: "101", Action: "stop"}, "guest_action stop needs --allow destroy"},
		{"rollback under write", TierWrite, "guest_action", GuestActionInput{Guest: "101", Action: "rollback", Snapshot: "s"}, "needs --allow destroy"},
		{"stop protected", TierDestroy, "guest_action", GuestActionInput{Guest: "database-main", Action: "stop"}, "tagged protected"},
		{"rollback protected", TierDestroy, "guest_action", GuestActionInput{Guest: "102", Action: "rollback", Snapshot: "s"}, "tagged protected"},
		{"unknown action", TierDestroy, "guest_action", GuestActionInput{Guest: "101", Action: "explode"}, "unknown action"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake()
			cs := connect(t, f.deps(), Options{Allow: tt.tier, NoPrivacy: true})
			r := call(t, cs, tt.tool, tt.args)
			if !r.IsError || !strings.Contains(text(r), tt.want) {
				t.Errorf("isError=%v %q, want %q", r.IsError, text(r), tt.want)
			}
			if len(f.actions) != 0 {
				t.Errorf("actions ran: %+v", f.actions)
			}
			if len(f.ops) != 1 || f.ops[0].Outcome != state.OutcomeFailed || f.ops[0].Action != "mcp-"+tt.tool {
				t.Errorf("journal: %+v", f.ops)
			}
		})
	}
	t.Run("stop allowed under destroy", func(t *testing.T) {
		t.Parallel()
		f := newFake()
		cs := connect(t, f.deps(), Options{Allow: TierDestroy, NoPrivacy: true})
		out := decode[GuestActionOutput](t, call(t, cs, "guest_action", GuestActionInput{Guest: "webserver-prod", Action: "stop"}))
		if out.VMID != 101 || out.Outcome != "ok" || len(f.actions) != 1 || f.actions[0].Action != "stop" {
			t.Errorf("got %+v, actions %+v", out, f.actions)
		}
	})
}

func TestEditCode(t *testing.T) {
	t.Parallel()
	cs := connect(t, newFake().deps(), Options{Allow: TierWrite, NoPrivacy: true})
	out := decode[EditCodeOutput](t, call(t, cs, "edit_code", EditCodeInput{Op: "set", Guest: "101", Set: map[string]string{"cores": "4"}}))
	if len(out.Files) != 1 || out.Files[0].Path != "terraform/webserver-prod.tf" || !strings.Contains(out.Next, "plan") {
		t.Errorf("got %+v", out)
	}
	r := call(t, cs, "edit_code", EditCodeInput{Op: "create", Type: "lxc", Name: "x", Node: "pve-alpha"})
	if !r.IsError {
		t.Errorf("create with a bad type: %q", text(r))
	}
}

func TestJournal(t *testing.T) {
	t.Parallel()
	f := newFake()
	cs := connect(t, f.deps(), Options{NoPrivacy: true})
	call(t, cs, "get_guest", GetGuestInput{Guest: "webserver-prod"})
	if len(f.ops) != 1 {
		t.Fatalf("journal: %+v", f.ops)
	}
	op := f.ops[0]
	want := state.Operation{StartedAt: clock, FinishedAt: &clock, APIIdentity: "mcp:test-client", Action: "mcp-get_guest",
		Target: "webserver-prod", Params: map[string]any{"guest": "webserver-prod", "client": "test-client"}, Outcome: state.OutcomeOK}
	if d := cmp.Diff(want, op); d != "" {
		t.Errorf("operation (-want +got):\n%s", d)
	}
}

func TestResources(t *testing.T) {
	t.Parallel()
	f := newFake()
	f.plans, f.digests = []engine.Plan{updatePlan(101, engine.Update)}, []map[int]string{{101: "d101"}}
	cs := connect(t, f.deps(), Options{Allow: TierWrite, NoPrivacy: true})
	ctx := context.Background()
	rl, err := cs.ListResources(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var uris []string
	for _, r := range rl.Resources {
		uris = append(uris, r.URI)
	}
	slices.Sort(uris)
	if d := cmp.Diff([]string{"pmc://guests", "pmc://health", "pmc://logs/recent", "pmc://plan/latest", "pmc://workspace"}, uris); d != "" {
		t.Errorf("resources (-want +got):\n%s", d)
	}
	tl, err := cs.ListResourceTemplates(ctx, nil)
	if err != nil || len(tl.ResourceTemplates) != 2 {
		t.Fatalf("templates: %v %+v", err, tl)
	}
	if _, err := cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: "pmc://plan/latest"}); err == nil {
		t.Error("plan/latest before any plan: no error")
	}
	call(t, cs, "plan", map[string]any{})
	tests := []struct{ uri, want string }{
		{"pmc://workspace", `"guests": 3`},
		{"pmc://guests", `"webserver-prod"`},
		{"pmc://guests/201", `"dnsresolver"`},
		{"pmc://terraform/webserver-prod.tf", `resource "proxmox_virtual_environment_vm"`},
		{"pmc://plan/latest", `"plan_id"`},
		{"pmc://logs/recent", `started webserver-prod`},
		{"pmc://health", `"overall": "green"`},
	}
	for _, tt := range tests {
		r, err := cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: tt.uri})
		if err != nil {
			t.Errorf("%s: %v", tt.uri, err)
			continue
		}
		if len(r.Contents) != 1 || !strings.Contains(r.Contents[0].Text, tt.want) {
			t.Errorf("%s: %+v, want %q", tt.uri, r.Contents, tt.want)
		}
	}
	if _, err := cs.ReadResource(ctx, &sdk.ReadResourceParams{URI: "pmc://terraform/..%2F..%2Fetc%2Fpasswd"}); err == nil {
		t.Error("path traversal read")
	}
}

func TestResourcesAnonymized(t *testing.T) {
	t.Parallel()
	cs := connect(t, newFake().deps(), Options{})
	r, err := cs.ReadResource(context.Background(), &sdk.ReadResourceParams{URI: "pmc://guests/101"})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range realValues {
		if strings.Contains(r.Contents[0].Text, v) {
			t.Errorf("resource shows %q", v)
		}
	}
}

func TestPrompts(t *testing.T) {
	t.Parallel()
	cs := connect(t, newFake().deps(), Options{})
	ctx := context.Background()
	pl, err := cs.ListPrompts(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range pl.Prompts {
		names = append(names, p.Name)
	}
	slices.Sort(names)
	if d := cmp.Diff([]string{"capacity-review", "plan-change", "troubleshoot-guest"}, names); d != "" {
		t.Errorf("prompts (-want +got):\n%s", d)
	}
	tests := []struct {
		name string
		args map[string]string
		want string
	}{
		{"troubleshoot-guest", map[string]string{"guest": "101"}, `get_guest with guest="101"`},
		{"capacity-review", nil, "list_nodes"},
		{"plan-change", map[string]string{"request": "give 101 four cores"}, "edit_code"},
	}
	for _, tt := range tests {
		r, err := cs.GetPrompt(ctx, &sdk.GetPromptParams{Name: tt.name, Arguments: tt.args})
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if tc, ok := r.Messages[0].Content.(*sdk.TextContent); !ok || !strings.Contains(tc.Text, tt.want) {
			t.Errorf("%s: %+v, want %q", tt.name, r.Messages[0].Content, tt.want)
		}
	}
	if _, err := cs.GetPrompt(ctx, &sdk.GetPromptParams{Name: "troubleshoot-guest"}); err == nil {
		t.Error("troubleshoot-guest without guest: no error")
	}
}

type bearer struct {
	token string
	base  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if b.token != "" {
		r.Header.Set("Authorization", "Bearer "+b.token)
	}
	return b.base.RoundTrip(r)
}

func TestHTTPBearerToken(t *testing.T) {
	t.Parallel()
	srv := New(newFake().deps(), Options{NoPrivacy: true})
	if _, err := srv.HTTPHandler(""); !errors.Is(err, ErrNoToken) {
		t.Errorf("no token: %v", err)
	}
	h, err := srv.HTTPHandler("s3cret-token")
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h) // listens on 127.0.0.1
	t.Cleanup(ts.Close)
	tests := []struct {
		name, token string
		ok          bool
	}{
		{"right token", "s3cret-token", true},
		{"no token", "", false},
		{"wrong token", "s3cret-tokem", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tr := &sdk.StreamableClientTransport{Endpoint: ts.URL, HTTPClient: &http.Client{Transport: bearer{tt.token, http.DefaultTransport}}, MaxRetries: -1}
			cs, err := sdk.NewClient(&sdk.Implementation{Name: "http-client", Version: "1"}, nil).Connect(context.Background(), tr, nil)
			if !tt.ok {
				if err == nil {
					cs.Close()
					t.Fatal("connected without the right token")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer cs.Close()
			out := decode[ListGuestsOutput](t, call(t, cs, "list_guests", map[string]any{}))
			if out.Count != 3 {
				t.Errorf("count %d", out.Count)
			}
		})
	}
	t.Run("401 status", func(t *testing.T) {
		t.Parallel()
		resp, err := http.Post(ts.URL, "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("status %d", resp.StatusCode)
		}
	})
}

func TestCheckListenAddr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr   string
		public bool
		ok     bool
	}{
		{"127.0.0.1:8765", false, true},
		{"localhost:8765", false, true},
		{"[::1]:8765", false, true},
		{"0.0.0.0:8765", false, false},
		{"192.0.2.1:8765", false, false},
		{"0.0.0.0:8765", true, true},
		{"8765", false, false},
	}
	for _, tt := range tests {
		if err := CheckListenAddr(tt.addr, tt.public); (err == nil) != tt.ok {
			t.Errorf("CheckListenAddr(%q, %v) = %v", tt.addr, tt.public, err)
		}
	}
}

func TestParseSince(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"", time.Time{}, true},
		{"2h", clock.Add(-2 * time.Hour), true},
		{"3d", clock.Add(-72 * time.Hour), true},
		{"2026-02-01T00:00:00Z", time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), true},
		{"-1h", time.Time{}, false},
		{"yesterday", time.Time{}, false},
	}
	for _, tt := range tests {
		got, err := parseSince(tt.in, clock)
		if (err == nil) != tt.ok || !got.Equal(tt.want) {
			t.Errorf("parseSince(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func FuzzParseSince(f *testing.F) {
	for _, s := range []string{"", "2h", "3d", "2026-02-01T00:00:00Z", "-1d", "99999999999d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseSince(s, clock)
		if err == nil && got.After(clock) {
			t.Errorf("parseSince(%q) = %v: in the future", s, got)
		}
	})
}

func FuzzParseTier(f *testing.F) {
	for _, s := range []string{"read", "write", "destroy", "WRITE", "admin"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tier, err := ParseTier(s)
		if err == nil {
			if back, _ := ParseTier(tier.String()); back != tier {
				t.Errorf("round trip %q -> %v -> %v", s, tier, back)
			}
		} else if tier != TierRead {
			t.Errorf("error with tier %v", tier)
		}
	})
}
