// Package app is the composition root: it builds the command tree, wires
// dependencies into the Factory, handles signals, and turns errors into one
// clear line, a hint and an exit code.
package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/anonymizecmd"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/applycmd"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/connection"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/contextcmd"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/describe"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/driftcmd"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/generatecmd"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/get"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/guest"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/healthcmd"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/history"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/inventorycmd"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/journal"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/logscmd"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/mcpcmd"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/plancmd"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/simcmd"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/status"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/synccmd"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/testcmd"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/validatecmd"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/version"
	workspacecmd "github.com/proxmox-mpc/proxmox-mpc/internal/cli/workspace"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/codegen"
	"github.com/proxmox-mpc/proxmox-mpc/internal/diag"
	"github.com/proxmox-mpc/proxmox-mpc/internal/discovery"
	"github.com/proxmox-mpc/proxmox-mpc/internal/health"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/terraform"
	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/lifecycle"
	"github.com/proxmox-mpc/proxmox-mpc/internal/mcp"
	"github.com/proxmox-mpc/proxmox-mpc/internal/observe"
	"github.com/proxmox-mpc/proxmox-mpc/internal/privacy"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
	"github.com/proxmox-mpc/proxmox-mpc/internal/testrun"
	"github.com/proxmox-mpc/proxmox-mpc/internal/userconfig"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// Build metadata, set by the linker (-ldflags "-X ...").
var (
	buildVersion = "dev"
	buildCommit  = ""
	buildDate    = ""
)

// Exit codes.
const (
	ExitOK          = 0
	ExitError       = 1
	ExitUsage       = 2
	ExitAuth        = 4
	ExitInterrupted = 130
)

// globalOptions are the persistent flags of the root command.
type globalOptions struct {
	Context     string
	Endpoint    string
	Fingerprint string
	CAFile      string
	Insecure    bool
	TokenID     string
	Username    string
	SecretFile  string
	OTP         string
	Timeout     time.Duration
	Output      string
	JQ          string
	NoColor     bool
	Debug       bool
	LogLevel    string
	Demo        bool
	StateURL    string

	// logDir is the workspace log folder the logger writes to ("" outside
	// a workspace); fileLog logs to that file only.
	logDir  string
	fileLog *slog.Logger
	// stderrLevel is the level of the stderr log; /debug on|off in the
	// console moves it for the lines that follow.
	stderrLevel *slog.LevelVar
	// operation is the command running now (console lines change it); the
	// logger adds it to every record.
	operation *atomic.Pointer[string]

	// release frees the workspace lock a mutating command took.
	release func() error
	// inConsole: lines run inside the console never start another one.
	inConsole bool
	// startArgs are the arguments the process started with.
	startArgs []string
	// names caches completion names for the process (the console session).
	names *nameCache
}

// nameCache holds completion names by kind ("vms", "containers", "nodes",
// "storage"). Loads run without the lock, so a Tab never waits behind a
// prefetch of another kind.
type nameCache struct {
	mu sync.Mutex
	m  map[string][]string
}

func (c *nameCache) get(kind string) ([]string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[kind]
	return v, ok
}

func (c *nameCache) clear() {
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}

