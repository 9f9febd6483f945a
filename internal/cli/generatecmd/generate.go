// Package generatecmd implements `proxmox-mpc generate`: (re)write the
// workspace's code from the state store, offline.
package generatecmd

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/codegen"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
)

// Options holds the inputs of generate.
type Options struct {
	IO      *iostreams.IOStreams
	Codegen func(context.Context) (*codegen.Service, error)
	Output  cmdutil.OutputOptions

	DryRun bool
	Force  bool
}

// NewCmdGenerate builds the command.
func NewCmdGenerate(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Codegen: f.Codegen}
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Write the workspace's Terraform, Ansible and test code from the state store",
		Long: "generate writes terraform/ (bpg/proxmox resources with import blocks), ansible/ (inventory,\n" +
			"group_vars, a site playbook) and tests/ from the guests the last sync stored — offline, without\n" +
			"the server. sync runs it after every successful sync.\n\n" +
			"Files you edited by hand are never overwritten silently: each file is compared with what was\n" +
			"generated last time. Your edit is kept when nothing new was generated for that file, merged\n" +
			"when the new version changes other lines, and otherwise generate stops, names the file and\n" +
			"writes nothing (--force replaces your edits with the generated version).",
		Example: "  proxmox-mpc generate\n  proxmox-mpc generate --dry-run\n  proxmox-mpc generate --force",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Output()
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts.IO, opts.Output, opts.Codegen, codegen.Options{DryRun: opts.DryRun, Force: opts.Force})
		},
	}
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "show what would be written without writing")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "overwrite files whose hand edits conflict with the generated version")
	return cmd
}

// stepView is one file in -o json.
type stepView struct {
	Path   string `json:"path"`
	Action string `json:"action"`
	Reason string `json:"reason,omitempty"`
}

type resultView struct {
	DryRun  bool       `json:"dry_run"`
	Summary string     `json:"summary"`
	Files   []stepView `json:"files"`
}

// Run regenerates the code and reports it; sync calls it too.
func Run(ctx context.Context, ios *iostreams.IOStreams, out cmdutil.OutputOptions, svcF func(context.Context) (*codegen.Service, error), o codegen.Options) error {
	svc, err := svcF(ctx)
	if err != nil {
		return err
	}
	res, err := svc.Run(ctx, o)
	var ce *codegen.ConflictError
	if err != nil && !errors.As(err, &ce) {
		return err
	}
	view := resultView{DryRun: o.DryRun, Summary: res.Summary(), Files: []stepView{}}
	for _, s := range res.Steps {
		if s.Action != codegen.Unchanged {
			view.Files = append(view.Files, stepView{Path: s.Path, Action: string(s.Action), Reason: s.Reason})
		}
	}
	if perr := cmdutil.PrintObject(ios, out, view, func(w io.Writer, cs *iostreams.ColorScheme) error {
		const show = 20
		for i, s := range view.Files {
			if i == show && len(view.Files) > show+1 && s.Action != "conflict" {
				fmt.Fprintf(w, "  … and %d more (-o json lists them all)\n", len(view.Files)-show)
				break
			}
			mark := map[string]string{"create": cs.Green("+"), "update": cs.Yellow("~"), "merged": cs.Yellow("~"),
				"kept": " ", "remove": cs.Red("-"), "conflict": cs.Red("!")}[s.Action]
			line := fmt.Sprintf("%s %s", mark, s.Path)
			if s.Reason != "" {
				line += cs.Gray(" (" + s.Reason + ")")
			}
			fmt.Fprintln(w, line)
		}
		switch {
		case ce != nil:
		case o.DryRun:
			fmt.Fprintf(w, "Dry run: code would be %s (nothing written)\n", res.Summary())
		default:
			fmt.Fprintf(w, "%s Code: %s\n", cs.SuccessIcon(), res.Summary())
		}
		return nil
	}); perr != nil {
		return perr
	}
	return err
}
