// Package status implements `proxmox-mpc status` (/status in the console).
package status

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/diag"
	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// Options holds the inputs of status.
type Options struct {
	IO             *iostreams.IOStreams
	Inventory      func(context.Context) (*inventory.Service, error)
	StateInventory func(context.Context) (*inventory.Service, error)
	Output         cmdutil.OutputOptions
	Now            func() time.Time
	Timeout        time.Duration
}

// NewCmdStatus builds the command.
func NewCmdStatus(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Inventory: f.Inventory, StateInventory: f.StateInventory, Now: f.Now, Timeout: 10 * time.Second}
	return &cobra.Command{
		Use:   "status",
		Short: "Server reachability, last sync, guests by status, and what changed since the last sync",
		Long: "status checks that the server answers (and its version), shows the last sync with its\n" +
			"counts and the guests by status, and lists what changed on the server since the last sync:\n" +
			"guests created or deleted, started or stopped, migrated or renamed (one /cluster/resources\n" +
			"call; run sync to record the changes and their config details).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Output()
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return statusRun(cmd.Context(), opts)
		},
	}
}

// Report is the machine-readable status.
type Report struct {
	Endpoint     string                 `json:"endpoint"`
	Reachable    bool                   `json:"reachable"`
	Version      string                 `json:"pve_version"`
	LatencyMS    float64                `json:"latency_ms"`
	ServerError  string                 `json:"server_error"`
	LastSync     *state.SyncRun         `json:"last_sync"`
	StateError   string                 `json:"state_error"`
	Guests       map[string]int         `json:"guests_by_status"`
	GuestsSource string                 `json:"guests_source"` // "server" or "state"
	Changed      []inventory.GuestDrift `json:"changed_since_sync"`
}

func statusRun(ctx context.Context, opts *Options) error {
	rep := Report{Guests: map[string]int{}, Changed: []inventory.GuestDrift{}}
	var live, stored []inventory.Guest
	liveOK, storedOK := false, false

	if svc, err := opts.Inventory(ctx); err != nil {
		rep.ServerError = oneLine(err)
	} else {
		rep.Endpoint = svc.Client().Endpoint()
		cctx, cancel := context.WithTimeout(ctx, opts.Timeout)
		start := time.Now()
		conn, err := svc.TestConnection(cctx)
		if err == nil {
			rep.Reachable, rep.Version = true, conn.Version
			rep.LatencyMS = float64(time.Since(start).Microseconds()) / 1000
			live, err = svc.Guests(cctx, inventory.GuestQuery{})
			liveOK = err == nil
		}
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			rep.ServerError = oneLine(err)
		}
	}
	if st, err := opts.StateInventory(ctx); err != nil {
		rep.StateError = oneLine(err)
	} else if run, err := st.LastSync(ctx); err != nil {
		rep.StateError = oneLine(err)
	} else {
		rep.LastSync = &run
		stored, err = st.Guests(ctx, inventory.GuestQuery{})
		if err != nil {
			rep.StateError = oneLine(err)
		} else {
			storedOK = true
		}
	}
	switch {
	case liveOK:
		rep.Guests, rep.GuestsSource = inventory.CountByStatus(live), "server"
	case storedOK:
		rep.Guests, rep.GuestsSource = inventory.CountByStatus(stored), "state"
	}
	if liveOK && storedOK {
		rep.Changed = inventory.CompareGuests(stored, live)
	}
	if rep.Changed == nil {
		rep.Changed = []inventory.GuestDrift{}
	}
	return cmdutil.PrintObject(opts.IO, opts.Output, rep, func(w io.Writer, cs *iostreams.ColorScheme) error {
		render(w, cs, &rep, liveOK && storedOK, opts.Now())
		return nil
	})
}

func render(w io.Writer, cs *iostreams.ColorScheme, r *Report, compared bool, now time.Time) {
	switch {
	case r.Reachable:
		fmt.Fprintf(w, "%s Server     %s reachable, PVE %s (%.0f ms)\n", cs.SuccessIcon(), r.Endpoint, r.Version, r.LatencyMS)
	case r.Endpoint != "":
		fmt.Fprintf(w, "%s Server     %s unreachable: %s\n", cs.FailureIcon(), r.Endpoint, r.ServerError)
	default:
		fmt.Fprintf(w, "%s Server     not configured: %s\n", cs.WarningIcon(), r.ServerError)
	}
	if r.LastSync != nil {
		ls := r.LastSync
		when := ls.StartedAt
		if ls.FinishedAt != nil {
			when = *ls.FinishedAt
		}
		fmt.Fprintf(w, "%s Last sync  %s (sync %d): +%d new, ~%d changed, -%d removed, %d unchanged\n",
			cs.SuccessIcon(), cmdutil.RelativeTime(when, now), ls.ID, ls.Added, ls.Changed, ls.Removed, ls.Unchanged)
	} else {
		fmt.Fprintf(w, "%s Last sync  never: %s\n", cs.WarningIcon(), r.StateError)
	}
	if len(r.Guests) > 0 {
		keys := make([]string, 0, len(r.Guests))
		total := 0
		for k, n := range r.Guests {
			keys = append(keys, k)
			total += n
		}
		slices.SortFunc(keys, func(a, b string) int { return r.Guests[b] - r.Guests[a] })
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%d %s", r.Guests[k], cs.ColorFromStatus(k))
		}
		src := ""
		if r.GuestsSource == "state" {
			src = " (as of the last sync)"
		}
		fmt.Fprintf(w, "  Guests     %d: %s%s\n", total, strings.Join(parts, ", "), src)
	}
	switch {
	case !compared:
	case len(r.Changed) == 0:
		fmt.Fprintln(w, "  Changes    none on the server since the last sync")
	default:
		fmt.Fprintf(w, "  Changes    %d on the server since the last sync (run sync to record them):\n", len(r.Changed))
		for _, d := range r.Changed {
			fmt.Fprintf(w, "    %s\n", d)
		}
	}
}

// oneLine is the first line of an error with its hint, for a status row.
func oneLine(err error) string {
	var noState *inventory.NoStateError
	if errors.As(err, &noState) {
		return "run `proxmox-mpc sync`"
	}
	d := diag.FromError(err)
	if d.Hint != "" {
		return d.Summary + " (" + d.Hint + ")"
	}
	return d.Summary
}
