package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/google/renameio/v2"

	"github.com/zclconf/go-cty/cty"

	"github.com/proxmox-mpc/proxmox-mpc/internal/anonymize"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/codegen"
	"github.com/proxmox-mpc/proxmox-mpc/internal/discovery"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine/native"
	"github.com/proxmox-mpc/proxmox-mpc/internal/health"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/lifecycle"
	"github.com/proxmox-mpc/proxmox-mpc/internal/mcp"
	"github.com/proxmox-mpc/proxmox-mpc/internal/observe"
	"github.com/proxmox-mpc/proxmox-mpc/internal/privacy"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
	"github.com/proxmox-mpc/proxmox-mpc/internal/userconfig"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// mcpDeps gives the MCP server the same services as the console: the
// state store (or a live read outside a workspace), health, logs, drift,
// sync, plan and apply, guest actions, code edits, the journal and the
// workspace's anonymizer.
func mcpDeps(f *cmdutil.Factory, hd health.Deps, env Env) mcp.Deps {
	// stored answers from the state store, or — outside a workspace, with
	// no store — from a live read of the cluster.
	stored := func(ctx context.Context) (state.Inventory, error) {
		if st, err := f.StateStore(ctx); err == nil {
			return st.Inventory(ctx)
		}
		svc, err := f.Inventory(ctx)
		if err != nil {
			return state.Inventory{}, err
		}
		inv, _, err := discovery.Discover(ctx, svc.Client(), discovery.Options{SkipAgents: true, Logger: f.Logger()})
		return inv, err
	}
	d := mcp.Deps{
		Guests: func(ctx context.Context) ([]state.Guest, error) {
			inv, err := stored(ctx)
			return inv.Guests, err
		},
		History: func(ctx context.Context, key string) ([]state.Change, error) {
			st, err := f.StateStore(ctx)
			if err != nil {
				return nil, err
			}
			return st.History(ctx, state.HistoryFilter{ResourceKey: key, Limit: 50})
		},
		Nodes: func(ctx context.Context) ([]state.Node, error) {
			inv, err := stored(ctx)
			return inv.Nodes, err
		},
		Storages: func(ctx context.Context) ([]state.Storage, error) {
			inv, err := stored(ctx)
			return inv.Storages, err
		},
		Health: func(ctx context.Context) (health.Report, error) { return health.Run(ctx, hd), nil },
		Logs: func(_ context.Context, fl observe.Filter) ([]observe.Record, error) {
			dir, err := workspaceLogDir()
			if err != nil {
				return nil, err
			}
			return observe.Query(dir, fl)
		},
		Drift: func(ctx context.Context) (engine.DriftReport, error) {
			in, err := driftSource(f)(ctx)
			if err != nil {
				return engine.DriftReport{}, err
			}
			return engine.CompareDrift(*in), nil
		},
		Sync: func(ctx context.Context) (mcp.SyncSummary, error) {
			s, err := f.Syncer(ctx)
			if err != nil {
				return mcp.SyncSummary{}, err
			}
			r, err := s.Sync(ctx)
			if err != nil {
				return mcp.SyncSummary{}, err
			}
			out := mcp.SyncSummary{SyncID: r.SyncID, Added: r.Summary.Added, Changed: r.Summary.Changed,
				Removed: r.Summary.Removed, Unchanged: r.Summary.Unchanged, Warnings: []string{}}
			for _, w := range r.Warnings {
				out.Warnings = append(out.Warnings, w.String())
			}
			return out, nil
		},
		Plan: func(ctx context.Context) (engine.Plan, map[int]string, error) {
			in, err := planSource(f)(ctx, true)
			if err != nil {
				return engine.Plan{}, nil, err
			}
			return in.Plan(f.Now()), engine.Digests(in.Live), nil
		},
		Apply: func(ctx context.Context, p engine.Plan) (native.Result, error) {
			return f.ApplyPlan(ctx, p, native.Options{}, nil)
		},
		Journal: func(ctx context.Context, op state.Operation) error {
			st, err := f.StateStore(ctx)
			if err != nil {
				return nil // outside a store: no journal
			}
			_, err = st.RecordOperation(ctx, op)
			return err
		},
		Anonymizer: func(ctx context.Context) (*anonymize.Engine, error) {
			ws, err := openCwdWorkspace()
			if err != nil {
				return nil, nil // outside a workspace: the server's session key
			}
			dir, err := userconfig.DirFromEnv(userconfig.Getenv(env))
			if err != nil {
				return nil, err
			}
			var src privacy.Source
			if st, err := f.StateStore(ctx); err == nil {
				src = st
			}
			return (&privacy.Service{Workspace: ws, ConfigDir: dir, State: src, Now: f.Now}).Engine(ctx)
		},
	}
	if _, err := codeWorkspace(mustGetwd()); err != nil {
		// Outside a workspace the server is a live, read-only view of the
		// context: nothing to plan against, and no actions.
		d.Plan, d.Apply = nil, nil
		return d
	}
	d.GuestAction = mcpGuestAction(f)
	d.EditCode = mcpEditCode(f)
	if ws, err := openCwdWorkspace(); err == nil {
		d.SavePlan, d.LoadPlan = mcpPlanFiles(filepath.Join(ws.Root, workspace.Dir, "mcp-plans"))
		d.Workspace = ws.Root
		d.TerraformFile = func(_ context.Context, name string) ([]byte, error) {
			return os.ReadFile(filepath.Join(ws.Root, workspace.TerraformDir, filepath.Base(name)))
		}
	}
	return d
}

