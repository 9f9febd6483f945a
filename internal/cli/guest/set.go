package guest

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/lifecycle"
)

// SetOptions holds the inputs of set; only the flags given are sent.
type SetOptions struct {
	Deps
	Kind        string
	Guest       string
	Cores       int
	Memory      string
	Tags        string
	Description string
	OnBoot      bool
	Changed     func(flag string) bool
	DryRun      bool
	Live        bool
}

// NewCmdSet builds `set vm|ct NAME --cores N --memory 8G ...`.
func NewCmdSet(f *cmdutil.Factory, lc func(context.Context) (*lifecycle.Service, error), runF func(context.Context, *SetOptions) error) *cobra.Command {
	opts := &SetOptions{Deps: depsOf(f, lc)}
	cmd := &cobra.Command{
		Use:   "set vm|ct NAME [--cores N] [--memory SIZE] [--tags a,b] [--description TEXT] [--onboot=true|false]",
		Short: "Change options of a VM or container",
		Long: "Inside a workspace, set edits the guest's resource in terraform/ in place (your comments and\n" +
			"other attributes stay) and shows the diff; the server changes when the code is applied.\n" +
			"--live (and outside a workspace always) changes the server directly:\n\n" +
			"set changes config options through the API; only the flags given are sent, together with the\n" +
			"config digest read just before, so a change made meanwhile by someone else is not overwritten\n" +
			"(the server refuses; run set again). Changes a running guest cannot take at once (e.g. cores\n" +
			"or memory without hotplug) stay pending until its next restart; set says which.\n" +
			"--tags \"\" and --description \"\" remove them. --dry-run prints the API call.",
		Example: "  proxmox-mpc set vm web-01 --cores 4 --memory 8G\n  proxmox-mpc set ct pihole --tags dns,infra --onboot=false",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, err := parseKind(args[0])
			if err != nil {
				return err
			}
			opts.Kind, opts.Guest = kind, args[1]
			opts.Changed = cmd.Flags().Changed
			if _, err := setRequest(opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return setRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&opts.Cores, "cores", 0, "CPU cores")
	fl.StringVar(&opts.Memory, "memory", "", "memory, e.g. 8G or 512M (a bare number is MiB)")
	fl.StringVar(&opts.Tags, "tags", "", "tags, comma-separated (replaces the current ones; \"\" removes them)")
	fl.StringVar(&opts.Description, "description", "", "description (\"\" removes it)")
	fl.BoolVar(&opts.OnBoot, "onboot", false, "start the guest when its node boots")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the API call (or the code diff) that would be made, and make none")
	fl.BoolVar(&opts.Live, "live", false, "inside a workspace: change the server directly instead of the code")
	return cmd
}

// setRequest turns the given flags into a request, checking what can be
// checked without the server.
func setRequest(opts *SetOptions) (lifecycle.SetRequest, error) {
	var req lifecycle.SetRequest
	if opts.Changed("cores") {
		if err := lifecycle.ValidateCores(opts.Cores); err != nil {
			return req, usage(err)
		}
		req.Cores = &opts.Cores
	}
	if opts.Changed("memory") {
		if _, err := lifecycle.ParseMemory(opts.Memory); err != nil {
			return req, usage(err)
		}
		req.Memory = &opts.Memory
	}
	if opts.Changed("tags") {
		if _, err := lifecycle.ParseTags(opts.Tags); err != nil {
			return req, usage(err)
		}
		req.Tags = &opts.Tags
	}
	if opts.Changed("description") {
		req.Description = &opts.Description
	}
	if opts.Changed("onboot") {
		req.OnBoot = &opts.OnBoot
	}
	if req.Cores == nil && req.Memory == nil && req.Tags == nil && req.Description == nil && req.OnBoot == nil {
		return req, cmdutil.FlagErrorf("nothing to change: pass at least one of --cores, --memory, --tags, --description, --onboot")
	}
	return req, nil
}

func setRun(ctx context.Context, opts *SetOptions) error {
	req, err := setRequest(opts)
	if err != nil {
		return err
	}
	ed, err := codeEditor(ctx, opts.Deps, opts.Live, opts.DryRun)
	if err != nil {
		return err
	}
	if ed != nil {
		edit, err := setInCode(opts, ed, req)
		if err != nil {
			return err
		}
		return printEdits(opts.IO, opts.Output(), opts.DryRun, edit)
	}
	inv, err := opts.Inventory(ctx)
	if err != nil {
		return err
	}
	if req.Guest, err = inv.ResolveGuest(ctx, opts.Kind, opts.Guest); err != nil {
		return err
	}
	svc, err := opts.Lifecycle(ctx)
	if err != nil {
		return err
	}
	plan, err := svc.PlanSet(ctx, req)
	if err != nil {
		return usage(err)
	}
	printNotices(opts.IO, plan.Plan)
	if opts.DryRun {
		return printDryRun(opts.IO, opts.Output(), plan.Plan)
	}
	if err := execute(ctx, opts.Deps, svc, plan.Plan, lifecycle.ExecOptions{Wait: true}); err != nil {
		return err
	}
	pending, err := svc.Pending(ctx, req.Guest, plan.Keys)
	if err != nil {
		return fmt.Errorf("the change was made, but reading what stays pending failed: %w", err)
	}
	if len(pending) == 0 || opts.Output().IsStructured() {
		return nil
	}
	cs := opts.IO.ColorScheme()
	fmt.Fprintf(opts.IO.ErrOut, "%s these changes take effect when %s restarts (e.g. `proxmox-mpc reboot %s %s`):\n", cs.Yellow("Pending:"), lifecycle.Label(req.Guest), req.Guest.Type, opts.Guest)
	for _, p := range pending {
		if p.Delete {
			fmt.Fprintf(opts.IO.ErrOut, "  %s: %s → (removed)\n", p.Key, p.Value)
			continue
		}
		fmt.Fprintf(opts.IO.ErrOut, "  %s: %s → %s\n", p.Key, p.Value, p.Pending)
	}
	return nil
}