// load reads the names of kind (guests load vms and containers at once)
// from a state-backed inventory and caches them.
func (c *nameCache) load(ctx context.Context, svc *inventory.Service, kind string) ([]string, bool) {
	loaded := map[string][]string{}
	switch kind {
	case "vms", "containers":
		gs, err := svc.Guests(ctx, inventory.GuestQuery{})
		if err != nil {
			return nil, false
		}
		loaded["vms"], loaded["containers"] = []string{}, []string{}
		for _, g := range gs {
			k := "vms"
			if g.Type == inventory.TypeCT {
				k = "containers"
			}
			loaded[k] = append(loaded[k], g.Name)
		}
	case "nodes":
		ns, err := svc.Nodes(ctx)
		if err != nil {
			return nil, false
		}
		for _, n := range ns {
			loaded["nodes"] = append(loaded["nodes"], n.Name)
		}
	case "storage":
		ss, err := svc.Storages(ctx, "")
		if err != nil {
			return nil, false
		}
		for _, st := range ss {
			loaded["storage"] = append(loaded["storage"], st.Name)
		}
	default:
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, v := range loaded {
		c.m[k] = v
	}
	return loaded[kind], true
}

// mutating commands take the workspace lock, so a second console's
// mutating command fails with who holds it instead of interleaving.
var mutating = map[string]bool{
	"sync": true, "start": true, "stop": true, "shutdown": true, "reboot": true, "suspend": true, "resume": true,
	"snapshot": true, "delete": true, "clone": true, "migrate": true, "set": true, "create": true,
	"generate": true, "apply": true, "destroy": true,
}

// lockWorkspace takes the workspace lock for a mutating command run inside
// a workspace (not for --dry-run).
func lockWorkspace(cmd *cobra.Command, g *globalOptions) error {
	top := cmd
	for top.HasParent() && top.Parent().HasParent() {
		top = top.Parent()
	}
	if !mutating[top.Name()] {
		return nil
	}
	if fl := cmd.Flags().Lookup("dry-run"); fl != nil && fl.Value.String() == "true" {
		return nil
	}
	if g.Demo {
		return nil
	}
	cwd, err := os.Getwd()
	if err != nil {
		return fmt.Errorf("locate workspace: %w", err)
	}
	ws, err := workspace.Open(cwd)
	if err != nil {
		var nf *workspace.NotFoundError
		if errors.As(err, &nf) {
			return nil
		}
		return err
	}
	unlock, err := ws.Lock(cmd.Context(), cmd.CommandPath(), false)
	if err != nil {
		return err
	}
	g.release = unlock
	return nil
}

// Main runs the program with the process's arguments and streams.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, os.Args[1:], iostreams.System(), osEnv)
}

// Run executes one command line; tests call it with iostreams.Test().
func Run(ctx context.Context, args []string, ios *iostreams.IOStreams, env Env) int {
	cid := observe.NewCorrelationID()
	ctx = observe.WithCorrelation(ctx, cid)
	g := &globalOptions{operation: new(atomic.Pointer[string])}
	f, cleanup := newFactory(ios, g, env, cid)
	defer cleanup()
	g.startArgs = args
	root := NewRootCmd(f, g, env)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if g.release != nil {
		if rerr := g.release(); rerr != nil {
			f.Logger().Warn("release workspace lock", observe.KeyErr, rerr)
		}
	}
	if err == nil {
		return ExitOK
	}
	logFailure(ctx, f, g, cmd, err)
	return handleError(ios, cmd, err, ctx, g)
}

// logFailure records a command's error in the workspace log file (stderr
// already gets it from handleError).
func logFailure(ctx context.Context, f *cmdutil.Factory, g *globalOptions, cmd *cobra.Command, err error) {
	if errors.Is(err, cmdutil.ErrSilent) {
		return
	}
	_ = f.Logger() // opens the log file when the command logged nothing
	if g.fileLog == nil {
		return
	}
	op := ""
	if cmd != nil {
		op = strings.TrimPrefix(cmd.CommandPath(), "proxmox-mpc ")
	}
	g.fileLog.LogAttrs(ctx, slog.LevelError, "command failed", slog.String(observe.KeyOperation, op), slog.Any(observe.KeyErr, err))
}

// handleError prints err (one line and a hint) and the command's
// correlation id, and returns the exit code.
func handleError(ios *iostreams.IOStreams, cmd *cobra.Command, err error, ctx context.Context, g *globalOptions) int {
	code := reportError(ios, cmd, err, ctx)
	if errors.Is(err, cmdutil.ErrSilent) || code == ExitInterrupted {
		return code
	}
	if id := observe.CorrelationID(ctx); id != "" {
		if g.logDir != "" {
			fmt.Fprintf(ios.ErrOut, "correlation id: %s (proxmox-mpc logs --correlation %s)\n", id, id)
		} else {
			fmt.Fprintf(ios.ErrOut, "correlation id: %s\n", id)
		}
	}
	return code
}

