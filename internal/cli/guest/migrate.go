package guest

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/lifecycle"
)

// MigrateOptions holds the inputs of migrate.
type MigrateOptions struct {
	Deps
	Kind    string
	Guest   string
	Target  string
	Online  bool
	Restart bool
	DryRun  bool
	Async   bool
}

// NewCmdMigrate builds `migrate vm|ct NAME --to NODE`.
func NewCmdMigrate(f *cmdutil.Factory, lc func(context.Context) (*lifecycle.Service, error), runF func(context.Context, *MigrateOptions) error) *cobra.Command {
	opts := &MigrateOptions{Deps: depsOf(f, lc)}
	cmd := &cobra.Command{
		Use:   "migrate vm|ct NAME --to NODE",
		Short: "Move a VM or container to another node",
		Long: "migrate moves a guest to another node of the cluster. A running VM migrates live (online),\n" +
			"with its local disks; a stopped one offline. Containers cannot migrate live: a running\n" +
			"container needs --restart (it is stopped, moved and started again). The target node must be\n" +
			"online and have the storages of the guest's local disks. --dry-run prints the API call.",
		Example: "  proxmox-mpc migrate vm web-01 --to pve2\n  proxmox-mpc migrate ct pihole --to pve3 --restart",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, err := parseKind(args[0])
			if err != nil {
				return err
			}
			opts.Kind, opts.Guest = kind, args[1]
			if opts.Target == "" {
				return cmdutil.FlagErrorf("--to NODE is required")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return migrateRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Target, "to", "", "target node (required)")
	fl.BoolVar(&opts.Online, "online", false, "demand a live migration (VMs; a running VM migrates live anyway)")
	fl.BoolVar(&opts.Restart, "restart", false, "allow the restart migration of a running container")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the API call that would be made, and make none")
	fl.BoolVar(&opts.Async, "async", false, "return once the server accepted the task")
	return cmd
}

func migrateRun(ctx context.Context, opts *MigrateOptions) error {
	inv, err := opts.Inventory(ctx)
	if err != nil {
		return err
	}
	g, err := inv.ResolveGuest(ctx, opts.Kind, opts.Guest)
	if err != nil {
		return err
	}
	svc, err := opts.Lifecycle(ctx)
	if err != nil {
		return err
	}
	plan, err := svc.PlanMigrate(ctx, lifecycle.MigrateRequest{Guest: g, Target: opts.Target, Online: opts.Online, Restart: opts.Restart})
	if err != nil {
		return usage(err)
	}
	printNotices(opts.IO, plan)
	if opts.DryRun {
		return printDryRun(opts.IO, opts.Output(), plan)
	}
	return execute(ctx, opts.Deps, svc, plan, lifecycle.ExecOptions{Wait: !opts.Async})
}
