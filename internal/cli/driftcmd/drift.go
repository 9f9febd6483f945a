// Package driftcmd implements `proxmox-mpc drift` (/drift in the console):
// the server now, the code and the last sync compared per guest and field,
// with which side moved and the command that reconciles it.
package driftcmd

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
)

// Source reads the three sides: the code, the server now and the last sync.
type Source func(ctx context.Context) (*engine.DriftInputs, error)

// Options holds the inputs of drift.
type Options struct {
	IO     *iostreams.IOStreams
	Source Source
	Output cmdutil.OutputOptions

	DetailedExitCode bool
}

// NewCmdDrift builds the command.
func NewCmdDrift(f *cmdutil.Factory, src Source, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Source: src}
	cmd := &cobra.Command{
		Use:   "drift",
		Short: "Compare the server, the code and the last sync",
		Long: "drift reads the cluster now and compares every guest, field by field, with the code in\n" +
			"terraform/ and with the last sync, and says which side moved:\n\n" +
			"  changed on the server   the server differs from the last sync, the code does not:\n" +
			"                          `sync` adopts the server's value into the code, `apply` puts the code's back\n" +
			"  changed in the code     the code differs from the last sync: `apply` makes it real\n" +
			"  conflict                both changed, differently: edit the code, then `apply` (or `sync`)\n" +
			"  moved                   migrated to another node (or by HA): adopt it with `sync`; never a replace\n\n" +
			"With -o wide the table shows the command that reconciles each row.",
		Example: "  proxmox-mpc drift\n  proxmox-mpc drift -o wide\n" +
			"  proxmox-mpc drift --detailed-exitcode   # 0 no drift, 1 error, 2 drift\n" +
			"  proxmox-mpc drift -o json --jq '.summary'",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.Output != nil {
				opts.Output = f.Output()
			}
			if err := opts.Output.Validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return driftRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.DetailedExitCode, "detailed-exitcode", false, "exit 0 when there is no drift, 1 on an error, 2 when there is drift")
	return cmd
}

func columns() []cmdutil.Column[engine.Drift] {
	return []cmdutil.Column[engine.Drift]{
		{Header: "GUEST", Value: func(d engine.Drift) string {
			if d.VMID == 0 {
				return d.Name
			}
			return d.Name + " (" + strconv.Itoa(d.VMID) + ")"
		}},
		{Header: "FIELD", Value: func(d engine.Drift) string { return d.Field }},
		{Header: "SERVER", Value: func(d engine.Drift) string { return engine.DriftValue(d.Server) }},
		{Header: "CODE", Value: func(d engine.Drift) string { return engine.DriftValue(d.Code) }},
		{Header: "LAST-SYNC", Value: func(d engine.Drift) string { return engine.DriftValue(d.Sync) }},
		{Header: "WHAT", Value: func(d engine.Drift) string { return d.What }, Color: colorWhat},
		{Header: "FIX", Wide: true, Value: func(d engine.Drift) string { return d.Fix }},
	}
}

func colorWhat(cs *iostreams.ColorScheme, v string) string {
	switch {
	case len(v) >= 8 && v[:8] == "conflict":
		return cs.Red(v)
	case len(v) >= 5 && v[:5] == "moved":
		return cs.Cyan(v)
	}
	return cs.Yellow(v)
}

func driftRun(ctx context.Context, opts *Options) error {
	if opts.Source == nil {
		return errors.New("drift: no source of code, server and last sync")
	}
	in, err := opts.Source(ctx)
	if err != nil {
		return err
	}
	rep := engine.CompareDrift(*in)
	if opts.Output.IsStructured() {
		if err := cmdutil.PrintObject(opts.IO, opts.Output, rep, nil); err != nil {
			return err
		}
	} else {
		if len(rep.Drifts) == 0 {
			if opts.IO.IsStdoutTTY() {
				fmt.Fprintln(opts.IO.Out, "No drift: the server, the code and the last sync agree.")
			}
		} else if err := cmdutil.PrintList(opts.IO, opts.Output, rep.Drifts, columns()); err != nil {
			return err
		}
		if len(rep.Drifts) > 0 && opts.IO.IsStderrTTY() {
			fmt.Fprintf(opts.IO.ErrOut, "\n%s\n", summaryLine(rep.Summary))
		}
	}
	if opts.DetailedExitCode && len(rep.Drifts) > 0 {
		return &cmdutil.ExitError{Code: 2}
	}
	return nil
}

// summaryLine counts the drift: "2 guests drifted: 1 changed on the server, 1 moved."
func summaryLine(s engine.DriftSummary) string {
	parts := ""
	add := func(n int, what string) {
		if n == 0 {
			return
		}
		if parts != "" {
			parts += ", "
		}
		parts += strconv.Itoa(n) + " " + what
	}
	add(s.Server, "changed on the server")
	add(s.Code, "changed in the code")
	add(s.Conflicts, "in conflict")
	add(s.Moved, "moved")
	add(s.Unknown, "not in the last sync")
	noun := "guests"
	if s.Guests == 1 {
		noun = "guest"
	}
	return fmt.Sprintf("%d %s drifted: %s.", s.Guests, noun, parts)
}