func reportError(ios *iostreams.IOStreams, cmd *cobra.Command, err error, ctx context.Context) int {
	if errors.Is(err, cmdutil.ErrSilent) {
		return ExitError
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		fmt.Fprintln(ios.ErrOut, "Interrupted.")
		return ExitInterrupted
	}
	d := diag.FromError(err)
	diag.Render(ios.ErrOut, d, ios.ColorEnabled())
	var flagErr *cmdutil.FlagError
	var exitErr *cmdutil.ExitError
	var nf *inventory.NotFoundError
	var amb *inventory.AmbiguousError
	var selErr *inventory.SelectorError
	var sortErr *inventory.SortFieldError
	var cfgErr *pve.ConfigError
	var ctxErr *userconfig.NotFoundError
	var nestedErr *workspace.NestedError
	var existsErr *workspace.ExistsError
	var wsParseErr *workspace.ParseError
	switch {
	case errors.As(err, &exitErr):
		return exitErr.Code
	case errors.As(err, &flagErr):
		if cmd != nil && d.Hint == "" {
			fmt.Fprintf(ios.ErrOut, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
		return ExitUsage
	case errors.As(err, &nf), errors.As(err, &amb), errors.As(err, &selErr), errors.As(err, &sortErr), errors.As(err, &cfgErr), errors.As(err, &ctxErr),
		errors.As(err, &nestedErr), errors.As(err, &existsErr), errors.As(err, &wsParseErr):
		return ExitUsage
	case errors.Is(err, pve.ErrUnauthorized), errors.Is(err, pve.ErrForbidden):
		return ExitAuth
	}
	return ExitError
}

// NewRootCmd builds the whole command tree.
func NewRootCmd(f *cmdutil.Factory, g *globalOptions, env Env) *cobra.Command {
	root := &cobra.Command{
		Use:   "proxmox-mpc",
		Short: "Turn a Proxmox VE cluster into code and back",
		Long: "proxmox-mpc reads a Proxmox VE cluster, shows what runs where, keeps it in a state store,\n" +
			"writes its guests as Terraform (bpg/proxmox) and Ansible code in a workspace, and acts on them\n" +
			"through the API.\n\n" +
			"With no command it starts the interactive console (lines from stdin when it is not a terminal).\n" +
			"Connect with the bpg provider's variables (PROXMOX_VE_ENDPOINT, PROXMOX_VE_API_TOKEN),\n" +
			"a named context, or try everything on the built-in simulator with --demo.",
		Example: "  proxmox-mpc --demo get vms\n" +
			"  proxmox-mpc sim --listen 127.0.0.1:8006 &\n" +
			"  proxmox-mpc test-connection --fingerprint AA:BB:...",
		SilenceErrors:              true,
		SilenceUsage:               true,
		SuggestionsMinimumDistance: 2,
		Version:                    f.Build.Version,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return nil
			}
			return &UnknownCommandError{Name: args[0], Suggestions: cmd.SuggestionsFor(args[0])}
		},
		RunE: consoleRunE(f, g, env, func() []string { return g.startArgs }),
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if g.operation != nil {
				op := strings.TrimSpace(strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()))
				if op == "" {
					op = "console"
				}
				g.operation.Store(&op)
			}
			if g.NoColor {
				f.IOStreams.SetColorEnabled(false)
			}
			if g.LogLevel != "" {
				if _, ok := observe.ParseLevel(g.LogLevel); !ok {
					return cmdutil.FlagErrorf("invalid --log-level %q: use debug, info, warn or error", g.LogLevel)
				}
			}
			if err := f.Output().Validate(); err != nil {
				return err
			}
			if g.Demo && cmd.Name() == "init" {
				return &cmdutil.FlagError{Err: &ConnError{
					Problem: "init does not apply to --demo: the demo cluster lives only inside this process",
					hint:    "serve the simulator with `proxmox-mpc sim` in another terminal and init against it (see README)",
				}}
			}
			return lockWorkspace(cmd, g)
		},
	}
	// before InitDefaultCompletionCmd, which captures the output writer
	root.SetIn(f.IOStreams.In)
	root.SetOut(f.IOStreams.Out)
	root.SetErr(f.IOStreams.ErrOut)
	root.SetVersionTemplate("proxmox-mpc version {{.Version}}\n")
	root.SetFlagErrorFunc(flagError)
	pf := root.PersistentFlags()
	pf.StringVar(&g.Context, "context", "", "named context from the user config to connect with")
	pf.StringVar(&g.Endpoint, "endpoint", "", "Proxmox VE API URL, e.g. https://pve1:8006 (env PROXMOX_VE_ENDPOINT)")
	pf.StringVar(&g.Fingerprint, "fingerprint", "", "pin the server certificate by its SHA-256 fingerprint (AA:BB:..., as the PVE GUI shows it)")
	pf.StringVar(&g.CAFile, "ca-file", "", "PEM file of CA certificates to trust")
	pf.BoolVar(&g.Insecure, "insecure", false, "skip TLS certificate verification (env PROXMOX_VE_INSECURE; prefer --fingerprint)")
	pf.StringVar(&g.TokenID, "token-id", "", "API token id USER@REALM!TOKENID; its secret comes from --secret-file")
	pf.StringVar(&g.Username, "username", "", "user for ticket login, e.g. root@pam; the password comes from --secret-file or PROXMOX_VE_PASSWORD")
	pf.StringVar(&g.SecretFile, "secret-file", "", "file (mode 0600) holding the token secret or password")
	pf.StringVar(&g.OTP, "otp", "", "one-time TOTP code for ticket login with two-factor auth")
	pf.DurationVar(&g.Timeout, "timeout", defaultTimeout, "timeout of each API request")
	pf.StringVarP(&g.Output, "output", "o", "", "output format: table, wide, json or yaml")
	pf.StringVar(&g.JQ, "jq", "", "filter JSON output with a jq expression (implies -o json)")
	pf.BoolVar(&g.NoColor, "no-color", false, "disable colour (also NO_COLOR)")
	pf.BoolVar(&g.Debug, "debug", false, "log every API call (method, path, status, latency) to stderr")
	pf.StringVar(&g.LogLevel, "log-level", "", "stderr log level: debug, info, warn (default) or error")
	pf.BoolVar(&g.Demo, "demo", false, "run against the built-in simulated homelab cluster (no server needed)")
	pf.StringVar(&g.StateURL, "state-url", "", "state store: postgres://... for a shared PostgreSQL, or a SQLite file (default: the workspace's .proxmox-mpc/state.db; env PMC_STATE_URL)")
	_ = root.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"table", "wide", "json", "yaml"}, cobra.ShellCompDirectiveNoFileComp))
	_ = root.RegisterFlagCompletionFunc("context", completeContexts(env))

	healthDeps := health.Deps{
		Inventory:    f.Inventory,
		Store:        f.StateStore,
		Workspace:    func() (*workspace.Workspace, error) { return openCwdWorkspace() },
		VersionCache: cachePath(env, "tool-versions.json"),
		NotConfigured: func(err error) bool {
			var ce *ConnError
			return errors.As(err, &ce) && ce.Problem == noEndpointProblem
		},
		Refused: func(err error) bool { return errors.Is(err, pve.ErrUnauthorized) || errors.Is(err, pve.ErrForbidden) },
	}
	privacyDeps := anonymizecmd.Deps{
		State: func(ctx context.Context) (privacy.Source, error) {
			st, err := f.StateStore(ctx)
			if err != nil {
				return nil, err // a nil store must not become a non-nil interface
			}
			return st, nil
		},
		ConfigDir: func() (string, error) { return userconfig.DirFromEnv(userconfig.Getenv(env)) },
		Health: func(ctx context.Context) ([]byte, error) {
			return json.MarshalIndent(health.Run(ctx, healthDeps), "", "  ")
		},
	}
	root.AddCommand(
		version.NewCmdVersion(f, nil),
		connection.NewCmdTestConnection(f, nil),
		get.NewCmdListNodes(f),
		get.NewCmdGet(f, nil),
		describe.NewCmdDescribe(f, nil),
		simcmd.NewCmdSim(f, nil),
		guest.NewCmdStart(f, f.Lifecycle, nil), guest.NewCmdStop(f, f.Lifecycle, nil),
		guest.NewCmdShutdown(f, f.Lifecycle, nil), guest.NewCmdReboot(f, f.Lifecycle, nil),
		guest.NewCmdSuspend(f, f.Lifecycle, nil), guest.NewCmdResume(f, f.Lifecycle, nil),
		guest.NewCmdSnapshot(f, f.Lifecycle, nil), guest.NewCmdDelete(f, f.Lifecycle, nil),
		guest.NewCmdClone(f, f.Lifecycle, nil), guest.NewCmdMigrate(f, f.Lifecycle, nil),
		guest.NewCmdSet(f, f.Lifecycle, nil), guest.NewCmdCreate(f, f.Lifecycle, nil),
		synccmd.NewCmdSync(f, nil),
		generatecmd.NewCmdGenerate(f, nil),
		testcmd.NewCmdTest(f, nil),
		plancmd.NewCmdPlan(f, planSource(f), nil),
		applycmd.NewCmdApply(f, planSource(f), nil),
		applycmd.NewCmdDestroy(f, planSource(f), nil),
		validatecmd.NewCmdValidate(f, validateSource(f), nil),
		driftcmd.NewCmdDrift(f, driftSource(f), nil),
		healthcmd.NewCmdHealth(f, healthDeps, nil),
		anonymizecmd.NewCmdAnonymize(f, privacyDeps, nil),
		anonymizecmd.NewCmdPrivacy(f, privacyDeps, nil),
		anonymizecmd.NewCmdReportIssue(f, privacyDeps, nil),
		mcpcmd.NewCmdMCP(f, func(context.Context) (mcp.Deps, error) { return mcpDeps(f, healthDeps, env), nil }, nil),
		inventorycmd.NewCmdInventory(f, func(ctx context.Context) ([]state.Guest, error) {
			svc, err := f.StateInventory(ctx)
			if err != nil {
				return nil, err
			}
			return svc.StateGuests(ctx)
		}, nil),
		history.NewCmdHistory(f, nil),
		status.NewCmdStatus(f, nil),
		journal.NewCmdJournal(f, nil),
		logscmd.NewCmdLogs(f, workspaceLogDir, nil),
		newCmdDebug(f, g),
		workspacecmd.NewCmdInit(f, nil),
		contextcmd.NewCmdContext(f, func() (string, error) { return userconfig.PathFromEnv(userconfig.Getenv(env)) }),
	)
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.Short = "Generate the autocompletion script for bash, zsh or fish (completes commands, flags, guest and node names)"
		}
	}
	return root
}

