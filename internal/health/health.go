// Package health answers "is everything OK?" in one report: the server's
// reachability and latency, the credentials, the state database, the
// workspace, the external tools, node load, storage usage and the guests.
// Every check is green, yellow, red or skipped (with the reason); the
// independent ones run at the same time. It reads the server through
// internal/inventory and never prints.
package health

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// Status is the outcome of one check.
type Status string

// Check outcomes. Skipped checks say why in Detail and count as neither a
// problem nor a warning.
const (
	Green   Status = "green"
	Yellow  Status = "yellow"
	Red     Status = "red"
	Skipped Status = "skipped"
)

// Groups of checks, in report order.
const (
	GroupServer    = "server"
	GroupAuth      = "auth"
	GroupDatabase  = "database"
	GroupWorkspace = "workspace"
	GroupTools     = "tools"
	GroupNodes     = "nodes"
	GroupStorage   = "storage"
	GroupGuests    = "guests"
)

// Usage thresholds of node CPU and memory and of storage: above Warn is
// yellow, above Critical is red.
const (
	WarnFraction     = 0.80
	CriticalFraction = 0.90
)

// Default bounds.
const (
	// DefaultToolTimeout bounds each `<tool> version` run.
	DefaultToolTimeout = 3 * time.Second
	// DefaultServerTimeout bounds the server checks as a whole.
	DefaultServerTimeout = 15 * time.Second
	// slowLatency marks a server round trip as slow (yellow).
	slowLatency = time.Second
)

// Check is one line of the report.
type Check struct {
	Name       string        `json:"name"`
	Group      string        `json:"group"`
	Status     Status        `json:"status"`
	Detail     string        `json:"detail"`
	Hint       string        `json:"hint"`
	DurationMS float64       `json:"duration_ms"`
	Duration   time.Duration `json:"-"`
}

// Report is the result of Run.
type Report struct {
	Overall    Status  `json:"overall"` // red, yellow or green
	Summary    string  `json:"summary"` // "healthy", "2 warnings", "1 problem, 2 warnings"
	Problems   int     `json:"problems"`
	Warnings   int     `json:"warnings"`
	DurationMS float64 `json:"duration_ms"`
	Checks     []Check `json:"checks"`
}

