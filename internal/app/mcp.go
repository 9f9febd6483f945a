package app

import (
	"context"
	"os"
	"path/filepath"

	"github.com/proxmox-mpc/proxmox-mpc/internal/anonymize"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/discovery"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine/native"
	"github.com/proxmox-mpc/proxmox-mpc/internal/health"
	"github.com/proxmox-mpc/proxmox-mpc/internal/mcp"
	"github.com/proxmox-mpc/proxmox-mpc/internal/observe"
	"github.com/proxmox-mpc/proxmox-mpc/internal/privacy"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
	"github.com/proxmox-mpc/proxmox-mpc/internal/userconfig"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// mcpDeps gives the MCP server the same services as the console: the
// state store (or a live read outside a workspace), health, logs, drift,
// sync, plan and apply, the journal and the workspace's anonymizer.
// guest_action and edit_code are not wired yet: they answer "not
// available here".
func mcpDeps(f *cmdutil.Factory, hd health.Deps, env Env) mcp.Deps {
	inventory := func(ctx context.Context) (state.Inventory, error) {
		st, err := f.StateStore(ctx)
		if err != nil {
			return state.Inventory{}, err
		}
		return st.Inventory(ctx)
	}
	d := mcp.Deps{
		Guests: func(ctx context.Context) ([]state.Guest, error) {
			if st, err := f.StateStore(ctx); err == nil {
				return st.Guests(ctx, state.GuestFilter{})
			}
			svc, err := f.Inventory(ctx)
			if err != nil {
				return nil, err
			}
			inv, _, err := discovery.Discover(ctx, svc.Client(), discovery.Options{SkipAgents: true, Logger: f.Logger()})
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
			inv, err := inventory(ctx)
			return inv.Nodes, err
		},
		Storages: func(ctx context.Context) ([]state.Storage, error) {
			inv, err := inventory(ctx)
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
	if ws, err := openCwdWorkspace(); err == nil {
		d.Workspace = ws.Root
		d.TerraformFile = func(_ context.Context, name string) ([]byte, error) {
			return os.ReadFile(filepath.Join(ws.Root, workspace.TerraformDir, filepath.Base(name)))
		}
	}
	return d
}
