package guest

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/codegen"
	"github.com/proxmox-mpc/proxmox-mpc/internal/lifecycle"
)

// DeleteOptions holds the inputs of delete.
type DeleteOptions struct {
	Deps
	selection
	Stop            bool
	Force           bool
	Purge           bool
	DryRun          bool
	Yes             bool
	ContinueOnError bool
	Live            bool
}

// NewCmdDelete builds `delete vm|ct NAME...`.
func NewCmdDelete(f *cmdutil.Factory, lc func(context.Context) (*lifecycle.Service, error), runF func(context.Context, *DeleteOptions) error) *cobra.Command {
	opts := &DeleteOptions{Deps: depsOf(f, lc)}
	cmd := &cobra.Command{
		Use:   "delete vm|ct NAME|VMID... [-l SELECTOR]",
		Short: "Delete VMs or containers and their disks (asks first)",
		Long: "Inside a workspace, delete removes the guests' resources (and import blocks) from terraform/\n" +
			"and shows the diff; applying that code destroys them. --live (and outside a workspace always)\n" +
			"deletes on the server directly:\n\n" +
			"delete destroys guests and their disks through the API, after a confirmation: y/N for one\n" +
			"guest, typing the number of guests for several. --yes skips it (required without a terminal).\n" +
			"PVE deletes stopped guests only: --stop stops running ones first. Guests tagged \"protected\"\n" +
			"are refused unless --force. --dry-run prints the API calls and makes none.",
		Example: "  proxmox-mpc delete vm old-web-01\n  proxmox-mpc delete ct -l tag=scratch --stop --yes",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, err := parseKind(args[0])
			if err != nil {
				return err
			}
			opts.Kind, opts.Names = kind, args[1:]
			if err := opts.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return deleteRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	addSelectionFlags(cmd, &opts.selection, false)
	fl.BoolVar(&opts.Stop, "stop", false, "stop running guests first")
	fl.BoolVar(&opts.Force, "force", false, "also delete guests tagged \"protected\"")
	fl.BoolVar(&opts.Purge, "purge", false, "also remove the guests from backup jobs, replication and HA")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the API calls that would be made, and make none")
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "skip the confirmation")
	fl.BoolVar(&opts.ContinueOnError, "continue-on-error", false, "go on with the other guests after a failure")
	fl.BoolVar(&opts.Live, "live", false, "inside a workspace: delete on the server directly instead of in the code")
	return cmd
}

func deleteRun(ctx context.Context, opts *DeleteOptions) error {
	ed, err := codeEditor(ctx, opts.Deps, opts.Live, opts.DryRun)
	if err != nil {
		return err
	}
	if ed != nil {
		return deleteInCode(opts, ed)
	}
	inv, err := opts.Inventory(ctx)
	if err != nil {
		return err
	}
	guests, err := opts.resolve(ctx, inv)
	if err != nil {
		return err
	}
	if len(guests) == 0 {
		fmt.Fprintln(opts.IO.ErrOut, "No guests matched.")
		return nil
	}
	svc, err := opts.Lifecycle(ctx)
	if err != nil {
		return err
	}
	plan, err := svc.PlanDelete(lifecycle.DeleteRequest{Guests: guests, Stop: opts.Stop, Force: opts.Force, Purge: opts.Purge})
	if err != nil {
		return usage(err)
	}
	printNotices(opts.IO, plan)
	if opts.DryRun {
		return printDryRun(opts.IO, opts.Output(), plan)
	}
	if len(guests) == 1 {
		g := guests[0]
		if err := confirm(opts.IO, opts.Yes, "delete", fmt.Sprintf("Delete %s on %s and its disks? This cannot be undone.", lifecycle.Label(g), g.Node)); err != nil {
			return err
		}
	} else {
		labels := make([]string, len(guests))
		for i, g := range guests {
			labels[i] = lifecycle.Label(g)
		}
		if !opts.Yes && opts.IO.CanPrompt() {
			fmt.Fprintf(opts.IO.ErrOut, "About to delete %d guests and their disks: %s\n", len(guests), strings.Join(labels, ", "))
		}
		if err := confirmCount(opts.IO, opts.Yes, "delete", len(guests)); err != nil {
			return err
		}
	}
	return execute(ctx, opts.Deps, svc, plan, lifecycle.ExecOptions{Wait: true, ContinueOnError: opts.ContinueOnError})
}

// deleteInCode removes the named guests from the workspace's code.
func deleteInCode(opts *DeleteOptions, ed *codegen.Editor) error {
	if opts.Selector != "" || opts.All || len(opts.Names) == 0 {
		return cmdutil.FlagErrorf("inside a workspace, delete takes guest names (or VMIDs): selectors and --all work with --live")
	}
	var edits []codegen.Edit
	for _, name := range opts.Names {
		loc, err := ed.Find(iacKind(opts.Kind), name)
		if err != nil {
			return err
		}
		if slices.Contains(loc.Tags, "protected") && !opts.Force {
			return fmt.Errorf("%s %s is tagged \"protected\": its code was not removed (use --force)", opts.Kind, name)
		}
	}
	for _, name := range opts.Names {
		e, err := ed.Delete(iacKind(opts.Kind), name)
		if err != nil {
			return err
		}
		edits = append(edits, e)
	}
	return printEdits(opts.IO, opts.Output(), opts.DryRun, edits...)
}
