package guest

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/lifecycle"
)

// CloneOptions holds the inputs of clone.
type CloneOptions struct {
	Deps
	Kind    string
	Source  string
	Name    string
	VMID    int
	Target  string
	Full    bool
	Storage string
	DryRun  bool
	Async   bool
}

// NewCmdClone builds `clone vm|ct SRC --name NEW`.
func NewCmdClone(f *cmdutil.Factory, lc func(context.Context) (*lifecycle.Service, error), runF func(context.Context, *CloneOptions) error) *cobra.Command {
	opts := &CloneOptions{Deps: depsOf(f, lc)}
	cmd := &cobra.Command{
		Use:   "clone vm|ct SRC --name NEW",
		Short: "Clone a VM or container (linked from templates, full otherwise)",
		Long: "clone copies a guest or template under a new name and VMID (the next free one unless --vmid).\n" +
			"Clones of templates are linked (they share the template's disks) unless --full; clones of\n" +
			"other guests are always full copies, as in PVE. --target puts the clone on another node,\n" +
			"--storage the disks of a full clone on another storage. Everything is checked before the\n" +
			"call; --dry-run prints the API call and makes none.",
		Example: "  proxmox-mpc clone vm ubuntu-2404-cloudinit --name web-03\n" +
			"  proxmox-mpc clone vm web-01 --name web-01-copy --target pve2 --storage local-lvm\n" +
			"  proxmox-mpc clone ct debian-13-base --name build-01 --full --dry-run",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, err := parseKind(args[0])
			if err != nil {
				return err
			}
			opts.Kind, opts.Source = kind, args[1]
			if err := lifecycle.ValidateGuestName(opts.Name); err != nil {
				return usage(err)
			}
			if cmd.Flags().Changed("vmid") {
				if err := lifecycle.ValidateVMID(opts.VMID); err != nil {
					return usage(err)
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return cloneRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Name, "name", "", "name (hostname for containers) of the clone (required)")
	fl.IntVar(&opts.VMID, "vmid", 0, "VMID of the clone (default: the next free one)")
	fl.StringVar(&opts.Target, "target", "", "node to put the clone on (default: the source's node)")
	fl.BoolVar(&opts.Full, "full", false, "copy the disks (always done for guests that are not templates)")
	fl.StringVar(&opts.Storage, "storage", "", "storage for the disks of a full clone")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the API call that would be made, and make none")
	fl.BoolVar(&opts.Async, "async", false, "return once the server accepted the task")
	return cmd
}

func cloneRun(ctx context.Context, opts *CloneOptions) error {
	inv, err := opts.Inventory(ctx)
	if err != nil {
		return err
	}
	src, err := inv.ResolveGuest(ctx, opts.Kind, opts.Source)
	if err != nil {
		return err
	}
	svc, err := opts.Lifecycle(ctx)
	if err != nil {
		return err
	}
	plan, err := svc.PlanClone(ctx, lifecycle.CloneRequest{Source: src, Name: opts.Name, VMID: opts.VMID, Target: opts.Target, Full: opts.Full, Storage: opts.Storage})
	if err != nil {
		return usage(err)
	}
	printNotices(opts.IO, plan.Plan)
	if opts.DryRun {
		return printDryRun(opts.IO, opts.Output(), plan.Plan)
	}
	if err := execute(ctx, opts.Deps, svc, plan.Plan, lifecycle.ExecOptions{Wait: !opts.Async}); err != nil {
		return err
	}
	if !opts.Output().IsStructured() {
		how := "full clone"
		if plan.Linked {
			how = "linked clone"
		}
		fmt.Fprintf(opts.IO.Out, "%s/%d (%s) on %s: %s of %s\n", src.Type, plan.VMID, opts.Name, plan.Node, how, lifecycle.Label(src))
	}
	return nil
}
