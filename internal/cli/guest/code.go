package guest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/codegen"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/lifecycle"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// nextStep tells what turns a code change into a server change.
const nextStep = "The server is not changed yet: the change is in the code. Run /plan to review it, then /apply (or --live to change the server directly)."

// codeEditor returns the workspace's code editor when the command runs
// inside a workspace without --live; nil outside one.
func codeEditor(ctx context.Context, d Deps, live, dryRun bool) (*codegen.Editor, error) {
	if live || d.Code == nil {
		return nil, nil
	}
	ed, err := d.Code(ctx)
	var nf *workspace.NotFoundError
	if errors.As(err, &nf) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ed.DryRun = dryRun
	return ed, nil
}

func iacKind(kind string) iac.Kind {
	if kind == inventory.TypeCT {
		return iac.KindCT
	}
	return iac.KindVM
}

// editView is -o json of a code edit.
type editView struct {
	File    string `json:"file"`
	Action  string `json:"action"` // "changed", "created", "removed", "unchanged"
	Diff    string `json:"diff"`
	Written bool   `json:"written"`
}

// printEdits shows the code diffs like `git diff`, coloured on a terminal,
// and what to do next.
func printEdits(ios *iostreams.IOStreams, out cmdutil.OutputOptions, dryRun bool, edits ...codegen.Edit) error {
	views := make([]editView, 0, len(edits))
	for _, e := range edits {
		v := editView{File: e.Path, Diff: e.Diff(), Written: !dryRun}
		switch {
		case e.Before == nil:
			v.Action = "created"
		case e.After == nil:
			v.Action = "removed"
		case string(e.Before) == string(e.After):
			v.Action, v.Written = "unchanged", false
		default:
			v.Action = "changed"
		}
		views = append(views, v)
	}
	changed := false
	err := cmdutil.PrintObject(ios, out, views, func(w io.Writer, cs *iostreams.ColorScheme) error {
		for _, v := range views {
			if v.Action == "unchanged" {
				fmt.Fprintf(w, "%s already says so: nothing to change\n", v.File)
				continue
			}
			changed = true
			for _, line := range strings.SplitAfter(v.Diff, "\n") {
				switch {
				case strings.HasPrefix(line, "+++"), strings.HasPrefix(line, "---"):
					fmt.Fprint(w, cs.Bold(line))
				case strings.HasPrefix(line, "+"):
					fmt.Fprint(w, cs.Green(line))
				case strings.HasPrefix(line, "-"):
					fmt.Fprint(w, cs.Red(line))
				case strings.HasPrefix(line, "@@"):
					fmt.Fprint(w, cs.Cyan(line))
				default:
					fmt.Fprint(w, line)
				}
			}
		}
		if changed && dryRun {
			fmt.Fprintln(w, "Dry run: the code was not changed.")
		}
		return nil
	})
	if err == nil && changed && !dryRun && !out.IsStructured() {
		fmt.Fprintln(ios.ErrOut, nextStep)
	}
	return err
}

// setInCode applies set's flags to the guest's resource in the code.
func setInCode(opts *SetOptions, ed *codegen.Editor, req lifecycle.SetRequest) (codegen.Edit, error) {
	var c codegen.SetChanges
	c.Cores, c.Description, c.OnBoot = req.Cores, req.Description, req.OnBoot
	if req.Memory != nil {
		mib, err := lifecycle.ParseMemory(*req.Memory)
		if err != nil {
			return codegen.Edit{}, usage(err)
		}
		c.MemoryMiB = &mib
	}
	if req.Tags != nil {
		tags, err := lifecycle.ParseTags(*req.Tags)
		if err != nil {
			return codegen.Edit{}, usage(err)
		}
		c.Tags = &tags
	}
	kind := iacKind(opts.Kind)
	return ed.Set(kind, opts.Guest, c.Attrs(kind))
}

// createInCode writes a planned create into the code instead of running it.
// The plan was validated against the server (name, node, storage, bridge,
// template); the VMID must also be free in the code.
func createInCode(ctx context.Context, opts *CreateOptions, svc *lifecycle.Service, ed *codegen.Editor) error {
	used, err := ed.VMIDs()
	if err != nil {
		return err
	}
	req := opts.CreateRequest
	var plan lifecycle.CreatePlan
	for range 1000 {
		if plan, err = svc.PlanCreate(ctx, req); err != nil {
			return usage(err)
		}
		if !used[plan.Guest.VMID] {
			break
		}
		if opts.VMID != 0 {
			return usage(fmt.Errorf("vmid %d is already used in the code", plan.Guest.VMID))
		}
		req.VMID = plan.Guest.VMID + 1
	}
	printNotices(opts.IO, plan.Plan)
	g, set := codegen.CreatedGuest(plan.Steps[0].Call.Params, plan.Guest.VMID, plan.Guest.Node, plan.Guest.Name, plan.Guest.Type == inventory.TypeCT, opts.Start)
	edit, err := ed.Create(g, set)
	if err != nil {
		return err
	}
	return printEdits(opts.IO, opts.Output(), opts.DryRun, edit)
}
