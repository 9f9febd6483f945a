// Package get implements `proxmox-mpc get` and `list-nodes`.
package get

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/diag"
	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
)

// Resource kinds of get, with their accepted spellings.
var kindAliases = map[string]string{
	"nodes": "nodes", "node": "nodes", "no": "nodes",
	"vms": "vms", "vm": "vms", "qemu": "vms",
	"containers": "containers", "container": "containers", "ct": "containers", "cts": "containers", "lxc": "containers",
	"storage": "storage", "storages": "storage", "st": "storage",
	"tasks": "tasks", "task": "tasks",
	"templates": "templates", "template": "templates",
}

// Kinds lists the canonical resource kinds.
var kinds = []string{"nodes", "vms", "containers", "storage", "tasks", "templates"}

// Options holds the inputs of get.
type Options struct {
	IO             *iostreams.IOStreams
	Inventory      func(context.Context) (*inventory.Service, error)
	StateInventory func(context.Context) (*inventory.Service, error)
	Output         cmdutil.OutputOptions
	Now            func() time.Time

	Kind      string
	Names     []string
	Node      string
	Status    string
	Tags      []string
	Selector  string
	Sort      string
	Limit     int
	FromState bool
}

// NewCmdGet builds `get TYPE [NAME|ID...]`.
func NewCmdGet(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Inventory: f.Inventory, StateInventory: f.StateInventory, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "get nodes|vms|containers|storage|tasks|templates [NAME|VMID...]",
		Short: "List nodes, guests, storage, tasks or templates",
		Long: "get lists resources of one kind, live from the server.\n\n" +
			"Filters: --node, --status, --tag (repeatable, all must match) and -l selectors\n" +
			"(key=value or key!=value, comma separated; keys for guests: " + strings.Join(inventory.GuestSelectorKeys(), ", ") + ").\n" +
			"--sort takes a field of the JSON output (docs/output-fields.md); prefix - for descending.",
		Example: "  proxmox-mpc get vms --node pve1 --status running\n" +
			"  proxmox-mpc get vms -l tag=web,status!=stopped --sort -memory_bytes\n" +
			"  proxmox-mpc get containers -o json --jq '.[].name'",
		Args: cobra.MinimumNArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return kinds, cobra.ShellCompDirectiveNoFileComp
			}
			return CompleteNames(cmd.Context(), f, kindAliases[args[0]]), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			kind, ok := kindAliases[strings.ToLower(args[0])]
			if !ok {
				return unknownKind(args[0])
			}
			opts.Kind = kind
			opts.Names = args[1:]
			opts.Output = f.Output()
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return getRun(cmd.Context(), opts)
		},
	}
	addFilterFlags(cmd, opts)
	return cmd
}

// NewCmdListNodes builds `list-nodes`, the same as `get nodes`.
func NewCmdListNodes(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Inventory: f.Inventory, StateInventory: f.StateInventory, Now: f.Now, Kind: "nodes"}
	cmd := &cobra.Command{
		Use:   "list-nodes",
		Short: "List the cluster's nodes (same as get nodes)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Output()
			return getRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Status, "status", "", "only nodes with this status (online, offline)")
	cmd.Flags().StringVar(&opts.Sort, "sort", "", "sort by a JSON field, - prefix for descending")
	cmd.Flags().IntVar(&opts.Limit, "limit", 0, "show at most N rows")
	cmd.Flags().BoolVar(&opts.FromState, "from-state", false, "answer from the state store (the last sync) without the server")
	return cmd
}

func addFilterFlags(cmd *cobra.Command, opts *Options) {
	fl := cmd.Flags()
	fl.StringVar(&opts.Node, "node", "", "only resources on this node")
	fl.StringVar(&opts.Status, "status", "", "only resources with this status (running, stopped, online, ...)")
	fl.StringSliceVar(&opts.Tags, "tag", nil, "only guests with this tag (repeatable; all must match)")
	fl.StringVarP(&opts.Selector, "selector", "l", "", "guest selector, e.g. tag=web,node!=pve2")
	fl.StringVar(&opts.Sort, "sort", "", "sort by a JSON field, - prefix for descending (e.g. name, -memory_bytes)")
	fl.IntVar(&opts.Limit, "limit", 0, "show at most N rows")
	fl.BoolVar(&opts.FromState, "from-state", false, "answer from the state store (the last sync) without the server")
}

func unknownKind(s string) error {
	names := make([]string, 0, len(kindAliases))
	for k := range kindAliases {
		names = append(names, k)
	}
	msg := fmt.Sprintf("unknown resource type %q", s)
	if sug := diag.Suggest(s, names); len(sug) > 0 {
		msg += fmt.Sprintf(" (did you mean %s?)", kindAliases[sug[0]])
	} else {
		msg += "; use one of " + strings.Join(kinds, ", ")
	}
	return cmdutil.FlagErrorf("%s", msg)
}