// mcpGuestAction runs one operational verb through the lifecycle service
// (validated, journaled), waiting for the task. The MCP server checked the
// tier, the allowlists and the protected tag first.
func mcpGuestAction(f *cmdutil.Factory) func(ctx context.Context, req mcp.GuestActionRequest) (mcp.GuestActionResult, error) {
	return func(ctx context.Context, req mcp.GuestActionRequest) (mcp.GuestActionResult, error) {
		inv, err := f.Inventory(ctx)
		if err != nil {
			return mcp.GuestActionResult{}, err
		}
		g, err := inv.ResolveGuest(ctx, req.Guest.Type, strconv.Itoa(req.Guest.VMID))
		if err != nil {
			return mcp.GuestActionResult{}, err
		}
		svc, err := f.Lifecycle(ctx)
		if err != nil {
			return mcp.GuestActionResult{}, err
		}
		var plan lifecycle.Plan
		switch req.Action {
		case "start", "stop", "shutdown", "reboot":
			plan, err = svc.PlanPower(lifecycle.PowerRequest{Verb: req.Action, Guests: []inventory.Guest{g}})
		case "snapshot":
			plan, err = svc.PlanSnapshot(ctx, lifecycle.SnapshotRequest{Op: lifecycle.SnapCreate, Guest: g, Name: req.Snapshot})
		case "rollback":
			plan, err = svc.PlanSnapshot(ctx, lifecycle.SnapshotRequest{Op: lifecycle.SnapRollback, Guest: g, Name: req.Snapshot})
		default:
			return mcp.GuestActionResult{}, fmt.Errorf("unknown action %q", req.Action)
		}
		if err != nil {
			return mcp.GuestActionResult{}, err
		}
		if len(plan.Steps) == 0 {
			detail := "nothing to do"
			if len(plan.Skipped) > 0 {
				detail = plan.Skipped[0].Message
			}
			return mcp.GuestActionResult{Outcome: "skipped", Detail: detail}, nil
		}
		rs := svc.Execute(ctx, plan, lifecycle.ExecOptions{Wait: true, CorrelationID: observe.CorrelationID(ctx)}, nil)
		out := mcp.GuestActionResult{Outcome: lifecycle.OutcomeOK}
		for _, r := range rs {
			out.UPID, out.Outcome = r.UPID, r.Outcome
			if r.Err != nil {
				out.Detail = r.Err.Error()
			}
		}
		return out, rs.Err()
	}
}

// mcpEditCode changes the workspace's Terraform code like `create`, `set`
// and `delete` do inside a workspace; applying still needs plan and apply.
func mcpEditCode(f *cmdutil.Factory) func(ctx context.Context, req mcp.EditRequest) ([]mcp.FileEdit, error) {
	return func(ctx context.Context, req mcp.EditRequest) ([]mcp.FileEdit, error) {
		ed, err := f.CodeEditor(ctx)
		if err != nil {
			return nil, err
		}
		kind := iac.KindVM
		if req.Kind == state.TypeCT {
			kind = iac.KindCT
		}
		var e codegen.Edit
		switch req.Op {
		case "set":
			set, err := setValues(req.Set, kind)
			if err != nil {
				return nil, err
			}
			if e, err = ed.Set(kind, req.Ref, set); err != nil {
				return nil, err
			}
		case "delete":
			if e, err = ed.Delete(kind, req.Ref); err != nil {
				return nil, err
			}
		case "create":
			if e, err = mcpCreate(ctx, f, ed, req); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("unknown edit %q", req.Op)
		}
		return []mcp.FileEdit{{Path: e.Path, Diff: e.Diff()}}, nil
	}
}

