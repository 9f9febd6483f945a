// Package applycmd implements `proxmox-mpc apply`: carry out a plan over
// the PVE API, with live progress and every step in the journal.
package applycmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/plancmd"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine/native"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
)

// Options holds the inputs of apply.
type Options struct {
	IO     *iostreams.IOStreams
	Source plancmd.Source
	Apply  func(ctx context.Context, p engine.Plan, o native.Options, progress func(native.Event)) (native.Result, error)
	// Interrupts returns a channel closed on the second Ctrl-C (the first
	// cancels ctx) and a func to stop watching.
	Interrupts func() (<-chan struct{}, func())
	Now        func() time.Time
	// Engines chooses the engine Engine names; Journal is where the tofu
	// engine's resource operations are recorded (nil: nowhere).
	Engines plancmd.Engines
	Journal func(ctx context.Context) (Journal, error)
	Engine  string // --engine: native, tofu, terraform or auto

	PlanFile       string
	Yes            bool
	SnapshotBefore bool
	AllowDataLoss  bool
	Parallelism    int

	// AfterApply runs the workspace's after-apply playbook (nil: never);
	// NoAnsible (--no-ansible) skips it.
	AfterApply *AfterApply
	NoAnsible  bool
}

// NewCmdApply builds the command.
func NewCmdApply(f *cmdutil.Factory, src plancmd.Source, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Source: src, Apply: f.ApplyPlan, Interrupts: f.Interrupts, Now: f.Now,
		Engines: plancmd.EnginesFrom(f), Journal: journalFrom(f), AfterApply: afterApplyFrom(f)}
	cmd := &cobra.Command{
		Use:   "apply [PLANFILE]",
		Short: "Make the cluster match the code: show the plan, confirm, apply it over the PVE API",
		Long: "apply computes the plan (as `plan` shows it), asks for confirmation (--yes skips it) and carries\n" +
			"it out through the PVE API: deletions first, then updates, then creations, several guests at once,\n" +
			"each task waited for, every step in the journal. With PLANFILE (from `plan --out`), it applies\n" +
			"exactly that plan, and refuses when the code or any guest it touches changed since.\n\n" +
			"On a failure it starts nothing new, lets the running steps finish and reports what succeeded,\n" +
			"what failed (with the task log) and what was not started; the next plan shows what remains.\n" +
			"Ctrl-C lets the running tasks finish; a second Ctrl-C stops waiting for them.\n\n" +
			"A plan that replaces a guest whose code has lifecycle { prevent_destroy = true } is refused. A\n" +
			"deletion cannot be checked so: the deleted guest's code, prevent_destroy with it, is gone.\n\n" +
			"Ansible after apply: when the workspace has ansible/playbooks/after-apply.yml (you write it; its\n" +
			"presence turns this on) and ansible-playbook is on PATH, apply then runs, in the workspace,\n" +
			"  ansible-playbook -i ansible/inventory.yml ansible/playbooks/after-apply.yml --limit HOSTS\n" +
			"for the guests it created or changed, as the inventory names them; the output goes to stderr and\n" +
			"the run to the journal (ansible-after-apply). Guests this apply created are not in the inventory\n" +
			"until the next sync: they are skipped, and said so, as are templates and guests left stopped.\n" +
			"--no-ansible skips the playbook. The native engine only.\n\n" +
			"--engine tofu|terraform has OpenTofu or Terraform plan and apply that plan instead, every resource\n" +
			"it creates, changes or deletes in the journal; auto (the default) does so when one of them is on\n" +
			"PATH and its init succeeds.",
		Example: "  proxmox-mpc apply\n  proxmox-mpc plan --out web.plan && proxmox-mpc apply web.plan\n  proxmox-mpc apply --yes --snapshot-before",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.PlanFile = args[0]
			}
			if opts.Parallelism < 1 || opts.Parallelism > 64 {
				return cmdutil.FlagErrorf("--parallelism must be between 1 and 64, got %d", opts.Parallelism)
			}
			if err := plancmd.ValidEngine(opts.Engine); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return applyRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "apply without asking (required without a terminal)")
	fl.BoolVar(&opts.Yes, "auto-approve", false, "same as --yes (terraform's spelling)")
	fl.BoolVar(&opts.SnapshotBefore, "snapshot-before", false, "snapshot every guest that will change, before changing anything")
	fl.BoolVar(&opts.AllowDataLoss, "allow-data-loss", false, "allow replacements that destroy disks")
	fl.IntVar(&opts.Parallelism, "parallelism", 8, "guests worked on at once")
	fl.BoolVar(&opts.NoAnsible, "no-ansible", false, "do not run ansible/playbooks/after-apply.yml after the apply")
	plancmd.AddEngineFlag(cmd, &opts.Engine)
	return cmd
}

