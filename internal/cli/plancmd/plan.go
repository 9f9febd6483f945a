// Package plancmd implements `proxmox-mpc plan` (/plan in the console):
// the changes that would make the live cluster match the workspace's
// code, terraform-style, each guest with what the change does to it.
package plancmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
)

// Source reads the code and the live guests. With refresh false it plans
// from the last sync (the state store) without asking the server.
type Source func(ctx context.Context, refresh bool) (*engine.Inputs, error)

// Options holds the inputs of plan.
type Options struct {
	IO     *iostreams.IOStreams
	Source Source
	Output cmdutil.OutputOptions
	Now    func() time.Time

	// Engines chooses the engine Engine names.
	Engines Engines
	Engine  string // --engine: native, tofu, terraform or auto

	DetailedExitCode bool
	Out              string // save the plan to this file
	Refresh          bool
}

// NewCmdPlan builds the command; src reads the workspace's terraform/ and
// the live inventory.
func NewCmdPlan(f *cmdutil.Factory, src Source, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Source: src, Now: f.Now, Engines: EnginesFrom(f)}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show the changes that would make the cluster match the code",
		Long: "plan reads terraform/ and the live cluster and shows, terraform-style, what apply would do:\n" +
			"create (+), update in place (~), replace (-/+) or destroy (-) per guest, attribute by\n" +
			"attribute, and what each change does to a running guest: nothing, hotplug, needs reboot\n" +
			"(pending until the guest restarts), stop-start, replace, or data loss.\n\n" +
			"Only guests the code manages (or managed at the last sync) are ever destroyed; templates\n" +
			"never are. --out saves the plan so that `apply FILE` makes exactly these changes, and\n" +
			"refuses if the code or a guest changed since.\n\n" +
			"--engine tofu|terraform has OpenTofu or Terraform plan instead (init first, credentials in its\n" +
			"environment), saving its plan in .proxmox-mpc/tofu.plan; auto (the default) does so when one of\n" +
			"them is on PATH and its init succeeds, and plans natively otherwise.",
		Example: "  proxmox-mpc plan\n  proxmox-mpc plan --out tonight.plan\n" +
			"  proxmox-mpc plan --detailed-exitcode   # 0 no changes, 1 error, 2 changes\n" +
			"  proxmox-mpc plan --refresh=false -o json --jq '.summary'",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.Output != nil {
				opts.Output = f.Output()
			}
			if err := opts.Output.Validate(); err != nil {
				return err
			}
			if err := ValidEngine(opts.Engine); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return planRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.DetailedExitCode, "detailed-exitcode", false, "exit 0 when there are no changes, 1 on an error, 2 when there are changes")
	cmd.Flags().StringVar(&opts.Out, "out", "", "save the plan to `FILE` for `apply FILE`")
	cmd.Flags().BoolVar(&opts.Refresh, "refresh", true, "read the live cluster; --refresh=false plans from the last sync without the server")
	AddEngineFlag(cmd, &opts.Engine)
	return cmd
}

// FindingsError is a plan with changes that cannot be made.
type FindingsError struct {
	Findings []engine.Finding
}

func (e *FindingsError) Error() string {
	lines := make([]string, len(e.Findings))
	for i, f := range e.Findings {
		lines[i] = f.Summary
	}
	return "the plan has changes that cannot be made:\n  " + strings.Join(lines, "\n  ")
}

// Hint is the first finding's hint.
func (e *FindingsError) Hint() string {
	for _, f := range e.Findings {
		if f.Hint != "" {
			return f.Hint
		}
	}
	return ""
}

func planRun(ctx context.Context, opts *Options) error {
	if opts.Source == nil {
		return errors.New("plan: no source of code and live state")
	}
	sel, err := selectForPlan(ctx, opts)
	if err != nil {
		return err
	}
	if !sel.Native() {
		return tofuPlanRun(ctx, opts, sel)
	}
	in, err := opts.Source(ctx, opts.Refresh)
	if err != nil {
		return err
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	plan := in.Plan(now().UTC())
	if in.Code != nil && !opts.Output.IsStructured() {
		cs := opts.IO.ColorScheme()
		for _, w := range in.Code.Warnings {
			fmt.Fprintf(opts.IO.ErrOut, "%s %v\n", cs.WarningIcon(), w)
		}
	}
	human := func(w io.Writer, cs *iostreams.ColorScheme) error {
		return engine.Render(w, plan, engine.RenderOptions{Color: cs.Enabled()})
	}
	if err := cmdutil.PrintObject(opts.IO, opts.Output, plan.View(), human); err != nil {
		return err
	}
	if fs := plan.Findings(); len(fs) > 0 {
		return &FindingsError{Findings: fs}
	}
	if opts.Out != "" {
		if err := savePlan(opts.Out, plan); err != nil {
			return err
		}
		msg := opts.IO.Out
		if opts.Output.IsStructured() {
			msg = opts.IO.ErrOut
		}
		fmt.Fprintf(msg, "\nSaved the plan to: %s\n\nTo perform exactly these actions, run:\n  proxmox-mpc apply %s\n", opts.Out, opts.Out)
	}
	if opts.DetailedExitCode && len(plan.Changes) > 0 {
		return &cmdutil.ExitError{Code: 2}
	}
	return nil
}

// savePlan writes the plan next to path and renames it into place, so a
// failed write never leaves half a plan. The file holds guest configs:
// it is readable by its owner only.
func savePlan(path string, plan engine.Plan) error {
	var b bytes.Buffer
	if err := engine.Save(&b, plan); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("save plan to %s: %w", path, err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if _, err := tmp.Write(b.Bytes()); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("save plan to %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save plan to %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save plan to %s: %w", path, err)
	}
	return nil
}