// UnknownCommandError is a command name the tree does not have.
type UnknownCommandError struct {
	Name        string
	Suggestions []string
}

func (e *UnknownCommandError) Error() string { return fmt.Sprintf("unknown command %q", e.Name) }

// Hint offers close commands.
func (e *UnknownCommandError) Hint() string {
	if len(e.Suggestions) > 0 {
		return "did you mean " + diag.OrList(e.Suggestions) + "?"
	}
	return "run `proxmox-mpc --help` to see the commands"
}

// Unwrap makes it a usage error.
func (e *UnknownCommandError) Unwrap() error { return &cmdutil.FlagError{Err: errors.New(e.Error())} }

func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	var names []string
	cmd.Flags().VisitAll(func(fl *pflag.Flag) { names = append(names, "--"+fl.Name) })
	if name, ok := strings.CutPrefix(msg, "unknown flag: "); ok {
		if s := diag.Suggest(name, names); len(s) > 0 {
			return &cmdutil.FlagError{Err: fmt.Errorf("%s (did you mean %s?)", msg, diag.OrList(s))}
		}
	}
	return &cmdutil.FlagError{Err: err}
}

func newFactory(ios *iostreams.IOStreams, g *globalOptions, env Env, cid string) (*cmdutil.Factory, func()) {
	f := &cmdutil.Factory{
		IOStreams: ios,
		Build:     buildInfo(),
		Now:       time.Now,
	}
	var (
		logMu   sync.Mutex
		logFile *observe.FileHandler
	)
	f.Logger = sync.OnceValue(func() *slog.Logger {
		logMu.Lock()
		defer logMu.Unlock()
		var l *slog.Logger
		l, logFile = newLogger(ios.ErrOut, g, cid)
		return l
	})
	f.PinFingerprint = func(endpoint, fp string) (string, bool, error) { return pinFingerprint(env, endpoint, fp) }
	f.Output = func() cmdutil.OutputOptions { return cmdutil.OutputOptions{Format: g.Output, JQ: g.JQ} }
	var (
		mu  sync.Mutex
		svc *inventory.Service
	)
	f.Inventory = func(ctx context.Context) (*inventory.Service, error) {
		mu.Lock()
		defer mu.Unlock()
		if svc != nil {
			return svc, nil
		}
		client, err := newClient(ios, g, env, f.Logger())
		if err != nil {
			return nil, err
		}
		svc = inventory.New(client, f.Logger().With(observe.KeySubsys, "inventory"))
		return svc, nil
	}
	var (
		stMu  sync.Mutex
		store state.Store
	)
	openStore := func(ctx context.Context, create bool) (state.Store, error) {
		stMu.Lock()
		defer stMu.Unlock()
		if store != nil {
			return store, nil
		}
		cwd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("locate state: %w", err)
		}
		loc, err := resolveState(g, env, cwd)
		if err != nil {
			return nil, err
		}
		st, err := openState(ctx, loc, create, f.Logger().With(observe.KeySubsys, "state"))
		if err != nil {
			return nil, err
		}
		store = st
		return st, nil
	}
	f.StateStore = func(ctx context.Context) (state.Store, error) { return openStore(ctx, false) }
	f.StateInventory = func(ctx context.Context) (*inventory.Service, error) {
		st, err := openStore(ctx, false)
		if err != nil {
			return nil, err
		}
		return inventory.NewFromState(st, f.Logger().With(observe.KeySubsys, "inventory")), nil
	}
	f.Syncer = func(ctx context.Context) (*discovery.Syncer, error) {
		svc, err := f.Inventory(ctx)
		if err != nil {
			return nil, err
		}
		st, err := openStore(ctx, true)
		if err != nil {
			return nil, err
		}
		return &discovery.Syncer{Store: st, Client: svc.Client(), Options: discovery.Options{Logger: f.Logger()}}, nil
	}
	f.Connect = func(ctx context.Context, wc workspace.Config) (*inventory.Service, error) {
		wg := *g
		wg.Context, wg.Endpoint, wg.Fingerprint, wg.CAFile, wg.Insecure = wc.Context, wc.Endpoint, wc.Fingerprint, wc.CAFile, wc.Insecure
		wg.TokenID, wg.Username, wg.SecretFile = wc.Auth.TokenID, wc.Auth.Username, wc.Auth.SecretFile
		wenv := env
		if name := wc.TokenEnvName(); name != workspace.DefaultTokenEnv {
			wenv = func(k string) string {
				if k == workspace.DefaultTokenEnv {
					return env(name)
				}
				return env(k)
			}
		}
		client, err := newClient(ios, &wg, wenv, f.Logger())
		if err != nil {
			return nil, err
		}
		return inventory.New(client, f.Logger().With(observe.KeySubsys, "inventory")), nil
	}
	f.Codegen = func(ctx context.Context) (*codegen.Service, error) {
		cwd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("locate workspace: %w", err)
		}
		ws, err := codeWorkspace(cwd)
		if err != nil {
			return nil, err
		}
		st, err := openStore(ctx, false)
		if err != nil {
			return nil, err
		}
		return &codegen.Service{Store: st, Workspace: ws, Generate: codegen.Files, Existing: codegen.ExistingNames,
			Cache: func(ctx context.Context) terraform.Cache { return codegen.StoreCache(ctx, st, f.Logger()) },
			Now:   f.Now, Logger: f.Logger()}, nil
	}
	f.ApplyPlan = applyPlan(f)
	f.Interrupts = interrupts
	f.TofuEngine = tofuEngine(ios, g, env, f.Logger)
	f.TestChecks = func(context.Context) ([]testrun.Check, error) {
		cwd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("locate workspace: %w", err)
		}
		ws, err := workspace.Open(cwd)
		if err != nil {
			return nil, err
		}
		return codegen.Checks(ws), nil
	}
	f.CodeEditor = func(ctx context.Context) (*codegen.Editor, error) {
		cwd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("locate workspace: %w", err)
		}
		ws, err := codeWorkspace(cwd)
		if err != nil {
			return nil, err
		}
		ed := &codegen.Editor{Workspace: ws}
		if st, err := openStore(ctx, false); err == nil {
			ed.Cache = codegen.StoreCache(ctx, st, f.Logger())
			ed.Record = func(path string, content []byte) error {
				return st.RecordGeneratedFiles(ctx, []state.GeneratedFile{{Path: path, SHA256: codegen.Hash(content), Content: content, GeneratedAt: f.Now()}}, nil)
			}
		}
		return ed, nil
	}
	var (
		lcMu sync.Mutex
		lc   *lifecycle.Service
	)
	f.Lifecycle = func(ctx context.Context) (*lifecycle.Service, error) {
		lcMu.Lock()
		defer lcMu.Unlock()
		if lc != nil {
			return lc, nil
		}
		inv, err := f.Inventory(ctx)
		if err != nil {
			return nil, err
		}
		var journal lifecycle.Journal // nil outside any state: no journal
		if st, err := openStore(ctx, false); err == nil {
			journal = st
		} else {
			f.Logger().Debug("no operations journal", observe.KeyErr, err)
		}
		lc = lifecycle.New(inv.Client(), journal, f.Logger().With(observe.KeySubsys, "lifecycle"),
			lifecycle.Options{Identity: inv.Client().Identity()})
		return lc, nil
	}
	g.names = &nameCache{m: map[string][]string{}}
	f.Names = func(ctx context.Context, kind string) ([]string, bool) {
		if v, ok := g.names.get(kind); ok {
			return v, true
		}
		svc, err := f.StateInventory(ctx)
		if err != nil {
			return nil, false
		}
		return g.names.load(ctx, svc, kind)
	}
	f.Forget = func() {
		g.names.clear()
		if g.Demo {
			return
		}
		mu.Lock()
		svc = nil
		mu.Unlock()
		lcMu.Lock()
		lc = nil
		lcMu.Unlock()
		stMu.Lock()
		if store != nil {
			_ = store.Close()
			store = nil
		}
		stMu.Unlock()
	}
	cleanup := func() {
		stMu.Lock()
		if store != nil {
			if err := store.Close(); err != nil {
				f.Logger().Warn("close state store", observe.KeyErr, err)
			}
		}
		stMu.Unlock()
		logMu.Lock()
		defer logMu.Unlock()
		if logFile != nil {
			_ = logFile.Close()
		}
	}
	return f, cleanup
}

