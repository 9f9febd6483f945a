// Package synccmd implements `proxmox-mpc sync`: discover the live cluster into
// the state store.
package synccmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/codegen"
	"github.com/proxmox-mpc/proxmox-mpc/internal/discovery"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// Options holds the inputs of sync.
type Options struct {
	IO     *iostreams.IOStreams
	Syncer func(context.Context) (*discovery.Syncer, error)
	Output cmdutil.OutputOptions

	// Regenerate, when set, rewrites the workspace's code after a
	// successful sync; it returns nil without a workspace.
	Regenerate func(context.Context) (*codegen.Result, error)

	DryRun        bool
	Concurrency   int
	RefreshAgents bool
}

// NewCmdSync builds the command.
func NewCmdSync(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Syncer: f.Syncer}
	if f.Codegen != nil {
		opts.Regenerate = func(ctx context.Context) (*codegen.Result, error) {
			svc, err := f.Codegen(ctx)
			var nf *workspace.NotFoundError
			if errors.As(err, &nf) {
				return nil, nil
			}
			if err != nil {
				return nil, err
			}
			res, err := svc.Run(ctx, codegen.Options{})
			return &res, err
		}
	}
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Discover the live cluster into the state store and record what changed",
		Long: "sync reads the whole cluster — one /cluster/resources call, then each guest's config\n" +
			"(and guest-agent addresses of running VMs) in parallel — and writes it to the state store in\n" +
			"one transaction, with a field-level change history against the previous sync. A failed or\n" +
			"interrupted sync changes nothing and is recorded with its error.\n\n" +
			"A running VM's agent addresses are read again when it restarted or its config changed\n" +
			"since the last sync, and at least once every 10 minutes; --refresh-agents asks every agent now.\n\n" +
			"The store is the workspace's .proxmox-mpc/state.db (found by walking up like git; created\n" +
			"in the current folder when there is none), or --state-url.",
		Example: "  proxmox-mpc sync\n  proxmox-mpc sync --dry-run\n  proxmox-mpc sync -o json --jq '.changes[] | select(.field == \"node\")'",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Concurrency < 1 || opts.Concurrency > 256 {
				return cmdutil.FlagErrorf("--concurrency must be between 1 and 256, got %d", opts.Concurrency)
			}
			opts.Output = f.Output()
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return syncRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.DryRun, "dry-run", false, "report what would change without writing anything")
	cmd.Flags().IntVar(&opts.Concurrency, "concurrency", 16, "parallel per-guest API reads")
	cmd.Flags().BoolVar(&opts.RefreshAgents, "refresh-agents", false,
		"ask every guest agent for its addresses, even those of VMs that neither restarted nor changed in the last 10 minutes")
	return cmd
}

// resultView is the machine-readable result of a sync.
type resultView struct {
	SyncID    int64               `json:"sync_id"`
	DryRun    bool                `json:"dry_run"`
	Added     int                 `json:"added"`
	Changed   int                 `json:"changed"`
	Removed   int                 `json:"removed"`
	Unchanged int                 `json:"unchanged"`
	Duration  float64             `json:"duration_seconds"`
	Changes   []state.Change      `json:"changes"`
	Warnings  []discovery.Warning `json:"warnings"`
	Code      *codeView           `json:"code,omitempty"`
}

// codeView is the code regeneration that followed the sync.
type codeView struct {
	Summary string   `json:"summary"`
	Changed []string `json:"changed"`
	Error   string   `json:"error,omitempty"`
}

