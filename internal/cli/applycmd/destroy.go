package applycmd

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/plancmd"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/codegen"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine/native"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/terraform"
)

// DestroyOptions holds the inputs of destroy.
type DestroyOptions struct {
	Options
	Code  func(context.Context) (*codegen.Editor, error)
	Names []string
}

// NewCmdDestroy builds `destroy [NAME...]`.
func NewCmdDestroy(f *cmdutil.Factory, src plancmd.Source, runF func(context.Context, *DestroyOptions) error) *cobra.Command {
	opts := &DestroyOptions{Options: Options{IO: f.IOStreams, Source: src, Apply: f.ApplyPlan, Interrupts: f.Interrupts, Now: f.Now,
		Engines: plancmd.EnginesFrom(f), Journal: journalFrom(f)}, Code: f.CodeEditor}
	cmd := &cobra.Command{
		Use:   "destroy [NAME|VMID...]",
		Short: "Destroy managed guests (all, or the named ones) and remove their code",
		Long: "destroy plans the deletion of the named guests of the code (every managed guest without names),\n" +
			"shows it, asks you to type the workspace's name (--yes for CI), deletes them on the server and\n" +
			"removes their resources from terraform/. Guests tagged \"protected\" and guests whose code has\n" +
			"lifecycle { prevent_destroy = true } are refused.\n\n" +
			"--engine tofu|terraform has OpenTofu or Terraform destroy them instead (`destroy -target` of their\n" +
			"resources: only what is in its state); auto (the default) does so when one of them is on PATH and\n" +
			"its init succeeds.",
		Example: "  proxmox-mpc destroy web-09\n  proxmox-mpc destroy --yes",
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Names = args
			if err := plancmd.ValidEngine(opts.Engine); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return destroyRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "destroy without asking (required without a terminal)")
	cmd.Flags().IntVar(&opts.Parallelism, "parallelism", 8, "guests worked on at once")
	plancmd.AddEngineFlag(cmd, &opts.Engine)
	return cmd
}

func destroyRun(ctx context.Context, opts *DestroyOptions) error {
	sel, err := opts.selectEngine(ctx)
	if err != nil {
		return err
	}
	in, err := opts.Source(ctx, true)
	if err != nil {
		return err
	}
	ed, err := opts.Code(ctx)
	if err != nil {
		return err
	}
	// The guests to destroy: named (by name or VMID), or all of the code.
	var targets []terraform.Guest
	var keep []terraform.Guest
	found := map[string]bool{}
	for _, g := range in.Code.Guests {
		hit := len(opts.Names) == 0
		for _, n := range opts.Names {
			if strings.EqualFold(n, g.Name) || n == strconv.Itoa(g.VMID) {
				hit, found[n] = true, true
			}
		}
		if hit {
			targets = append(targets, g)
		} else {
			keep = append(keep, g)
		}
	}
	for _, n := range opts.Names {
		if !found[n] {
			return cmdutil.FlagErrorf("%s is not a guest of this workspace's code", n)
		}
	}
	for _, g := range targets {
		if slices.Contains(g.Tags, "protected") {
			return fmt.Errorf("%s is tagged \"protected\": nothing was destroyed (remove the tag in its code first)", g.Address)
		}
		if g.PreventDestroy {
			return &PreventDestroyError{Address: g.Address, File: in.Code.Files[g.Address], Done: "destroyed"}
		}
	}
	if !sel.Native() {
		return tofuDestroyRun(ctx, opts, sel, ed, targets, guestTargets(in.Code.Guests))
	}
	selected := map[int]bool{}
	for _, g := range targets {
		selected[g.VMID] = true
	}
	full := engine.Diff(keep, in.Live, engine.DiffOptions{Managed: func(id int) bool { return selected[id] }, CodeHash: in.CodeHash, Now: opts.Now()})
	plan := full
	plan.Changes = nil
	for _, c := range full.Changes {
		if c.Action == engine.Delete && selected[c.VMID] {
			plan.Changes = append(plan.Changes, c)
		}
	}
	cs := opts.IO.ColorScheme()
	if err := engine.Render(opts.IO.Out, plan, engine.RenderOptions{Color: cs.Enabled()}); err != nil {
		return err
	}
	if len(plan.Changes) == 0 {
		return nil
	}
	if err := confirmDestroy(opts, ed.Workspace.Config.Name, len(plan.Changes)); err != nil {
		return err
	}
	hard, stop := make(<-chan struct{}), func() {}
	if opts.Interrupts != nil {
		hard, stop = opts.Interrupts()
	}
	defer stop()
	start := opts.Now()
	res, err := opts.Apply(ctx, plan, native.Options{Parallelism: opts.Parallelism, AllowDataLoss: true, Hard: hard}, progress(opts.IO.ErrOut, cs))
	if err != nil {
		return err
	}
	// Remove the code of what is gone; a guest whose delete failed keeps it.
	deleted := map[string]bool{}
	for _, st := range res.Succeeded {
		if st.Action == native.ActionDelete {
			deleted[st.Address] = true
		}
	}
	for _, g := range targets {
		if !deleted[g.Address] {
			continue
		}
		if _, err := ed.Delete(g.Kind, strconv.Itoa(g.VMID)); err != nil {
			return fmt.Errorf("%s was destroyed, but removing its code failed: %w", g.Address, err)
		}
	}
	summarize(opts.IO.Out, cs, res, opts.Now().Sub(start))
	return res.Err
}