// newLogger logs to w (stderr) at warn, debug with --debug, or
// --log-level; inside a workspace also to .proxmox-mpc/logs at info (debug
// with --debug). Every record goes through observe.Redact first and gets
// the correlation id (the record's context's, else the command's cid).
func newLogger(w io.Writer, g *globalOptions, cid string) (*slog.Logger, *observe.FileHandler) {
	level := slog.LevelWarn
	if g.Debug {
		level = slog.LevelDebug
	}
	if l, ok := observe.ParseLevel(g.LogLevel); ok && g.LogLevel != "" {
		level = l
	}
	g.stderrLevel = new(slog.LevelVar)
	g.stderrLevel.Set(level)
	handlers := []slog.Handler{slog.NewTextHandler(w, &slog.HandlerOptions{Level: g.stderrLevel})}
	var fh *observe.FileHandler
	if ws, err := openCwdWorkspace(); err == nil {
		dir := filepath.Join(ws.Root, workspace.Dir, "logs")
		fileLevel := slog.LevelInfo
		if g.Debug {
			fileLevel = slog.LevelDebug
		}
		lc := ws.Config.Logs
		h, err := observe.OpenLogFile(dir, observe.FileOptions{Level: fileLevel,
			MaxBytes: int64(lc.MaxSizeMB) << 20, MaxAge: lc.MaxAgeDays, MaxFiles: lc.MaxFiles})
		if err != nil {
			fmt.Fprintf(w, "Warning: no log file: %v\n", err)
		} else {
			fh, g.logDir = h, dir
			handlers = append(handlers, h)
			g.fileLog = slog.New(observe.Redact(observe.CorrelationHandler(h, cid)))
		}
	}
	op := func() string {
		if g.operation == nil {
			return ""
		}
		if p := g.operation.Load(); p != nil {
			return *p
		}
		return ""
	}
	return slog.New(observe.Redact(observe.CommandHandler(slog.NewMultiHandler(handlers...), cid, op))), fh
}

