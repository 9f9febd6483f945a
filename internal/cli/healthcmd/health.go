// Package healthcmd implements `proxmox-mpc health` (/health in the
// console): is everything OK, in one screen.
package healthcmd

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/health"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// Options holds the inputs of health.
type Options struct {
	IO     *iostreams.IOStreams
	Output cmdutil.OutputOptions
	// Check runs the checks.
	Check func(ctx context.Context) health.Report
}

// collapseAbove: a group (nodes, storage) with more green checks than this
// shows them as one line, so a large cluster still fits on a screen.
const collapseAbove = 6

// NewCmdHealth builds the command. deps says where the checks read from;
// its nil Inventory, Workspace and Logger are taken from f and the
// current folder.
func NewCmdHealth(f *cmdutil.Factory, deps health.Deps, runF func(context.Context, *Options) error) *cobra.Command {
	if deps.Inventory == nil {
		deps.Inventory = f.Inventory
	}
	if deps.Workspace == nil {
		deps.Workspace = openWorkspace
	}
	opts := &Options{IO: f.IOStreams}
	return &cobra.Command{
		Use:   "health",
		Short: "Check the server, credentials, state database, workspace, tools, node load and storage in one screen",
		Long: "health runs every check at once and prints one line each, green (✓), yellow (!), red (✗) or\n" +
			"skipped (-) with the reason, then one summary line:\n\n" +
			"  server      reachability and round-trip latency (GET /version), PVE version, cluster\n" +
			"  auth        the identity, and whether it may read /cluster/resources\n" +
			"  database    the state store's backend, location, size, schema version and integrity check\n" +
			"  workspace   found, config valid, .proxmox-mpc writable\n" +
			"  tools       tofu, terraform, ansible-playbook and git with their versions\n" +
			"  nodes       CPU and memory use per node: above 80% yellow, above 90% red\n" +
			"  storage     usage per storage: above 80% yellow, above 90% red\n" +
			"  guests      running and stopped counts\n\n" +
			"Without a configured server the server checks are skipped and the local ones still run.\n" +
			"The exit code is 1 when any check is red.",
		Example: "  proxmox-mpc health\n" +
			"  proxmox-mpc health -o json --jq '.checks[] | select(.status != \"green\")'",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Output()
			if deps.Logger == nil && f.Logger != nil {
				deps.Logger = f.Logger()
			}
			opts.Check = func(ctx context.Context) health.Report { return health.Run(ctx, deps) }
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return healthRun(cmd.Context(), opts)
		},
	}
}

func openWorkspace() (*workspace.Workspace, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("locate workspace: %w", err)
	}
	return workspace.Open(cwd)
}

func healthRun(ctx context.Context, opts *Options) error {
	if err := opts.Output.Validate(); err != nil {
		return err
	}
	if opts.IO.IsStderrTTY() && !opts.Output.IsStructured() {
		fmt.Fprint(opts.IO.ErrOut, "checking…")
	}
	rep := opts.Check(ctx)
	if opts.IO.IsStderrTTY() && !opts.Output.IsStructured() {
		fmt.Fprint(opts.IO.ErrOut, "\r\x1b[K")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err := cmdutil.PrintObject(opts.IO, opts.Output, rep, func(w io.Writer, cs *iostreams.ColorScheme) error {
		render(w, cs, rep)
		return nil
	})
	if err != nil {
		return err
	}
	if rep.Overall == health.Red {
		return cmdutil.ErrSilent
	}
	return nil
}

// render writes one line per check (green checks of a large group folded
// into one), its hint under any that is not green, and the summary line.
func render(w io.Writer, cs *iostreams.ColorScheme, rep health.Report) {
	lines := fold(rep.Checks)
	width := 0
	for _, c := range lines {
		width = max(width, len([]rune(c.Name)))
	}
	width = min(width, 28)
	for _, c := range lines {
		name := c.Name
		if pad := width - len([]rune(name)); pad > 0 {
			name += strings.Repeat(" ", pad)
		}
		detail := c.Detail
		if c.Status == health.Skipped {
			detail = cs.Gray(detail)
		}
		fmt.Fprintf(w, "%s %s  %s\n", icon(cs, c.Status), name, detail)
		if c.Hint != "" && c.Status != health.Green {
			fmt.Fprintf(w, "  %s  %s\n", strings.Repeat(" ", width), cs.Gray("hint: "+c.Hint))
		}
	}
	switch rep.Overall {
	case health.Red:
		fmt.Fprintln(w, cs.Red("✗ "+rep.Summary))
	case health.Yellow:
		fmt.Fprintln(w, cs.Yellow("! "+rep.Summary))
	default:
		fmt.Fprintln(w, cs.Green("✓ "+rep.Summary))
	}
}

func icon(cs *iostreams.ColorScheme, s health.Status) string {
	switch s {
	case health.Green:
		return cs.Green("✓")
	case health.Yellow:
		return cs.Yellow("!")
	case health.Red:
		return cs.Red("✗")
	}
	return cs.Gray("-")
}

// fold replaces the green checks of the nodes and storage groups by one
// line each when there are more than collapseAbove of them.
func fold(checks []health.Check) []health.Check {
	greens := map[string]int{}
	for _, c := range checks {
		if c.Status == health.Green && (c.Group == health.GroupNodes || c.Group == health.GroupStorage) {
			greens[c.Group]++
		}
	}
	out := make([]health.Check, 0, len(checks))
	placed := map[string]bool{}
	for _, c := range checks {
		n := greens[c.Group]
		if c.Status != health.Green || n <= collapseAbove {
			out = append(out, c)
			continue
		}
		if placed[c.Group] {
			continue
		}
		placed[c.Group] = true
		line := health.Check{Name: c.Group, Group: c.Group, Status: health.Green}
		if c.Group == health.GroupNodes {
			line.Detail = fmt.Sprintf("%d nodes online, CPU and memory at most 80%% (-o json lists them)", n)
		} else {
			line.Detail = fmt.Sprintf("%d storages at most 80%% full (-o json lists them)", n)
		}
		out = append(out, line)
	}
	return out
}
