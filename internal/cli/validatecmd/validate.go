// Package validatecmd implements `proxmox-mpc validate` (/validate in the
// console): the workspace's code checked for syntax, the provider schema,
// references, policy against the last synced state, written-out secrets
// and TLS turned off; each finding with file:line and a fix hint.
package validatecmd

import (
	"context"
	"errors"
	"io"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
)

// Source reads what validate checks: the code, the last synced state,
// the files to scan for secrets and the workspace config.
type Source func(ctx context.Context) (*engine.ValidateInputs, error)

// Options holds the inputs of validate.
type Options struct {
	IO     *iostreams.IOStreams
	Source Source
	Output cmdutil.OutputOptions

	MemoryOvercommit float64
	CPUOvercommit    float64
}

// NewCmdValidate builds the command.
func NewCmdValidate(f *cmdutil.Factory, src Source, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Source: src}
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check the workspace's code before a plan",
		Long: "validate checks terraform/ without changing anything: HCL syntax, literal values and\n" +
			"references, the bpg/proxmox provider schema, and — against the last sync — duplicate VMIDs\n" +
			"or names, nodes that do not exist, memory/CPU overcommit of a node past a ratio, storages\n" +
			"missing or too small for new and grown disks, bridges missing, templates/ISOs/clone sources\n" +
			"missing, and guests tagged `protected` that the plan would replace or delete. It also scans\n" +
			"terraform/ and ansible/ for API tokens and passwords written in plain text, and warns when\n" +
			"TLS verification is off. Each finding has its file:line and a hint.\n\n" +
			"Exit status: 0 when there are no errors (warnings allowed), 1 with errors.",
		Example: "  proxmox-mpc validate\n  proxmox-mpc validate --memory-overcommit 1.5 --cpu-overcommit 8\n" +
			"  proxmox-mpc validate -o json --jq '.issues[] | select(.severity == \"error\")'",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.Output != nil {
				opts.Output = f.Output()
			}
			if err := opts.Output.Validate(); err != nil {
				return err
			}
			if opts.MemoryOvercommit <= 0 || opts.CPUOvercommit <= 0 {
				return cmdutil.FlagErrorf("--memory-overcommit and --cpu-overcommit must be greater than 0")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return validateRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().Float64Var(&opts.MemoryOvercommit, "memory-overcommit", 1.0, "largest allowed ratio of a node's guests' memory to the node's memory")
	cmd.Flags().Float64Var(&opts.CPUOvercommit, "cpu-overcommit", 4.0, "largest allowed ratio of a node's guests' cores to the node's CPUs")
	return cmd
}

func validateRun(ctx context.Context, opts *Options) error {
	if opts.Source == nil {
		return errors.New("validate: no source of code and state")
	}
	in, err := opts.Source(ctx)
	if err != nil {
		return err
	}
	rep := engine.Validate(*in, engine.ValidateOptions{MemoryOvercommit: opts.MemoryOvercommit, CPUOvercommit: opts.CPUOvercommit})
	if err := cmdutil.PrintObject(opts.IO, opts.Output, rep, func(w io.Writer, cs *iostreams.ColorScheme) error {
		return engine.RenderValidation(w, rep, cs.Enabled())
	}); err != nil {
		return err
	}
	if rep.Errors > 0 {
		return &cmdutil.ExitError{Code: 1}
	}
	return nil
}