// workspaceLogDir is the log folder of the workspace around the current
// directory; a *workspace.NotFoundError (with a hint) outside one.
func workspaceLogDir() (string, error) {
	ws, err := openCwdWorkspace()
	if err != nil {
		return "", err
	}
	return filepath.Join(ws.Root, workspace.Dir, "logs"), nil
}

// demoEndpoint names the in-process simulator in output.
const demoEndpoint = "https://demo.pve.invalid:8006"

func newClient(ios *iostreams.IOStreams, g *globalOptions, env Env, log *slog.Logger) (*pve.Client, error) {
	if g.Demo {
		sim, err := pvesim.New(pvesim.Options{Scenario: "homelab", Logger: log.With(observe.KeySubsys, "pvesim")})
		if err != nil {
			return nil, fmt.Errorf("start demo simulator: %w", err)
		}
		return pve.New(pve.Config{
			Endpoint:  demoEndpoint,
			APIToken:  pvesim.DefaultToken,
			Transport: sim.RoundTripper(),
			Timeout:   g.Timeout,
			Logger:    log.With(observe.KeySubsys, "pve"),
		})
	}
	cwd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("locate workspace: %w", err)
	}
	wg, wenv, err := withWorkspace(g, env, cwd)
	if err != nil {
		return nil, err
	}
	cs, err := resolveConnection(wg, wenv)
	if err != nil {
		return nil, err
	}
	cs.Config.Logger = log.With(observe.KeySubsys, "pve")
	cs.Config.UserAgent = "proxmox-mpc/" + buildVersion
	if cs.Config.Insecure && cs.Config.Fingerprint == "" {
		cs := ios.ColorScheme()
		fmt.Fprintf(ios.ErrOut, "%s TLS certificate verification is off (--insecure); pin the certificate with --fingerprint instead\n", cs.Yellow("Warning:"))
	}
	return pve.New(cs.Config)
}

