// Package describe implements `proxmox-mpc describe vm|ct|node NAME`.
package describe

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/get"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/diag"
	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
)

// Options holds the inputs of describe.
type Options struct {
	IO             *iostreams.IOStreams
	Inventory      func(context.Context) (*inventory.Service, error)
	StateInventory func(context.Context) (*inventory.Service, error)
	Output         cmdutil.OutputOptions
	Now            func() time.Time

	Kind      string // "vm", "ct" or "node"
	Ref       string
	FromState bool
}

func kindOf(s string) (string, bool) {
	switch strings.ToLower(s) {
	case "vm", "vms", "qemu":
		return "vm", true
	case "ct", "cts", "container", "containers", "lxc":
		return "ct", true
	case "node", "nodes":
		return "node", true
	}
	return "", false
}

// NewCmdDescribe builds the command.
func NewCmdDescribe(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Inventory: f.Inventory, StateInventory: f.StateInventory, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "describe vm|ct|node NAME|VMID",
		Short: "Show everything known about one guest or node",
		Long: "describe shows a guest's status, full configuration, pending changes, snapshots, guest-agent\n" +
			"addresses and recent tasks, or a node's status, guests, storage, networks and recent tasks.",
		Example: "  proxmox-mpc describe vm web-01\n  proxmox-mpc describe ct 200 -o yaml\n  proxmox-mpc describe node pve1",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return cmdutil.FlagErrorf("describe takes a kind (vm, ct or node) and one name or VMID")
			}
			return nil
		},
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			switch len(args) {
			case 0:
				return []string{"vm", "ct", "node"}, cobra.ShellCompDirectiveNoFileComp
			case 1:
				k, _ := kindOf(args[0])
				m := map[string]string{"vm": "vms", "ct": "containers", "node": "nodes"}
				return get.CompleteNames(cmd.Context(), f, m[k]), cobra.ShellCompDirectiveNoFileComp
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			k, ok := kindOf(args[0])
			if !ok {
				msg := fmt.Sprintf("cannot describe %q", args[0])
				if s := diag.Suggest(args[0], []string{"vm", "ct", "node"}); len(s) > 0 {
					msg += " (did you mean " + s[0] + "?)"
				} else {
					msg += "; use vm, ct or node"
				}
				return cmdutil.FlagErrorf("%s", msg)
			}
			opts.Kind, opts.Ref = k, args[1]
			opts.Output = f.Output()
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return describeRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.FromState, "from-state", false, "answer from the state store (the last sync) without the server")
	return cmd
}

func describeRun(ctx context.Context, opts *Options) error {
	source := opts.Inventory
	if opts.FromState {
		source = opts.StateInventory
	}
	svc, err := source(ctx)
	if err != nil {
		return err
	}
	if opts.Kind == "node" {
		n, err := svc.ResolveNode(ctx, opts.Ref)
		if err != nil {
			return err
		}
		d, err := svc.DescribeNode(ctx, n)
		if err != nil {
			return err
		}
		return cmdutil.PrintObject(opts.IO, opts.Output, d, func(w io.Writer, cs *iostreams.ColorScheme) error {
			return renderNode(w, cs, d, opts.Now())
		})
	}
	g, err := svc.ResolveGuest(ctx, opts.Kind, opts.Ref)
	if err != nil {
		return err
	}
	d, err := svc.DescribeGuest(ctx, g)
	if err != nil {
		return err
	}
	return cmdutil.PrintObject(opts.IO, opts.Output, d, func(w io.Writer, cs *iostreams.ColorScheme) error {
		return renderGuest(w, cs, d, opts.Now())
	})
}