func applyRun(ctx context.Context, opts *Options) error {
	sel, err := opts.selectEngine(ctx)
	if err != nil {
		return err
	}
	if !sel.Native() {
		return tofuApplyRun(ctx, opts, sel)
	}
	if opts.Apply == nil {
		return errors.New("apply is not available here")
	}
	in, err := opts.Source(ctx, true)
	if err != nil {
		return err
	}
	cs := opts.IO.ColorScheme()
	var plan engine.Plan
	if opts.PlanFile != "" {
		f, err := os.Open(opts.PlanFile)
		if err != nil {
			return fmt.Errorf("read the plan: %w", err)
		}
		plan, err = engine.Load(f)
		_ = f.Close()
		if err != nil {
			return err
		}
		if err := plan.Stale(in.CodeHash, engine.Digests(in.Live)); err != nil {
			return err
		}
	} else {
		plan = in.Plan(opts.Now())
	}
	if err := engine.Render(opts.IO.Out, plan, engine.RenderOptions{Color: cs.Enabled()}); err != nil {
		return err
	}
	if len(plan.Changes) == 0 {
		return nil
	}
	if findings := plan.Findings(); len(findings) > 0 {
		for _, fd := range findings {
			if fd.Severity == "error" {
				return fmt.Errorf("the plan has errors (%s: %s): nothing was applied", fd.Address, fd.Summary)
			}
		}
	}
	if err := preventedReplace(plan); err != nil {
		return err
	}
	if err := confirm(opts.IO, opts.Yes); err != nil {
		return err
	}
	hard, stop := make(<-chan struct{}), func() {}
	if opts.Interrupts != nil {
		hard, stop = opts.Interrupts()
	}
	defer stop()
	start := opts.Now()
	res, err := opts.Apply(ctx, plan, native.Options{Parallelism: opts.Parallelism, SnapshotBefore: opts.SnapshotBefore,
		AllowDataLoss: opts.AllowDataLoss, Hard: hard}, progress(opts.IO.ErrOut, cs))
	if err != nil {
		return err
	}
	summarize(opts.IO.Out, cs, res, opts.Now().Sub(start))
	aerr := runAfterApply(ctx, opts, plan, res)
	if res.Err != nil {
		return res.Err
	}
	return aerr
}

// progress prints one line per finished step.
func progress(w io.Writer, cs *iostreams.ColorScheme) func(native.Event) {
	return func(ev native.Event) {
		if ev.Status != native.EventDone {
			if ev.Status == native.EventStarted {
				fmt.Fprintf(w, "%s %s: %s…\n", ev.Target, ev.Address, strings.TrimPrefix(ev.Action, "apply-"))
			}
			return
		}
		icon := cs.SuccessIcon()
		if ev.Outcome != native.OutcomeOK {
			icon = cs.FailureIcon()
		}
		line := fmt.Sprintf("%s %s %s: %s (%s, %.1fs)", icon, ev.Target, ev.Address, strings.TrimPrefix(ev.Action, "apply-"), ev.Outcome, ev.Elapsed.Seconds())
		if ev.Err != nil {
			line += ": " + ev.Err.Error()
		}
		fmt.Fprintln(w, line)
		for _, l := range ev.LogTail {
			fmt.Fprintln(w, "    "+l)
		}
	}
}

func summarize(w io.Writer, cs *iostreams.ColorScheme, res native.Result, took time.Duration) {
	if res.Err == nil {
		fmt.Fprintf(w, "%s Apply complete: %d steps in %.1fs. Run `proxmox-mpc sync` to record the result.\n", cs.SuccessIcon(), len(res.Succeeded), took.Seconds())
		return
	}
	fmt.Fprintf(w, "%s Apply stopped: %d steps succeeded, %d failed, %d not started. `proxmox-mpc plan` shows what remains.\n",
		cs.FailureIcon(), len(res.Succeeded), len(res.Failed), len(res.NotStarted))
	for _, st := range res.NotStarted {
		fmt.Fprintf(w, "  not started: %s %s (%s)\n", st.Target, strings.TrimPrefix(st.Action, "apply-"), st.Address)
	}
}

func confirm(ios *iostreams.IOStreams, yes bool) error {
	if yes {
		return nil
	}
	if !ios.CanPrompt() {
		return cmdutil.FlagErrorf("apply changes the cluster: pass --yes to confirm without a terminal")
	}
	fmt.Fprint(ios.ErrOut, "Apply these changes? Only 'yes' will be accepted: ")
	var ans string
	if _, err := fmt.Fscanln(ios.In, &ans); err != nil && !errors.Is(err, io.EOF) && err.Error() != "unexpected newline" {
		return err
	}
	if strings.TrimSpace(ans) != "yes" {
		return &cmdutil.CancelError{Reason: "apply cancelled"}
	}
	return nil
}

// selectEngine picks the engine of an apply or destroy: a saved plan
// (PLANFILE) is the native engine's, so auto keeps to it then.
func (opts *Options) selectEngine(ctx context.Context) (plancmd.Selected, error) {
	if opts.Engine == "" || opts.Engine == plancmd.EngineNative || (opts.Engine == plancmd.EngineAuto && opts.PlanFile != "") {
		return plancmd.Selected{Name: plancmd.EngineNative}, nil
	}
	return opts.Engines.Select(ctx, opts.Engine, opts.IO.ErrOut)
}