// Deps are where the checks read from. Every field may be nil: the checks
// that need it are then skipped (Exec and LookPath default to os/exec).
type Deps struct {
	// Inventory connects to the configured server (no network call).
	Inventory func(ctx context.Context) (*inventory.Service, error)
	// NotConfigured reports whether an Inventory error means that no
	// server is configured at all: the server checks are then skipped
	// instead of failed. nil: every Inventory error is a problem.
	NotConfigured func(error) bool
	// Refused reports whether err is the server refusing the credentials
	// or a privilege (HTTP 401 or 403). nil: never.
	Refused func(error) bool
	// Store opens the state database; its owner closes it. An
	// *inventory.NoStateError (no database yet) skips the check.
	Store func(ctx context.Context) (state.Store, error)
	// Workspace opens the workspace around the current folder; a
	// *workspace.NotFoundError skips the check.
	Workspace func() (*workspace.Workspace, error)
	// LookPath finds a tool on PATH (default exec.LookPath).
	LookPath func(file string) (string, error)
	// Exec runs the tool at path with args and returns its standard
	// output (default os/exec).
	Exec func(ctx context.Context, path string, args ...string) ([]byte, error)
	// VersionCache is a file remembering tool versions by binary path,
	// size and mtime ("" = ask every tool every time).
	VersionCache string
	// ToolTimeout bounds each tool run (default DefaultToolTimeout).
	ToolTimeout time.Duration
	// ServerTimeout bounds the server checks (default DefaultServerTimeout).
	ServerTimeout time.Duration
	Logger        *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// server is what the server checks read; *inventory.Service provides it.
type server interface {
	Identity() string
	TestConnection(ctx context.Context) (*inventory.ConnectionReport, error)
	Nodes(ctx context.Context) ([]inventory.Node, error)
	Storages(ctx context.Context, node string) ([]inventory.Storage, error)
	Guests(ctx context.Context, q inventory.GuestQuery) ([]inventory.Guest, error)
}

// liveServer adds the identity to an inventory.Service.
type liveServer struct{ *inventory.Service }

var _ server = liveServer{}

func (s liveServer) Identity() string { return s.Client().Identity() }

// errOffline: a state-backed inventory cannot answer the server checks.
var errOffline = fmt.Errorf("the inventory reads the state store, not a server")

// Run runs every check and returns the report; it never fails (a check
// that cannot run is red or skipped with the reason). Cancelling ctx ends
// the running checks, which then report the cancellation.
func Run(ctx context.Context, d Deps) Report {
	var connect func(context.Context) (server, error)
	if d.Inventory != nil {
		connect = func(ctx context.Context) (server, error) {
			svc, err := d.Inventory(ctx)
			if err != nil {
				return nil, err
			}
			if svc.Offline() {
				return nil, errOffline
			}
			return liveServer{svc}, nil
		}
	}
	return run(ctx, d, connect)
}

func run(ctx context.Context, d Deps, connect func(context.Context) (server, error)) Report {
	d = withDefaults(d)
	start := d.Now()
	var (
		srv   serverFacts
		db    Check
		ws    workspaceFacts
		tools = make([]toolFacts, len(toolSpecs))
	)
	var g errgroup.Group
	g.Go(func() error { srv = gatherServer(ctx, d, connect); return nil })
	g.Go(func() error { db = checkDatabase(ctx, d); return nil })
	g.Go(func() error { ws = gatherWorkspace(d); return nil })
	vc := loadVersionCache(d.VersionCache)
	for i, spec := range toolSpecs {
		g.Go(func() error { tools[i] = probeTool(ctx, d, vc, spec); return nil })
	}
	_ = g.Wait() // the checks report their own errors
	vc.save()

	var checks []Check
	checks = append(checks, srv.serverCheck(), srv.authCheck(), db, ws.check())
	checks = append(checks, toolChecks(tools, ws.found())...)
	checks = append(checks, srv.nodeChecks()...)
	checks = append(checks, srv.storageChecks()...)
	checks = append(checks, srv.guestCheck())
	rep := Summarize(checks)
	rep.DurationMS = ms(d.Now().Sub(start))
	for _, c := range rep.Checks {
		d.Logger.Debug("health check", "check", c.Name, "status", string(c.Status), "detail", c.Detail, "duration_ms", c.DurationMS)
	}
	return rep
}

func withDefaults(d Deps) Deps {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.ToolTimeout <= 0 {
		d.ToolTimeout = DefaultToolTimeout
	}
	if d.ServerTimeout <= 0 {
		d.ServerTimeout = DefaultServerTimeout
	}
	if d.LookPath == nil {
		d.LookPath = lookPath
	}
	if d.Exec == nil {
		d.Exec = execTool
	}
	if d.Refused == nil {
		d.Refused = func(error) bool { return false }
	}
	if d.NotConfigured == nil {
		d.NotConfigured = func(error) bool { return false }
	}
	return d
}

// Summarize counts the checks and sets the overall status and summary.
func Summarize(checks []Check) Report {
	rep := Report{Overall: Green, Checks: checks}
	if rep.Checks == nil {
		rep.Checks = []Check{}
	}
	for i := range rep.Checks {
		c := &rep.Checks[i]
		c.DurationMS = ms(c.Duration)
		switch c.Status {
		case Red:
			rep.Problems++
		case Yellow:
			rep.Warnings++
		}
	}
	switch {
	case rep.Problems > 0:
		rep.Overall = Red
	case rep.Warnings > 0:
		rep.Overall = Yellow
	}
	rep.Summary = summaryText(rep.Problems, rep.Warnings)
	return rep
}

func summaryText(problems, warnings int) string {
	var parts []string
	if problems > 0 {
		parts = append(parts, plural(problems, "problem"))
	}
	if warnings > 0 {
		parts = append(parts, plural(warnings, "warning"))
	}
	if len(parts) == 0 {
		return "healthy"
	}
	return strings.Join(parts, ", ")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func ms(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

// timed runs f and returns how long it took.
func timed(now func() time.Time, f func()) time.Duration {
	start := now()
	f()
	return now().Sub(start)
}
