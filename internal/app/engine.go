package app

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"sync"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/driftcmd"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/plancmd"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/validatecmd"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/codegen"
	"github.com/proxmox-mpc/proxmox-mpc/internal/discovery"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine/native"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine/tofu"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/terraform"
	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/observe"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
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
		// The live read waits on the network: start it first, and read the
		// code and the store meanwhile.
		type liveRead struct {
			guests []state.Guest
			err    error
		}
		var livec chan liveRead
		if refresh {
			svc, err := f.Inventory(ctx)
			if err != nil {
				return nil, err
			}
			dctx, cancel := context.WithCancel(ctx)
			defer cancel()
			livec = make(chan liveRead, 1)
			go func() {
				inv, _, err := discovery.Discover(dctx, svc.Client(), discovery.Options{SkipAgents: true, Logger: f.Logger()})
				livec <- liveRead{inv.Guests, err}
			}()
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
			r := <-livec
			if r.err != nil {
				return nil, r.err
			}
			live = r.guests
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

// tofuEngine makes the Factory's TofuEngine: binary on the terraform/
// folder of the workspace around the current folder, with the connection
// the commands use (flags, workspace, environment, context: as newClient
// resolves it) handed to the bpg provider through PROXMOX_VE_*.
func tofuEngine(ios *iostreams.IOStreams, g *globalOptions, env Env, logger func() *slog.Logger) func(ctx context.Context, binary string) (*tofu.Engine, error) {
	var warnOnce sync.Once
	return func(ctx context.Context, binary string) (*tofu.Engine, error) {
		if g.Demo {
			return nil, &demoTofuError{}
		}
		ws, err := openCwdWorkspace()
		if err != nil {
			return nil, err
		}
		wg, wenv, err := withWorkspace(g, env, ws.Root)
		if err != nil {
			return nil, err
		}
		cs, err := resolveConnection(wg, wenv)
		if err != nil {
			return nil, err
		}
		tenv, warn := tofuEnv(cs.Config)
		notice := ""
		warnOnce.Do(func() { notice = warn }) // printed once, and only when tofu is used
		return &tofu.Engine{Binary: binary, Dir: filepath.Join(ws.Root, workspace.TerraformDir), Env: tenv,
			Logger: logger().With(observe.KeySubsys, "tofu"), Notice: notice}, nil
	}
}

// tofuEnv is the environment that gives the bpg/proxmox provider the
// connection cfg: endpoint, API token or username and password, and
// PROXMOX_VE_INSECURE when the connection does not verify the certificate
// against the system's CAs. The provider cannot pin a fingerprint nor read
// a CA file, so a pinned connection runs it with verification off, and
// warn says so ("" otherwise).
func tofuEnv(cfg pve.Config) (env map[string]string, warn string) {
	env = map[string]string{"PROXMOX_VE_ENDPOINT": cfg.Endpoint}
	if cfg.APIToken != "" {
		env["PROXMOX_VE_API_TOKEN"] = cfg.APIToken
	} else if cfg.Username != "" {
		env["PROXMOX_VE_USERNAME"], env["PROXMOX_VE_PASSWORD"] = cfg.Username, cfg.Password
	}
	switch {
	case cfg.Insecure:
		env["PROXMOX_VE_INSECURE"] = "true"
	case cfg.Fingerprint != "":
		env["PROXMOX_VE_INSECURE"] = "true"
		warn = "TLS certificate verification is off for tofu: the bpg/proxmox provider cannot pin the certificate fingerprint this connection pins"
	}
	return env, warn
}

// validateSource reads what validate checks: the code, every file the
// secrets scan covers, the workspace config, and the last sync.
func validateSource(f *cmdutil.Factory) validatecmd.Source {
	return func(ctx context.Context) (*engine.ValidateInputs, error) {
		ws, err := openCwdWorkspace()
		if err != nil {
			return nil, err
		}
		tf, err := ws.ReadDir(workspace.TerraformDir, ".tf")
		if err != nil {
			return nil, err
		}
		scan, err := ws.ReadDir(workspace.TerraformDir, ".tf", ".tfvars", ".tftest.hcl")
		if err != nil {
			return nil, err
		}
		ans, err := ws.ReadDir(workspace.AnsibleDir, ".yml", ".yaml", ".cfg", ".ini", ".j2")
		if err != nil {
			return nil, err
		}
		maps.Copy(scan, ans)
		cfgPath := workspace.ConfigPath(ws.Root)
		cfgSrc, err := os.ReadFile(cfgPath)
		if err != nil {
			return nil, err
		}
		in := &engine.ValidateInputs{Terraform: tf, Scan: scan, ConfigFile: workspace.Dir + "/" + workspace.ConfigFile, Config: cfgSrc, Insecure: ws.Config.Insecure}
		st, err := f.StateStore(ctx)
		var none *inventory.NoStateError
		switch {
		case errors.As(err, &none): // no sync yet: validate warns and skips those checks
		case err != nil:
			return nil, err
		default:
			inv, err := st.Inventory(ctx)
			if err != nil {
				return nil, err
			}
			synced := make(map[int]bool, len(inv.Guests))
			for _, g := range inv.Guests {
				synced[g.VMID] = true
			}
			in.Inventory, in.Managed = &inv, func(id int) bool { return synced[id] }
		}
		return in, nil
	}
}

// driftSource reads the three sides drift compares: the code, the live
// server and the last sync.
func driftSource(f *cmdutil.Factory) driftcmd.Source {
	return func(ctx context.Context) (*engine.DriftInputs, error) {
		in, err := planSource(f)(ctx, true)
		if err != nil {
			return nil, err
		}
		st, err := f.StateStore(ctx)
		if err != nil {
			return nil, err // drift needs a last sync
		}
		synced, err := st.Guests(ctx, state.GuestFilter{})
		if err != nil {
			return nil, err
		}
		return &engine.DriftInputs{Code: in.Code, Live: in.Live, Synced: synced}, nil
	}
}

// demoTofuError: tofu cannot reach the in-process simulator of --demo. It
// is a plancmd.ErrNoTofuEngine, so that auto takes the native engine
// without a note.
type demoTofuError struct{}

func (*demoTofuError) Error() string {
	return "the tofu engine cannot reach --demo's in-process simulator"
}

// Hint is the way around it.
func (*demoTofuError) Hint() string {
	return "use --engine native with --demo, or serve the simulator with `proxmox-mpc sim` and point the workspace at it"
}

func (*demoTofuError) Unwrap() error { return plancmd.ErrNoTofuEngine }
