package cmdutil

import (
	"context"
	"log/slog"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/codegen"
	"github.com/proxmox-mpc/proxmox-mpc/internal/discovery"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine/native"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine/tofu"
	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/lifecycle"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
	"github.com/proxmox-mpc/proxmox-mpc/internal/testrun"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// BuildInfo identifies the binary.
type BuildInfo struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	Date    string `json:"date"`
	Go      string `json:"go"`
	OS      string `json:"os"`
	Arch    string `json:"arch"`
}

// Factory hands commands their dependencies, built lazily so that a command
// that needs no server (version, completion) never touches one.
type Factory struct {
	IOStreams *iostreams.IOStreams
	Build     BuildInfo
	// Logger returns the process logger (stderr at warn, or debug with --debug).
	Logger func() *slog.Logger
	// Output returns the global -o/--jq choice.
	Output func() OutputOptions
	// Inventory connects (lazily) to the chosen endpoint or to the demo simulator.
	Inventory func(ctx context.Context) (*inventory.Service, error)
	// StateStore opens the state store without creating it (cached; the
	// app closes it at exit): *inventory.NoStateError when there is none yet.
	StateStore func(ctx context.Context) (state.Store, error)
	// StateInventory answers reads from the state store as the last sync
	// saw it (get --from-state, describe --from-state, history).
	StateInventory func(ctx context.Context) (*inventory.Service, error)
	// Syncer connects to the server and opens the state store, creating it
	// when missing.
	Syncer func(ctx context.Context) (*discovery.Syncer, error)
	// Names, when set, offers completion names of a kind ("vms",
	// "containers", "nodes", "storage") from the state store, cached; ok
	// is false when the store has none, and callers then ask the server.
	Names func(ctx context.Context, kind string) (names []string, ok bool)
	// Connect makes a Service for the settings of a workspace config that
	// is not written yet (init): endpoint or context, TLS, and the token
	// from the environment variable it names or its secret file.
	Connect func(ctx context.Context, cfg workspace.Config) (*inventory.Service, error)
	// Codegen regenerates the code of the current workspace from its state
	// store; an error outside a workspace.
	Codegen func(ctx context.Context) (*codegen.Service, error)
	// CodeEditor edits the current workspace's Terraform code (create, set
	// and delete inside a workspace); *workspace.NotFoundError outside one.
	CodeEditor func(ctx context.Context) (*codegen.Editor, error)
	// Lifecycle runs operational verbs; its journal is the state store when one exists.
	Lifecycle func(ctx context.Context) (*lifecycle.Service, error)
	// Forget drops what the Factory cached between console lines: the
	// completion names, and (unless running on the demo simulator) the
	// server connection and the state store, so the next line reconnects.
	Forget func()
	// PinFingerprint records a certificate fingerprint the user confirmed
	// for an endpoint; it returns the file and whether anything changed.
	PinFingerprint func(endpoint, fingerprint string) (path string, changed bool, err error)
	// TestChecks returns the built-in checks that `test` runs before the
	// external tools (nil: none).
	TestChecks func(ctx context.Context) ([]testrun.Check, error)
	// ApplyPlan carries out a plan over the PVE API (native engine), with
	// the state store's journal.
	ApplyPlan func(ctx context.Context, p engine.Plan, o native.Options, progress func(native.Event)) (native.Result, error)
	// TofuEngine makes the OpenTofu/Terraform engine for binary on the
	// current workspace's terraform/ folder, with the connection's
	// endpoint and credentials in its PROXMOX_VE_* environment (nil: only
	// the native engine exists).
	TofuEngine func(ctx context.Context, binary string) (*tofu.Engine, error)
	// Interrupts watches for a second Ctrl-C (the first cancels the
	// command's context): the channel closes on it; stop ends the watch.
	Interrupts func() (second <-chan struct{}, stop func())
	// Now is the clock.
	Now func() time.Time
}