func (o *Options) unsupported(flags ...string) error {
	for _, fl := range flags {
		var set bool
		switch fl {
		case "--node":
			set = o.Node != ""
		case "--tag":
			set = len(o.Tags) > 0
		case "-l":
			set = o.Selector != ""
		case "names":
			if len(o.Names) > 0 {
				return cmdutil.FlagErrorf("get %s takes no names", o.Kind)
			}
		}
		if set {
			return cmdutil.FlagErrorf("%s does not apply to get %s", fl, o.Kind)
		}
	}
	return nil
}

func getRun(ctx context.Context, opts *Options) error {
	switch opts.Kind {
	case "nodes":
		if err := opts.unsupported("--node", "--tag", "-l"); err != nil {
			return err
		}
	case "storage", "templates":
		if err := opts.unsupported("--tag", "-l"); err != nil {
			return err
		}
	case "tasks":
		if err := opts.unsupported("--tag", "-l", "names"); err != nil {
			return err
		}
	}
	if opts.Limit < 0 {
		return cmdutil.FlagErrorf("--limit must be positive")
	}
	source := opts.Inventory
	if opts.FromState {
		source = opts.StateInventory
	}
	svc, err := source(ctx)
	if err != nil {
		return err
	}
	switch opts.Kind {
	case "vms", "containers":
		return getGuests(ctx, svc, opts)
	case "nodes":
		return getNodes(ctx, svc, opts)
	case "storage":
		return getStorage(ctx, svc, opts)
	case "tasks":
		return getTasks(ctx, svc, opts)
	default:
		return getTemplates(ctx, svc, opts)
	}
}

func getGuests(ctx context.Context, svc *inventory.Service, opts *Options) error {
	sel, err := inventory.ParseSelector(opts.Selector, inventory.GuestSelectorKeys())
	if err != nil {
		return err
	}
	typ := inventory.TypeVM
	if opts.Kind == "containers" {
		typ = inventory.TypeCT
	}
	rows, err := svc.Guests(ctx, inventory.GuestQuery{
		Type: typ, Node: opts.Node, Status: opts.Status, Tags: opts.Tags,
		Selector: sel, Names: opts.Names, Sort: opts.Sort, Limit: opts.Limit,
	})
	if err != nil {
		return err
	}
	return cmdutil.PrintList(opts.IO, opts.Output, rows, guestColumns())
}

func guestColumns() []cmdutil.Column[inventory.Guest] {
	return []cmdutil.Column[inventory.Guest]{
		{Header: "VMID", Value: func(g inventory.Guest) string { return strconv.Itoa(g.VMID) }, RightAlign: true},
		{Header: "NAME", Value: func(g inventory.Guest) string { return g.Name }},
		{Header: "NODE", Value: func(g inventory.Guest) string { return g.Node }},
		{Header: "STATUS", Value: guestStatus, Color: statusColor},
		{Header: "CPUS", Value: func(g inventory.Guest) string { return strconv.FormatFloat(g.CPUs, 'f', -1, 64) }, RightAlign: true},
		{Header: "MEMORY", Value: func(g inventory.Guest) string { return cmdutil.HumanBytes(g.MemoryBytes) }, RightAlign: true},
		{Header: "DISK", Value: func(g inventory.Guest) string { return cmdutil.HumanBytes(g.DiskBytes) }, RightAlign: true},
		{Header: "UPTIME", Value: func(g inventory.Guest) string { return uptime(g.UptimeSeconds) }, RightAlign: true},
		{Header: "TAGS", Value: func(g inventory.Guest) string { return strings.Join(g.Tags, ",") }},
		{Header: "POOL", Wide: true, Value: func(g inventory.Guest) string { return g.Pool }},
		{Header: "CPU%", Wide: true, Value: func(g inventory.Guest) string { return percent(g.CPUUsage) }, RightAlign: true},
		{Header: "MEM USED", Wide: true, Value: func(g inventory.Guest) string { return cmdutil.HumanBytes(g.MemoryUsedBytes) }, RightAlign: true},
		{Header: "HA", Wide: true, Value: func(g inventory.Guest) string { return g.HAState }},
		{Header: "LOCK", Wide: true, Value: func(g inventory.Guest) string { return g.Lock }},
	}
}

func guestStatus(g inventory.Guest) string {
	if g.Template {
		return "template"
	}
	return g.Status
}

func statusColor(cs *iostreams.ColorScheme, v string) string { return cs.ColorFromStatus(v) }

func uptime(s int64) string {
	if s <= 0 {
		return "-"
	}
	return cmdutil.HumanDuration(time.Duration(s) * time.Second)
}

