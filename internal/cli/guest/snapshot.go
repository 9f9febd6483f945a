package guest

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/lifecycle"
)

// SnapshotOptions holds the inputs of the snapshot subcommands.
type SnapshotOptions struct {
	Deps
	Op          string
	Kind        string
	Guest       string
	Name        string
	Description string
	VMState     bool
	Start       bool
	Force       bool
	DryRun      bool
	Yes         bool
	Async       bool
}

// NewCmdSnapshot builds `snapshot create|list|rollback|delete vm|ct NAME [SNAP]`.
func NewCmdSnapshot(f *cmdutil.Factory, lc func(context.Context) (*lifecycle.Service, error), runF func(context.Context, *SnapshotOptions) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "snapshot create|list|rollback|delete vm|ct NAME [SNAP]",
		Short: "Create, list, roll back and delete guest snapshots",
		Args:  cobra.NoArgs,
	}
	for _, op := range []string{lifecycle.SnapCreate, "list", lifecycle.SnapRollback, lifecycle.SnapDelete} {
		cmd.AddCommand(newCmdSnapshotOp(f, lc, op, runF))
	}
	return cmd
}

func newCmdSnapshotOp(f *cmdutil.Factory, lc func(context.Context) (*lifecycle.Service, error), op string, runF func(context.Context, *SnapshotOptions) error) *cobra.Command {
	opts := &SnapshotOptions{Deps: depsOf(f, lc), Op: op}
	use, short, nargs := op+" vm|ct NAME SNAP", "", 3
	switch op {
	case lifecycle.SnapCreate:
		short = "Snapshot a guest"
	case "list":
		use, short, nargs = "list vm|ct NAME", "List a guest's snapshots", 2
	case lifecycle.SnapRollback:
		short = "Roll a guest back to a snapshot (asks first; the current state is lost)"
	case lifecycle.SnapDelete:
		short = "Delete a snapshot (asks first)"
	}
	cmd := &cobra.Command{
		Use:     use,
		Short:   short,
		Example: "  proxmox-mpc snapshot " + op + " vm web-01" + map[bool]string{true: " before-upgrade", false: ""}[nargs == 3],
		Args:    cobra.ExactArgs(nargs),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, err := parseKind(args[0])
			if err != nil {
				return err
			}
			opts.Kind, opts.Guest = kind, args[1]
			if nargs == 3 {
				opts.Name = args[2]
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return snapshotRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	if op != "list" {
		fl.BoolVar(&opts.DryRun, "dry-run", false, "print the API call that would be made, and make none")
		fl.BoolVar(&opts.Async, "async", false, "return once the server accepted the task")
	}
	switch op {
	case lifecycle.SnapCreate:
		fl.StringVar(&opts.Description, "description", "", "snapshot description")
		fl.BoolVar(&opts.VMState, "vmstate", false, "include the VM's RAM (VMs only)")
	case lifecycle.SnapRollback:
		fl.BoolVar(&opts.Start, "start", false, "start the VM after the rollback (VMs only)")
		fl.BoolVarP(&opts.Yes, "yes", "y", false, "skip the confirmation")
	case lifecycle.SnapDelete:
		fl.BoolVar(&opts.Force, "force", false, "remove the snapshot from the config even if removing disk snapshots fails")
		fl.BoolVarP(&opts.Yes, "yes", "y", false, "skip the confirmation")
	}
	return cmd
}

// snapshotRow is a row of snapshot list.
type snapshotRow struct {
	lifecycle.Snapshot
	Time string `json:"time"`
}

func snapshotRun(ctx context.Context, opts *SnapshotOptions) error {
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
	if opts.Op == "list" {
		return snapshotList(ctx, opts, svc, g)
	}
	plan, err := svc.PlanSnapshot(ctx, lifecycle.SnapshotRequest{Op: opts.Op, Guest: g, Name: opts.Name, Description: opts.Description, VMState: opts.VMState, Start: opts.Start, Force: opts.Force})
	if err != nil {
		return usage(err)
	}
	printNotices(opts.IO, plan)
	if opts.DryRun {
		return printDryRun(opts.IO, opts.Output(), plan)
	}
	switch opts.Op {
	case lifecycle.SnapRollback:
		q := fmt.Sprintf("Roll %s back to snapshot %q? Its current state will be lost.", lifecycle.Label(g), opts.Name)
		if err := confirm(opts.IO, opts.Yes, "snapshot rollback", q); err != nil {
			return err
		}
	case lifecycle.SnapDelete:
		q := fmt.Sprintf("Delete snapshot %q of %s?", opts.Name, lifecycle.Label(g))
		if err := confirm(opts.IO, opts.Yes, "snapshot delete", q); err != nil {
			return err
		}
	}
	return execute(ctx, opts.Deps, svc, plan, lifecycle.ExecOptions{Wait: !opts.Async})
}

func snapshotList(ctx context.Context, opts *SnapshotOptions, svc *lifecycle.Service, g inventory.Guest) error {
	snaps, err := svc.Snapshots(ctx, g)
	if err != nil {
		return err
	}
	rows := make([]snapshotRow, len(snaps))
	for i, s := range snaps {
		rows[i] = snapshotRow{Snapshot: s}
		if s.SnapTime > 0 {
			rows[i].Time = time.Unix(s.SnapTime, 0).UTC().Format(time.RFC3339)
		}
	}
	cols := []cmdutil.Column[snapshotRow]{
		{Header: "NAME", Value: func(r snapshotRow) string { return r.Name }},
		{Header: "PARENT", Value: func(r snapshotRow) string { return r.Parent }},
		{Header: "TIME", Value: func(r snapshotRow) string { return r.Time }},
		{Header: "VMSTATE", Value: func(r snapshotRow) string { return map[bool]string{true: "yes", false: "no"}[r.VMState] }},
		{Header: "DESCRIPTION", Value: func(r snapshotRow) string { return r.Description }},
	}
	return cmdutil.PrintList(opts.IO, opts.Output(), rows, cols)
}