func buildInfo() cmdutil.BuildInfo {
	b := cmdutil.BuildInfo{Version: buildVersion, Commit: buildCommit, Date: buildDate, Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if b.Commit == "" {
		if info, ok := debug.ReadBuildInfo(); ok {
			for _, s := range info.Settings {
				switch s.Key {
				case "vcs.revision":
					if len(s.Value) > 12 {
						b.Commit = s.Value[:12]
					} else {
						b.Commit = s.Value
					}
				case "vcs.time":
					b.Date = s.Value
				case "vcs.modified":
					if s.Value == "true" && b.Commit != "" {
						b.Commit += "-dirty"
					}
				}
			}
		}
	}
	return b
}

// cachePath is a file in the user's cache folder for proxmox-mpc
// ($XDG_CACHE_HOME, else ~/.cache); "" when neither is known.
func cachePath(env Env, name string) string {
	dir := env("XDG_CACHE_HOME")
	if dir == "" {
		home := env("HOME")
		if home == "" {
			return ""
		}
		dir = filepath.Join(home, ".cache")
	}
	return filepath.Join(dir, "proxmox-mpc", name)
}

// openCwdWorkspace opens the workspace around the current folder.
func openCwdWorkspace() (*workspace.Workspace, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("locate workspace: %w", err)
	}
	return workspace.Open(cwd)
}