// mcpCreate validates a new guest against the server the way `create`
// does (node, storage, bridge, template, a free VMID) and writes its code.
// Set takes create's flags: cores, memory, disk, storage, net, ostype,
// ostemplate, start.
func mcpCreate(ctx context.Context, f *cmdutil.Factory, ed *codegen.Editor, req mcp.EditRequest) (codegen.Edit, error) {
	cr := lifecycle.CreateRequest{Type: inventory.TypeVM, Name: req.Guest.Name, Node: req.Guest.Node, VMID: req.Guest.VMID}
	if req.Kind == state.TypeCT {
		cr.Type = inventory.TypeCT
	}
	for k, v := range req.Set {
		switch k {
		case "cores":
			n, err := strconv.Atoi(v)
			if err != nil {
				return codegen.Edit{}, fmt.Errorf("cores %q: not a number", v)
			}
			cr.Cores = n
		case "memory":
			cr.Memory = v
		case "disk":
			cr.Disk = v
		case "storage":
			cr.Storage = v
		case "net":
			cr.Net = v
		case "ostype":
			cr.OSType = v
		case "ostemplate":
			cr.OSTemplate = v
		case "start":
			cr.Start = v == "true" || v == "1"
		default:
			return codegen.Edit{}, fmt.Errorf("create takes cores, memory, disk, storage, net, ostype, ostemplate and start, not %q", k)
		}
	}
	svc, err := f.Lifecycle(ctx)
	if err != nil {
		return codegen.Edit{}, err
	}
	used, err := ed.VMIDs()
	if err != nil {
		return codegen.Edit{}, err
	}
	if cr.VMID != 0 && used[cr.VMID] {
		return codegen.Edit{}, fmt.Errorf("vmid %d is already used in the code", cr.VMID)
	}
	plan, err := svc.PlanCreate(ctx, cr)
	for err == nil && cr.VMID == 0 && used[plan.Guest.VMID] {
		cr.VMID = plan.Guest.VMID + 1
		plan, err = svc.PlanCreate(ctx, cr)
		cr.VMID = 0
	}
	if err != nil {
		return codegen.Edit{}, err
	}
	g, set := codegen.CreatedGuest(plan.Steps[0].Call.Params, plan.Guest.VMID, plan.Guest.Node, plan.Guest.Name,
		cr.Type == inventory.TypeCT, cr.Start)
	return ed.Create(g, set)
}

// setValues maps `proxmox-mpc set`'s options (cores, memory, tags,
// description, onboot) to the resource's attributes.
func setValues(in map[string]string, kind iac.Kind) (map[codegen.AttrPath]cty.Value, error) {
	var c codegen.SetChanges
	for k, v := range in {
		switch k {
		case "cores":
			n, err := strconv.Atoi(v)
			if err != nil || lifecycle.ValidateCores(n) != nil {
				return nil, fmt.Errorf("cores %q: want a number of cores", v)
			}
			c.Cores = &n
		case "memory":
			mib, err := lifecycle.ParseMemory(v)
			if err != nil {
				return nil, err
			}
			c.MemoryMiB = &mib
		case "tags":
			tags, err := lifecycle.ParseTags(v)
			if err != nil {
				return nil, err
			}
			c.Tags = &tags
		case "description":
			c.Description = &v
		case "onboot":
			on := v == "true" || v == "1"
			c.OnBoot = &on
		default:
			return nil, fmt.Errorf("set takes cores, memory, tags, description and onboot, not %q", k)
		}
	}
	return c.Attrs(kind), nil
}

// mcpPlanFiles keeps MCP plans as saved-plan files (engine.Save) under dir,
// one per plan_id, so that apply finds a plan made by another server
// process (clients may start one server per call); files older than a
// day are removed when a new plan is kept.
func mcpPlanFiles(dir string) (func(context.Context, string, engine.Plan) error, func(context.Context, string) (engine.Plan, bool, error)) {
	save := func(_ context.Context, id string, p engine.Plan) error {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		if old, err := os.ReadDir(dir); err == nil {
			for _, e := range old {
				if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > 24*time.Hour {
					_ = os.Remove(filepath.Join(dir, e.Name()))
				}
			}
		}
		var buf bytes.Buffer
		if err := engine.Save(&buf, p); err != nil {
			return err
		}
		return renameio.WriteFile(filepath.Join(dir, id+".json"), buf.Bytes(), 0o600)
	}
	load := func(_ context.Context, id string) (engine.Plan, bool, error) {
		f, err := os.Open(filepath.Join(dir, filepath.Base(id)+".json"))
		if errors.Is(err, fs.ErrNotExist) {
			return engine.Plan{}, false, nil
		}
		if err != nil {
			return engine.Plan{}, false, err
		}
		defer func() { _ = f.Close() }()
		p, err := engine.Load(f)
		if err != nil {
			return engine.Plan{}, false, err
		}
		return p, true, nil
	}
	return save, load
}

// mustGetwd is the current folder, "." when it cannot be read.
func mustGetwd() string {
	cwd, err := os.Getwd()
	if err != nil {
		return "."
	}
	return cwd
}
