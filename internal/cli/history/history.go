// Package history implements `proxmox-mpc history vm|ct NAME`.
package history

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// Options holds the inputs of history.
type Options struct {
	IO             *iostreams.IOStreams
	StateInventory func(context.Context) (*inventory.Service, error)
	Output         cmdutil.OutputOptions
	Now            func() time.Time

	Type string
	Ref  string
}

// NewCmdHistory builds the command.
func NewCmdHistory(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, StateInventory: f.StateInventory, Now: f.Now}
	return &cobra.Command{
		Use:   "history vm|ct NAME|VMID",
		Short: "Show one guest's change history, as recorded by sync",
		Long: "history lists what sync saw change on one guest: when it appeared, each changed field\n" +
			"(cores 2 → 4, node pve1 → pve2 after a migration), and when it disappeared. It reads the\n" +
			"state store only; removed guests can be named too.",
		Example: "  proxmox-mpc history vm web-01\n  proxmox-mpc history ct 200 -o json",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return cmdutil.FlagErrorf("history takes a kind (vm or ct) and one name or VMID")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			switch strings.ToLower(args[0]) {
			case "vm", "vms", "qemu":
				opts.Type = inventory.TypeVM
			case "ct", "cts", "container", "containers", "lxc":
				opts.Type = inventory.TypeCT
			default:
				return cmdutil.FlagErrorf("history of %q: use vm or ct", args[0])
			}
			opts.Ref = args[1]
			opts.Output = f.Output()
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return historyRun(cmd.Context(), opts)
		},
	}
}

func historyRun(ctx context.Context, opts *Options) error {
	svc, err := opts.StateInventory(ctx)
	if err != nil {
		return err
	}
	g, changes, err := svc.History(ctx, opts.Type, opts.Ref)
	if err != nil {
		return err
	}
	if changes == nil {
		changes = []state.Change{}
	}
	now := opts.Now()
	tty := opts.IO.IsStdoutTTY()
	if opts.Output.Format == "" && opts.Output.JQ == "" && tty {
		fmt.Fprintf(opts.IO.Out, "%s %s (%d) on %s\n", strings.ToUpper(g.Type), g.Name, g.VMID, g.Node)
	}
	return cmdutil.PrintList(opts.IO, opts.Output, changes, []cmdutil.Column[state.Change]{
		{Header: "WHEN", Value: func(c state.Change) string {
			if tty {
				return cmdutil.RelativeTime(c.At, now)
			}
			return c.At.UTC().Format(time.RFC3339)
		}},
		{Header: "SYNC", Value: func(c state.Change) string { return strconv.FormatInt(c.SyncID, 10) }, RightAlign: true},
		{Header: "CHANGE", Value: func(c state.Change) string { return c.Kind }, Color: func(cs *iostreams.ColorScheme, v string) string {
			switch v {
			case state.ChangeCreated:
				return cs.Green(v)
			case state.ChangeRemoved:
				return cs.Red(v)
			}
			return cs.Yellow(v)
		}},
		{Header: "FIELD", Value: func(c state.Change) string { return c.Field }},
		{Header: "OLD", Value: func(c state.Change) string { return c.Old }},
		{Header: "NEW", Value: func(c state.Change) string { return c.New }},
	})
}