func percent(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" }

func getNodes(ctx context.Context, svc *inventory.Service, opts *Options) error {
	all, err := svc.Nodes(ctx)
	if err != nil {
		return err
	}
	rows := all[:0:0]
	for _, n := range all {
		if opts.Status != "" && !strings.EqualFold(n.Status, opts.Status) {
			continue
		}
		if len(opts.Names) > 0 && !containsFold(opts.Names, n.Name) {
			continue
		}
		rows = append(rows, n)
	}
	if err := checkNames(opts.Names, "node", names(all, func(n inventory.Node) string { return n.Name })); err != nil {
		return err
	}
	if err := inventory.SortBy(rows, opts.Sort); err != nil {
		return err
	}
	rows = limit(rows, opts.Limit)
	return cmdutil.PrintList(opts.IO, opts.Output, rows, []cmdutil.Column[inventory.Node]{
		{Header: "NAME", Value: func(n inventory.Node) string { return n.Name }},
		{Header: "STATUS", Value: func(n inventory.Node) string { return n.Status }, Color: statusColor},
		{Header: "GUESTS", Value: func(n inventory.Node) string { return strconv.Itoa(n.Guests) }, RightAlign: true},
		{Header: "CPUS", Value: func(n inventory.Node) string { return strconv.Itoa(n.CPUs) }, RightAlign: true},
		{Header: "CPU%", Value: func(n inventory.Node) string { return percent(n.CPUUsage) }, RightAlign: true},
		{Header: "MEMORY", Value: func(n inventory.Node) string {
			return cmdutil.HumanBytes(n.MemoryUsedBytes) + "/" + cmdutil.HumanBytes(n.MemoryBytes)
		}, RightAlign: true},
		{Header: "UPTIME", Value: func(n inventory.Node) string { return uptime(n.UptimeSeconds) }, RightAlign: true},
		{Header: "DISK", Wide: true, Value: func(n inventory.Node) string {
			return cmdutil.HumanBytes(n.DiskUsedBytes) + "/" + cmdutil.HumanBytes(n.DiskBytes)
		}, RightAlign: true},
		{Header: "SSL FINGERPRINT", Wide: true, Value: func(n inventory.Node) string { return n.SSLFingerprint }},
	})
}

func getStorage(ctx context.Context, svc *inventory.Service, opts *Options) error {
	all, err := svc.Storages(ctx, opts.Node)
	if err != nil {
		return err
	}
	rows := all[:0:0]
	for _, s := range all {
		if opts.Status != "" && !strings.EqualFold(s.Status, opts.Status) {
			continue
		}
		if len(opts.Names) > 0 && !containsFold(opts.Names, s.Name) {
			continue
		}
		rows = append(rows, s)
	}
	if err := checkNames(opts.Names, "storage", names(all, func(s inventory.Storage) string { return s.Name })); err != nil {
		return err
	}
	if err := inventory.SortBy(rows, opts.Sort); err != nil {
		return err
	}
	rows = limit(rows, opts.Limit)
	return cmdutil.PrintList(opts.IO, opts.Output, rows, []cmdutil.Column[inventory.Storage]{
		{Header: "NODE", Value: func(s inventory.Storage) string { return s.Node }},
		{Header: "NAME", Value: func(s inventory.Storage) string { return s.Name }},
		{Header: "TYPE", Value: func(s inventory.Storage) string { return s.Type }},
		{Header: "CONTENT", Value: func(s inventory.Storage) string { return strings.Join(s.Content, ",") }},
		{Header: "USED", Value: func(s inventory.Storage) string { return cmdutil.HumanBytes(s.UsedBytes) }, RightAlign: true},
		{Header: "TOTAL", Value: func(s inventory.Storage) string { return cmdutil.HumanBytes(s.TotalBytes) }, RightAlign: true},
		{Header: "USE%", Value: func(s inventory.Storage) string { return percent(s.UsedFraction) }, RightAlign: true},
		{Header: "SHARED", Value: func(s inventory.Storage) string { return yesNo(s.Shared) }},
		{Header: "STATUS", Wide: true, Value: func(s inventory.Storage) string { return s.Status }, Color: statusColor},
	})
}

func getTasks(ctx context.Context, svc *inventory.Service, opts *Options) error {
	n := opts.Limit
	if n == 0 {
		n = 50
	}
	all, err := svc.Tasks(ctx, opts.Node, n)
	if err != nil {
		return err
	}
	rows := all[:0:0]
	for _, t := range all {
		if opts.Status != "" && !strings.EqualFold(t.Status, opts.Status) {
			continue
		}
		rows = append(rows, t)
	}
	if err := inventory.SortBy(rows, opts.Sort); err != nil {
		return err
	}
	now := opts.Now()
	tty := opts.IO.IsStdoutTTY()
	return cmdutil.PrintList(opts.IO, opts.Output, rows, []cmdutil.Column[inventory.Task]{
		{Header: "STARTED", Value: func(t inventory.Task) string {
			if tty {
				return cmdutil.RelativeTime(t.StartTime, now)
			}
			return t.StartTime.Format(time.RFC3339)
		}},
		{Header: "NODE", Value: func(t inventory.Task) string { return t.Node }},
		{Header: "TYPE", Value: func(t inventory.Task) string { return t.Type }},
		{Header: "ID", Value: func(t inventory.Task) string { return t.ID }},
		{Header: "USER", Value: func(t inventory.Task) string { return t.User }},
		{Header: "STATUS", Value: func(t inventory.Task) string { return t.Status }, Color: taskColor},
		{Header: "DURATION", Value: func(t inventory.Task) string {
			if t.EndTime == nil {
				return "-"
			}
			return cmdutil.HumanDuration(time.Duration(t.DurationSeconds * float64(time.Second)))
		}, RightAlign: true},
		{Header: "UPID", Wide: true, Value: func(t inventory.Task) string { return t.UPID }},
	})
}

func taskColor(cs *iostreams.ColorScheme, v string) string {
	switch {
	case v == "OK":
		return cs.Green(v)
	case v == "running":
		return cs.Cyan(v)
	case strings.HasPrefix(v, "WARNINGS"):
		return cs.Yellow(v)
	}
	return cs.Red(v)
}

func getTemplates(ctx context.Context, svc *inventory.Service, opts *Options) error {
	all, err := svc.Templates(ctx)
	if err != nil {
		return err
	}
	rows := all[:0:0]
	for _, t := range all {
		if opts.Node != "" && t.Node != "" && !strings.EqualFold(t.Node, opts.Node) {
			continue
		}
		if len(opts.Names) > 0 && !containsFold(opts.Names, t.Name) {
			continue
		}
		rows = append(rows, t)
	}
	if err := checkNames(opts.Names, "template", names(all, func(t inventory.Template) string { return t.Name })); err != nil {
		return err
	}
	if err := inventory.SortBy(rows, opts.Sort); err != nil {
		return err
	}
	rows = limit(rows, opts.Limit)
	return cmdutil.PrintList(opts.IO, opts.Output, rows, []cmdutil.Column[inventory.Template]{
		{Header: "NAME", Value: func(t inventory.Template) string { return t.Name }},
		{Header: "TYPE", Value: func(t inventory.Template) string { return t.Type }},
		{Header: "NODE", Value: func(t inventory.Template) string { return dash(t.Node) }},
		{Header: "SOURCE", Value: func(t inventory.Template) string {
			if t.VMID != 0 {
				return "vmid " + strconv.Itoa(t.VMID)
			}
			return t.Volid
		}},
		{Header: "SIZE", Value: func(t inventory.Template) string { return cmdutil.HumanBytes(t.SizeBytes) }, RightAlign: true},
	})
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

func names[T any](rows []T, name func(T) string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = name(r)
	}
	return out
}

// checkNames fails for a requested name that does not exist.
func checkNames(want []string, kind string, have []string) error {
	for _, w := range want {
		if !containsFold(have, w) {
			return &inventory.NotFoundError{Kind: kind, Ref: w, Suggestions: diag.Suggest(w, have)}
		}
	}
	return nil
}

func limit[T any](rows []T, n int) []T {
	if n > 0 && len(rows) > n {
		return rows[:n]
	}
	return rows
}

// CompleteNames offers names of the given kind for shell completion. It
// gives up quietly after two seconds: completion must never hang a shell.
func CompleteNames(ctx context.Context, f *cmdutil.Factory, kind string) []string {
	if f.Names != nil {
		if names, ok := f.Names(ctx, kind); ok {
			return names
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	svc, err := f.Inventory(ctx)
	if err != nil {
		return nil
	}
	switch kind {
	case "vms", "containers":
		typ := inventory.TypeVM
		if kind == "containers" {
			typ = inventory.TypeCT
		}
		gs, err := svc.Guests(ctx, inventory.GuestQuery{Type: typ})
		if err != nil {
			return nil
		}
		return names(gs, func(g inventory.Guest) string { return g.Name })
	case "nodes":
		ns, err := svc.Nodes(ctx)
		if err != nil {
			return nil
		}
		return names(ns, func(n inventory.Node) string { return n.Name })
	case "storage":
		ss, err := svc.Storages(ctx, "")
		if err != nil {
			return nil
		}
		return names(ss, func(s inventory.Storage) string { return s.Name })
	}
	return nil
}