// newCmdDebug is the console's `/debug on|off`: show each API call
// (method, path, status, latency) and other debug records on stderr for
// the lines that follow.
func newCmdDebug(f *cmdutil.Factory, g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:       "debug on|off",
		Short:     "In the console: show each API call and debug records on stderr (--debug for one command)",
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"on", "off"},
		RunE: func(cmd *cobra.Command, args []string) error {
			if !g.inConsole {
				return cmdutil.FlagErrorf("debug on|off works in the console; for one command pass --debug")
			}
			_ = f.Logger() // the session's logger, built once
			if g.stderrLevel == nil {
				return errors.New("no logger to change")
			}
			switch args[0] {
			case "on":
				g.stderrLevel.Set(slog.LevelDebug)
			case "off":
				g.stderrLevel.Set(slog.LevelWarn)
			default:
				return cmdutil.FlagErrorf("debug takes on or off, not %q", args[0])
			}
			fmt.Fprintf(f.IOStreams.ErrOut, "debug %s: API calls are %s on stderr\n", args[0], map[string]string{"on": "shown", "off": "not shown"}[args[0]])
			return nil
		},
	}
}

// codeWorkspace is the initialised workspace around cwd, the only kind
// code is generated into or edited in: a bare .proxmox-mpc left by a sync
// outside a workspace counts as none (commands then act on the server).
func codeWorkspace(cwd string) (*workspace.Workspace, error) {
	ws, err := workspace.Open(cwd)
	if err != nil {
		return nil, err
	}
	if !ws.Initialized {
		return nil, &workspace.NotFoundError{Start: cwd}
	}
	return ws, nil
}