// confirmDestroy asks for the workspace's name (unless --yes).
func confirmDestroy(opts *DestroyOptions, name string, n int) error {
	if opts.Yes {
		return nil
	}
	if !opts.IO.CanPrompt() {
		return cmdutil.FlagErrorf("destroy deletes guests and their disks: pass --yes to confirm without a terminal")
	}
	fmt.Fprintf(opts.IO.ErrOut, "This deletes %d guests and their disks. Type the workspace's name (%s) to confirm: ", n, name)
	var ans string
	_, _ = fmt.Fscanln(opts.IO.In, &ans)
	if strings.TrimSpace(ans) != name {
		return &cmdutil.CancelError{Reason: "destroy cancelled"}
	}
	return nil
}

// tofuDestroyRun has tofu or terraform destroy the targets' resources
// (-target each), then removes the code of those it deleted.
func tofuDestroyRun(ctx context.Context, opts *DestroyOptions, sel plancmd.Selected, ed *codegen.Editor, targets []terraform.Guest, journalTargets map[string]string) error {
	cs := opts.IO.ColorScheme()
	s := plancmd.TofuSummary{Destroy: len(targets)}
	addrs := make([]string, len(targets))
	for i, g := range targets {
		addrs[i] = g.Address
		s.Changes = append(s.Changes, plancmd.TofuChange{Address: g.Address, Action: "delete"})
	}
	plancmd.RenderTofu(opts.IO.Out, sel.Name, s, cs)
	if len(targets) == 0 {
		return nil
	}
	if err := confirmDestroy(opts, ed.Workspace.Config.Name, len(targets)); err != nil {
		return err
	}
	rec := newRecorder(ctx, &opts.Options, sel.Name, journalTargets)
	start := opts.Now()
	err := sel.Tofu.Destroy(ctx, addrs, rec.progress(ctx))
	rec.close(ctx, err)
	deleted := rec.deleted()
	for _, g := range targets {
		if !deleted[g.Address] {
			continue
		}
		if _, derr := ed.Delete(g.Kind, strconv.Itoa(g.VMID)); derr != nil {
			return fmt.Errorf("%s was destroyed, but removing its code failed: %w", g.Address, derr)
		}
	}
	rec.summarize(opts.IO.Out, "Destroy", opts.Now().Sub(start), err)
	return err
}

// PreventDestroyError refuses to delete or replace a guest whose code has
// lifecycle { prevent_destroy = true }.
type PreventDestroyError struct {
	Address string // the resource address
	File    string // the workspace-relative file of its code
	Done    string // what nothing was: "destroyed", "applied"
	Replace bool   // the plan replaces it (apply), rather than destroys it
}

func (e *PreventDestroyError) Error() string {
	what := "destroy"
	if e.Replace {
		what = "replace (destroy and create again)"
	}
	return fmt.Sprintf("%s has lifecycle.prevent_destroy = true in %s: refusing to %s it, nothing was %s (remove prevent_destroy from its lifecycle block first)",
		e.Address, e.File, what, e.Done)
}

// Hint says how to go on.
func (e *PreventDestroyError) Hint() string {
	return fmt.Sprintf("delete the line `prevent_destroy = true` in %s, then run the command again", e.File)
}

// preventedReplace returns the refusal for the first replacement in p of
// a guest whose code has prevent_destroy, or nil. A deletion cannot be
// checked: its guest's code, prevent_destroy and all, is gone.
func preventedReplace(p engine.Plan) error {
	for _, c := range p.Changes {
		if c.Action == engine.Replace && c.Desired != nil && c.Desired.PreventDestroy {
			return &PreventDestroyError{Address: c.Address, File: c.File, Done: "applied", Replace: true}
		}
	}
	return nil
}
