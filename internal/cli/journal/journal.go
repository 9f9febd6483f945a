// Package journal implements `proxmox-mpc journal`: the operations journal,
// every action taken on the cluster through proxmox-mpc.
package journal

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// Options holds the inputs of journal.
type Options struct {
	IO             *iostreams.IOStreams
	StateInventory func(context.Context) (*inventory.Service, error)
	Output         cmdutil.OutputOptions
	Now            func() time.Time

	Action        string
	CorrelationID string
	Since         time.Duration
	Limit         int
}

// NewCmdJournal builds the command.
func NewCmdJournal(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, StateInventory: f.StateInventory, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "journal",
		Short: "List the operations journal: every action proxmox-mpc took on the cluster",
		Long: "journal lists the actions taken through proxmox-mpc (start, stop, snapshot, clone, migrate,\n" +
			"delete, create, set ...), newest first: when, who (OS user and API identity), what, on which\n" +
			"guest, the PVE task (UPID), the outcome and how long it took. It reads the state store.",
		Example: "  proxmox-mpc journal\n  proxmox-mpc journal --action stop --since 1h\n  proxmox-mpc journal -o json --jq '.[] | select(.outcome == \"failed\")'",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Limit < 0 || opts.Since < 0 {
				return cmdutil.FlagErrorf("--limit and --since must be positive")
			}
			opts.Output = f.Output()
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return journalRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Action, "action", "", "only this action (start, stop, snapshot-create, ...)")
	cmd.Flags().StringVar(&opts.CorrelationID, "correlation", "", "only the calls of one command (its correlation id)")
	cmd.Flags().DurationVar(&opts.Since, "since", 0, "only operations newer than this (e.g. 30m, 24h)")
	cmd.Flags().IntVar(&opts.Limit, "limit", 50, "show at most N operations")
	return cmd
}

func journalRun(ctx context.Context, opts *Options) error {
	svc, err := opts.StateInventory(ctx)
	if err != nil {
		return err
	}
	f := state.OperationFilter{Action: opts.Action, CorrelationID: opts.CorrelationID, Limit: opts.Limit}
	if opts.Since > 0 {
		f.Since = opts.Now().Add(-opts.Since)
	}
	ops, err := svc.Operations(ctx, f)
	if err != nil {
		return err
	}
	if ops == nil {
		ops = []state.Operation{}
	}
	now := opts.Now()
	tty := opts.IO.IsStdoutTTY()
	return cmdutil.PrintList(opts.IO, opts.Output, ops, []cmdutil.Column[state.Operation]{
		{Header: "WHEN", Value: func(o state.Operation) string {
			if tty {
				return cmdutil.RelativeTime(o.StartedAt, now)
			}
			return o.StartedAt.UTC().Format(time.RFC3339)
		}},
		{Header: "ACTION", Value: func(o state.Operation) string { return o.Action }},
		{Header: "TARGET", Value: func(o state.Operation) string { return o.Target }},
		{Header: "OUTCOME", Value: func(o state.Operation) string { return o.Outcome }, Color: func(cs *iostreams.ColorScheme, v string) string {
			switch v {
			case "ok":
				return cs.Green(v)
			case "failed":
				return cs.Red(v)
			}
			return cs.Yellow(v)
		}},
		{Header: "DURATION", Value: func(o state.Operation) string {
			if o.FinishedAt == nil {
				return "-"
			}
			if o.DurationMS < 1000 {
				return strconv.FormatInt(o.DurationMS, 10) + "ms"
			}
			return cmdutil.HumanDuration(time.Duration(o.DurationMS) * time.Millisecond)
		}, RightAlign: true},
		{Header: "USER", Value: func(o state.Operation) string { return o.OSUser + " as " + o.APIIdentity }},
		{Header: "ERROR", Value: func(o state.Operation) string { return firstLine(o.Error) }},
		{Header: "ID", Wide: true, Value: func(o state.Operation) string { return strconv.FormatInt(o.ID, 10) }},
		{Header: "CORRELATION", Wide: true, Value: func(o state.Operation) string { return o.CorrelationID }},
		{Header: "UPID", Wide: true, Value: func(o state.Operation) string { return o.UPID }},
	})
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