func syncRun(ctx context.Context, opts *Options) error {
	s, err := opts.Syncer(ctx)
	if err != nil {
		return err
	}
	s.Options.Concurrency = opts.Concurrency
	if opts.RefreshAgents {
		s.Options.AgentMaxAge = -1
	}
	bar := newProgress(opts.IO)
	s.Options.Progress = bar.update
	var res discovery.Result
	if opts.DryRun {
		res, err = s.DryRun(ctx)
	} else {
		res, err = s.Sync(ctx)
	}
	bar.done()
	if err != nil {
		if opts.DryRun {
			return fmt.Errorf("sync --dry-run: %w", err)
		}
		return fmt.Errorf("sync (nothing was changed in the state): %w", err)
	}
	view := resultView{
		SyncID: res.SyncID, DryRun: opts.DryRun,
		Added: res.Summary.Added, Changed: res.Summary.Changed, Removed: res.Summary.Removed, Unchanged: res.Summary.Unchanged,
		Duration: res.Summary.Duration.Seconds(), Changes: res.Changes, Warnings: res.Warnings,
	}
	if view.Changes == nil {
		view.Changes = []state.Change{}
	}
	if view.Warnings == nil {
		view.Warnings = []discovery.Warning{}
	}
	var codeErr error
	if opts.Regenerate != nil && !opts.DryRun {
		var code *codegen.Result
		code, codeErr = opts.Regenerate(ctx)
		if code != nil {
			view.Code = &codeView{Summary: code.Summary(), Changed: []string{}}
			for _, st := range code.Changed() {
				view.Code.Changed = append(view.Code.Changed, st.Path)
			}
			if codeErr != nil {
				view.Code.Error = codeErr.Error()
			}
		}
	}
	if err := cmdutil.PrintObject(opts.IO, opts.Output, view, func(w io.Writer, cs *iostreams.ColorScheme) error {
		for _, wn := range res.Warnings {
			fmt.Fprintf(opts.IO.ErrOut, "%s %s: %s\n", cs.Yellow("Warning:"), wn.Resource, wn.Message)
		}
		if opts.DryRun {
			renderChanges(w, cs, res.Changes)
			fmt.Fprintf(w, "Dry run: %s (nothing written)\n", res.Summary)
			return nil
		}
		fmt.Fprintf(w, "%s Synced: %s\n", cs.SuccessIcon(), res.Summary)
		if view.Code != nil && codeErr == nil {
			fmt.Fprintf(w, "%s Code: %s\n", cs.SuccessIcon(), view.Code.Summary)
		}
		return nil
	}); err != nil {
		return err
	}
	if codeErr != nil {
		return fmt.Errorf("synced; %w", codeErr)
	}
	return nil
}

// renderChanges prints guest changes like a plan: + created, ~ changed, - removed.
func renderChanges(w io.Writer, cs *iostreams.ColorScheme, changes []state.Change) {
	for _, c := range changes {
		if c.ResourceType != "guest" {
			continue
		}
		switch c.Kind {
		case state.ChangeCreated:
			fmt.Fprintf(w, "%s %s (%s)\n", cs.Green("+"), c.Name, c.ResourceKey)
		case state.ChangeRemoved:
			fmt.Fprintf(w, "%s %s (%s)\n", cs.Red("-"), c.Name, c.ResourceKey)
		default:
			fmt.Fprintf(w, "%s %s %s: %s → %s\n", cs.Yellow("~"), c.Name, c.Field, quote(c.Old), quote(c.New))
		}
	}
}

func quote(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// progress draws one status line on a terminal (stderr) and plain phase
// lines otherwise. Progress callbacks come from one goroutine at a time.
type progress struct {
	io        *iostreams.IOStreams
	tty       bool
	lastPhase string
	lastDraw  time.Time
	drawn     bool
}

func newProgress(ios *iostreams.IOStreams) *progress {
	return &progress{io: ios, tty: ios.IsStderrTTY()}
}

func (p *progress) update(pr discovery.Progress) {
	if !p.tty {
		if pr.Phase != p.lastPhase {
			p.lastPhase = pr.Phase
			if pr.Total > 1 {
				fmt.Fprintf(p.io.ErrOut, "sync: %s (%d)\n", pr.Phase, pr.Total)
			} else {
				fmt.Fprintf(p.io.ErrOut, "sync: %s\n", pr.Phase)
			}
		}
		return
	}
	now := time.Now()
	if pr.Phase == p.lastPhase && now.Sub(p.lastDraw) < 50*time.Millisecond && pr.Done != pr.Total {
		return
	}
	p.lastPhase, p.lastDraw, p.drawn = pr.Phase, now, true
	fmt.Fprintf(p.io.ErrOut, "\r\x1b[K%s", bar(pr, 30))
}

func (p *progress) done() {
	if p.tty && p.drawn {
		fmt.Fprint(p.io.ErrOut, "\r\x1b[K")
	}
}

func bar(pr discovery.Progress, width int) string {
	if pr.Total <= 0 {
		return "sync: " + pr.Phase + "…"
	}
	filled := min(width, pr.Done*width/pr.Total)
	return fmt.Sprintf("sync: %-9s [%s%s] %d/%d", pr.Phase, strings.Repeat("=", filled), strings.Repeat(" ", width-filled), pr.Done, pr.Total)
}
