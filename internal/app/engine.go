package app

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"os/user"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/plancmd"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/codegen"
	"github.com/proxmox-mpc/proxmox-mpc/internal/discovery"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine/native"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/terraform"
	"github.com/proxmox-mpc/proxmox-mpc/internal/observe"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// planSource reads what a plan compares: the workspace's terraform/ code,
// and the live guests — read from the server now (refresh), or as the last
// sync stored them. Guests the last sync saw are the managed ones: a
// guest whose code was removed is planned for deletion; one the code never
// knew is left alone.
func planSource(f *cmdutil.Factory) plancmd.Source {
	return func(ctx context.Context, refresh bool) (*engine.Inputs, error) {
		ws, err := openCwdWorkspace()
		if err != nil {
			return nil, err
		}
		files, err := ws.ReadDir(workspace.TerraformDir, ".tf")
		if err != nil {
			return nil, err
		}
		var cache terraform.Cache
		st, stErr := f.StateStore(ctx)
		if stErr == nil {
			cache = codegen.StoreCache(ctx, st, f.Logger())
		}
		code, err := terraform.ReadCached(files, cache)
		if err != nil {
			var es terraform.Errors
			if errors.As(err, &es) && len(es) > 0 {
				return nil, es[0]
			}
			return nil, err
		}
		synced := map[int]bool{}
		var stored []state.Guest
		if err := stErr; err == nil {
			if stored, err = st.Guests(ctx, state.GuestFilter{}); err != nil {
				return nil, err
			}
			for _, g := range stored {
				synced[g.VMID] = true
			}
		} else if !refresh {
			return nil, err
		}
		live := stored
		if refresh {
			svc, err := f.Inventory(ctx)
			if err != nil {
				return nil, err
			}
			inv, _, err := discovery.Discover(ctx, svc.Client(), discovery.Options{SkipAgents: true, Logger: f.Logger()})
			if err != nil {
				return nil, err
			}
			live = inv.Guests
		}
		return &engine.Inputs{Code: code, CodeHash: engine.HashFiles(files), Live: live,
			Managed: func(id int) bool { return synced[id] }}, nil
	}
}

// applyPlan runs the native executor with the server connection and the
// state store's journal (none outside a store).
func applyPlan(f *cmdutil.Factory) func(ctx context.Context, p engine.Plan, o native.Options, progress func(native.Event)) (native.Result, error) {
	return func(ctx context.Context, p engine.Plan, o native.Options, progress func(native.Event)) (native.Result, error) {
		svc, err := f.Inventory(ctx)
		if err != nil {
			return native.Result{}, err
		}
		deps := native.Deps{Client: svc.Client(), Logger: f.Logger().With(observe.KeySubsys, "apply"), Identity: svc.Client().Identity()}
		if st, err := f.StateStore(ctx); err == nil {
			deps.Journal = st
		}
		if u, err := user.Current(); err == nil {
			deps.OSUser = u.Username
		}
		o.CorrelationID = observe.CorrelationID(ctx)
		return native.Apply(ctx, p, deps, o, progress), nil
	}
}

// interrupts closes its channel on the second Ctrl-C: the first one
// cancels the command's context (signal.NotifyContext in Main).
func interrupts() (<-chan struct{}, func()) {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt)
	second, done := make(chan struct{}), make(chan struct{})
	go func() {
		n := 0
		for {
			select {
			case <-sigs:
				if n++; n == 2 {
					close(second)
					return
				}
			case <-done:
				return
			}
		}
	}()
	return second, func() { signal.Stop(sigs); close(done) }
}