func renderGuest(w io.Writer, cs *iostreams.ColorScheme, d *inventory.GuestDetail, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	kind := "VM"
	if d.Type == inventory.TypeCT {
		kind = "Container"
	}
	status := d.Status
	if d.Template {
		status += " (template)"
	}
	fmt.Fprintf(tw, "Name:\t%s\n", cs.Bold(d.Name))
	fmt.Fprintf(tw, "VMID:\t%d\n", d.VMID)
	fmt.Fprintf(tw, "Type:\t%s\n", kind)
	fmt.Fprintf(tw, "Node:\t%s\n", d.Node)
	fmt.Fprintf(tw, "Status:\t%s\n", cs.ColorFromStatus(status))
	if d.UptimeSeconds > 0 {
		fmt.Fprintf(tw, "Uptime:\t%s\n", cmdutil.HumanDuration(time.Duration(d.UptimeSeconds)*time.Second))
	}
	fmt.Fprintf(tw, "CPUs:\t%s\n", strconv.FormatFloat(d.CPUs, 'f', -1, 64))
	fmt.Fprintf(tw, "Memory:\t%s\n", cmdutil.HumanBytes(d.MemoryBytes))
	fmt.Fprintf(tw, "Disk:\t%s\n", cmdutil.HumanBytes(d.DiskBytes))
	fmt.Fprintf(tw, "Tags:\t%s\n", dash(strings.Join(d.Tags, ", ")))
	fmt.Fprintf(tw, "Pool:\t%s\n", dash(d.Pool))
	fmt.Fprintf(tw, "HA:\t%s\n", dash(d.HAState))
	if d.Lock != "" {
		fmt.Fprintf(tw, "Lock:\t%s\n", cs.Yellow(d.Lock))
	}
	switch {
	case len(d.IPAddresses) > 0:
		fmt.Fprintf(tw, "IP addresses:\t%s\n", strings.Join(d.IPAddresses, ", "))
	case d.AgentError != "":
		fmt.Fprintf(tw, "IP addresses:\t%s\n", cs.Gray("unknown: "+d.AgentError))
	}
	fmt.Fprintf(tw, "Digest:\t%s\n", d.Digest)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nConfig:")
	keys := make([]string, 0, len(d.Config))
	for k := range d.Config {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, k := range keys {
		fmt.Fprintf(tw, "  %s:\t%s\n", k, oneLine(d.Config[k]))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(d.Pending) > 0 {
		fmt.Fprintln(w, "\nPending changes (applied at the next restart):")
		for _, p := range d.Pending {
			if p.Delete {
				fmt.Fprintf(w, "  %s: %s %s\n", p.Key, cs.Red("- delete"), p.Current)
				continue
			}
			fmt.Fprintf(w, "  %s: %s -> %s\n", p.Key, dash(p.Current), cs.Yellow(p.Pending))
		}
	}
	fmt.Fprintln(w, "\nSnapshots:")
	if len(d.Snapshots) == 0 {
		fmt.Fprintln(w, "  <none>")
	}
	for _, s := range d.Snapshots {
		when := ""
		if s.Time != nil {
			when = " (" + cmdutil.RelativeTime(*s.Time, now) + ")"
		}
		desc := ""
		if s.Description != "" {
			desc = ": " + oneLine(s.Description)
		}
		fmt.Fprintf(w, "  %s%s%s\n", s.Name, when, desc)
	}
	return renderTasks(w, cs, d.Tasks, now)
}

func renderTasks(w io.Writer, cs *iostreams.ColorScheme, tasks []inventory.Task, now time.Time) error {
	fmt.Fprintln(w, "\nRecent tasks:")
	if len(tasks) == 0 {
		fmt.Fprintln(w, "  <none>")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, t := range tasks {
		st := t.Status
		if st == "OK" {
			st = cs.Green(st)
		} else if st != "running" {
			st = cs.Red(st)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", cmdutil.RelativeTime(t.StartTime, now), t.Type, t.User, st)
	}
	return tw.Flush()
}

func renderNode(w io.Writer, cs *iostreams.ColorScheme, d *inventory.NodeDetail, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Name:\t%s\n", cs.Bold(d.Name))
	fmt.Fprintf(tw, "Status:\t%s\n", cs.ColorFromStatus(d.Status))
	if d.PVEVersion != "" {
		fmt.Fprintf(tw, "PVE version:\t%s\n", d.PVEVersion)
		fmt.Fprintf(tw, "Kernel:\t%s\n", d.Kernel)
		fmt.Fprintf(tw, "CPU:\t%d x %s\n", d.CPUs, d.CPUModel)
		fmt.Fprintf(tw, "Load average:\t%s\n", strings.Join(d.LoadAverage, " "))
	}
	fmt.Fprintf(tw, "CPU usage:\t%.1f%%\n", d.CPUUsage*100)
	fmt.Fprintf(tw, "Memory:\t%s / %s\n", cmdutil.HumanBytes(d.MemoryUsedBytes), cmdutil.HumanBytes(d.MemoryBytes))
	if d.SwapBytes > 0 {
		fmt.Fprintf(tw, "Swap:\t%s / %s\n", cmdutil.HumanBytes(d.SwapUsed), cmdutil.HumanBytes(d.SwapBytes))
	}
	fmt.Fprintf(tw, "Root disk:\t%s / %s\n", cmdutil.HumanBytes(d.DiskUsedBytes), cmdutil.HumanBytes(d.DiskBytes))
	if d.UptimeSeconds > 0 {
		fmt.Fprintf(tw, "Uptime:\t%s\n", cmdutil.HumanDuration(time.Duration(d.UptimeSeconds)*time.Second))
	}
	if d.SSLFingerprint != "" {
		fmt.Fprintf(tw, "SSL fingerprint:\t%s\n", d.SSLFingerprint)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nGuests (%d):\n", len(d.GuestList))
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, g := range d.GuestList {
		st := g.Status
		if g.Template {
			st = "template"
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\n", g.VMID, g.Type, g.Name, cs.ColorFromStatus(st))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nStorage:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, s := range d.Storages {
		fmt.Fprintf(tw, "  %s\t%s\t%s / %s\t%.1f%%\n", s.Name, s.Type, cmdutil.HumanBytes(s.UsedBytes), cmdutil.HumanBytes(s.TotalBytes), s.UsedFraction*100)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(d.Networks) > 0 {
		fmt.Fprintln(w, "\nNetworks:")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, n := range d.Networks {
			extra := ""
			if n.VLANAware {
				extra = "vlan-aware"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", n.Name, n.Type, dash(n.CIDR), dash(n.Ports), extra)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return renderTasks(w, cs, d.Tasks, now)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\r", "")
	return strings.ReplaceAll(s, "\n", "\\n")
}
