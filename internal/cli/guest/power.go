package guest

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/lifecycle"
)

// PowerOptions holds the inputs of start, stop, shutdown, reboot, suspend
// and resume.
type PowerOptions struct {
	Deps
	Verb string
	selection
	Async           bool
	Wait            bool
	ContinueOnError bool
	Force           bool
	Timeout         int
	DryRun          bool
	Yes             bool
}

var powerShort = map[string]string{
	lifecycle.VerbStart:    "Start VMs or containers",
	lifecycle.VerbStop:     "Stop VMs or containers at once (like pulling the plug)",
	lifecycle.VerbShutdown: "Shut VMs or containers down cleanly (ACPI / init)",
	lifecycle.VerbReboot:   "Reboot VMs or containers cleanly",
	lifecycle.VerbSuspend:  "Suspend (pause) running VMs or freeze containers",
	lifecycle.VerbResume:   "Resume suspended VMs or containers",
}

// NewCmdStart builds `start vm|ct NAME...`.
func NewCmdStart(f *cmdutil.Factory, lc func(context.Context) (*lifecycle.Service, error), runF func(context.Context, *PowerOptions) error) *cobra.Command {
	return newCmdPower(f, lc, lifecycle.VerbStart, runF)
}

// NewCmdStop builds `stop vm|ct NAME...`.
func NewCmdStop(f *cmdutil.Factory, lc func(context.Context) (*lifecycle.Service, error), runF func(context.Context, *PowerOptions) error) *cobra.Command {
	return newCmdPower(f, lc, lifecycle.VerbStop, runF)
}

// NewCmdShutdown builds `shutdown vm|ct NAME...`.
func NewCmdShutdown(f *cmdutil.Factory, lc func(context.Context) (*lifecycle.Service, error), runF func(context.Context, *PowerOptions) error) *cobra.Command {
	return newCmdPower(f, lc, lifecycle.VerbShutdown, runF)
}

// NewCmdReboot builds `reboot vm|ct NAME...`.
func NewCmdReboot(f *cmdutil.Factory, lc func(context.Context) (*lifecycle.Service, error), runF func(context.Context, *PowerOptions) error) *cobra.Command {
	return newCmdPower(f, lc, lifecycle.VerbReboot, runF)
}

// NewCmdSuspend builds `suspend vm|ct NAME...`.
func NewCmdSuspend(f *cmdutil.Factory, lc func(context.Context) (*lifecycle.Service, error), runF func(context.Context, *PowerOptions) error) *cobra.Command {
	return newCmdPower(f, lc, lifecycle.VerbSuspend, runF)
}

// NewCmdResume builds `resume vm|ct NAME...`.
func NewCmdResume(f *cmdutil.Factory, lc func(context.Context) (*lifecycle.Service, error), runF func(context.Context, *PowerOptions) error) *cobra.Command {
	return newCmdPower(f, lc, lifecycle.VerbResume, runF)
}

func newCmdPower(f *cmdutil.Factory, lc func(context.Context) (*lifecycle.Service, error), verb string, runF func(context.Context, *PowerOptions) error) *cobra.Command {
	opts := &PowerOptions{Deps: depsOf(f, lc), Verb: verb}
	cmd := &cobra.Command{
		Use:   verb + " vm|ct [NAME|VMID...]",
		Short: powerShort[verb],
		Long: powerShort[verb] + ".\n\n" +
			"Pick guests by name or VMID, by selector (-l tag=web) or with --all. Guests already in the\n" +
			"wanted state and templates are skipped with a note; locked and HA-managed guests get a warning.\n" +
			"stop, shutdown, reboot and suspend refuse guests tagged \"protected\" unless --force, and ask\n" +
			"for confirmation with --all. Each action waits for its PVE task (--async returns at once) and\n" +
			"is recorded in the operations journal. --dry-run prints the API calls and makes none.",
		Example: fmt.Sprintf("  proxmox-mpc %[1]s vm web-01 web-02\n  proxmox-mpc %[1]s vm -l tag=web --continue-on-error\n  proxmox-mpc %[1]s ct 200 --dry-run", verb),
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
			if opts.Async {
				if cmd.Flags().Changed("wait") && opts.Wait {
					return cmdutil.FlagErrorf("--wait and --async cannot be used together")
				}
				opts.Wait = false
			}
			if opts.Timeout < 0 {
				return cmdutil.FlagErrorf("--timeout must not be negative, got %d", opts.Timeout)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return powerRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	addSelectionFlags(cmd, &opts.selection, true)
	fl.BoolVar(&opts.Wait, "wait", true, "wait for each task to finish and show its progress")
	fl.BoolVar(&opts.Async, "async", false, "return once the server accepted each task")
	fl.BoolVar(&opts.ContinueOnError, "continue-on-error", false, "go on with the other guests after a failure")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the API calls that would be made, and make none")
	if verb != lifecycle.VerbStart && verb != lifecycle.VerbResume {
		fl.BoolVar(&opts.Force, "force", false, "also act on guests tagged \"protected\"")
		fl.BoolVarP(&opts.Yes, "yes", "y", false, "skip the confirmation of --all")
	}
	if verb == lifecycle.VerbShutdown || verb == lifecycle.VerbReboot {
		fl.IntVar(&opts.Timeout, "timeout", 0, "seconds to wait for the guest before the task fails (0 = server default)")
	}
	return cmd
}

func powerRun(ctx context.Context, opts *PowerOptions) error {
	inv, err := opts.Inventory(ctx)
	if err != nil {
		return err
	}
	guests, err := opts.resolve(ctx, inv)
	if err != nil {
		return err
	}
	svc, err := opts.Lifecycle(ctx)
	if err != nil {
		return err
	}
	plan, err := svc.PlanPower(lifecycle.PowerRequest{Verb: opts.Verb, Guests: guests, Force: opts.Force, Timeout: opts.Timeout})
	if err != nil {
		return usage(err)
	}
	printNotices(opts.IO, plan)
	if len(guests) == 0 {
		fmt.Fprintln(opts.IO.ErrOut, "No guests matched.")
		return nil
	}
	if opts.DryRun {
		return printDryRun(opts.IO, opts.Output(), plan)
	}
	if len(plan.Steps) == 0 {
		return nil
	}
	if opts.All && opts.Verb != lifecycle.VerbStart && opts.Verb != lifecycle.VerbResume {
		if err := confirm(opts.IO, opts.Yes, opts.Verb+" --all", fmt.Sprintf("%s %d guest(s)?", opts.Verb, len(plan.Steps))); err != nil {
			return err
		}
	}
	return execute(ctx, opts.Deps, svc, plan, lifecycle.ExecOptions{Wait: opts.Wait, ContinueOnError: opts.ContinueOnError})
}
