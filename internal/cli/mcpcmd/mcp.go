// Package mcpcmd implements `proxmox-mpc mcp`: the Model Context Protocol
// server for AI assistants, over stdio or streamable HTTP.
package mcpcmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/mcp"
)

// TokenEnv is the environment variable holding the HTTP bearer token.
const TokenEnv = "PMC_MCP_TOKEN" //nolint:gosec // the variable's name, not a credential

// Options holds the inputs of mcp.
type Options struct {
	IO *iostreams.IOStreams
	// Deps builds what the server reads and acts on.
	Deps    func(ctx context.Context) (mcp.Deps, error)
	Logger  *slog.Logger
	Version string
	Getenv  func(string) string

	Allow      string
	Nodes      []string
	Tags       []string
	VMIDs      []string
	Privacy    string
	HTTP       string
	HTTPPublic bool
	TokenFile  string

	// Ready, when set, is told the HTTP address once it listens (tests).
	Ready func(addr string)
}

// NewCmdMCP builds the command.
func NewCmdMCP(f *cmdutil.Factory, deps func(ctx context.Context) (mcp.Deps, error), runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Deps: deps, Version: f.Build.Version, Getenv: os.Getenv}
	cmd := &cobra.Command{
		Use:   "mcp",
		Short: "Serve the cluster and the workspace to AI assistants (Model Context Protocol)",
		Long: "mcp serves the Model Context Protocol over stdio (the default; logs go to stderr only,\n" +
			"stdout is the protocol) or over streamable HTTP with --http 127.0.0.1:PORT.\n\n" +
			"Tiers: --allow read (default) exposes read tools only (and sync, which writes only the\n" +
			"local state store); --allow write adds plan, apply, edit_code and guest start, shutdown,\n" +
			"reboot and snapshot; --allow destroy adds stop, rollback and plans that delete or replace\n" +
			"guests. Guests tagged protected are never stopped, replaced or destroyed through MCP.\n" +
			"--nodes, --tags and --vmids limit the guests it sees and acts on. Every call is journaled.\n\n" +
			"Privacy is on by default: names and addresses are replaced by the workspace's consistent\n" +
			"pseudonyms, and pseudonyms in tool inputs are mapped back. Outside a workspace a random\n" +
			"key for the session is used.\n\n" +
			"The HTTP transport requires a bearer token, from $" + TokenEnv + " or --token-file (mode 0600),\n" +
			"and listens on loopback addresses only unless --http-public.",
		Example: "  claude mcp add proxmox-mpc -- proxmox-mpc mcp\n" +
			"  proxmox-mpc mcp --allow write --tags lab\n" +
			"  PMC_MCP_TOKEN=$(openssl rand -hex 32) proxmox-mpc mcp --http 127.0.0.1:8765",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.Logger != nil {
				opts.Logger = f.Logger()
			}
			if _, err := opts.serverOptions(); err != nil {
				return cmdutil.FlagErrorf("%s", err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return mcpRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Allow, "allow", "read", "permission tier: read, write or destroy")
	fl.StringSliceVar(&opts.Nodes, "nodes", nil, "only guests on these nodes")
	fl.StringSliceVar(&opts.Tags, "tags", nil, "only guests with one of these tags")
	fl.StringSliceVar(&opts.VMIDs, "vmids", nil, "only these VMIDs")
	fl.StringVar(&opts.Privacy, "privacy", "on", "anonymize names and addresses: on or off")
	fl.StringVar(&opts.HTTP, "http", "", "serve streamable HTTP on HOST:PORT instead of stdio")
	fl.BoolVar(&opts.HTTPPublic, "http-public", false, "allow --http on a non-loopback address")
	fl.StringVar(&opts.TokenFile, "token-file", "", "file (mode 0600) holding the HTTP bearer token (default $"+TokenEnv+")")
	return cmd
}

// serverOptions checks the flags and turns them into mcp.Options.
func (o *Options) serverOptions() (mcp.Options, error) {
	tier, err := mcp.ParseTier(o.Allow)
	if err != nil {
		return mcp.Options{}, fmt.Errorf("--allow: %w", err)
	}
	so := mcp.Options{Allow: tier, Nodes: o.Nodes, Tags: o.Tags, Version: o.Version, Logger: o.Logger}
	so.VMIDs, err = parseVMIDs(o.VMIDs)
	if err != nil {
		return mcp.Options{}, err
	}
	switch strings.ToLower(o.Privacy) {
	case "on", "":
	case "off":
		so.NoPrivacy = true
	default:
		return mcp.Options{}, fmt.Errorf("--privacy must be on or off, not %q", o.Privacy)
	}
	if o.HTTP != "" {
		if err := mcp.CheckListenAddr(o.HTTP, o.HTTPPublic); err != nil {
			return mcp.Options{}, fmt.Errorf("--http: %w", err)
		}
	}
	return so, nil
}

func parseVMIDs(ss []string) ([]int, error) {
	var ids []int
	for _, s := range ss {
		id, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || id < 100 || id > 999999999 {
			return nil, fmt.Errorf("--vmids: %q is not a VMID (100-999999999)", s)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// TokenFileError is a token file that others may read.
type TokenFileError struct {
	Path string
	Mode os.FileMode
}

func (e *TokenFileError) Error() string {
	return fmt.Sprintf("token file %s has mode %04o: others may read it", e.Path, e.Mode.Perm())
}

// Hint says how to fix it.
func (e *TokenFileError) Hint() string { return "run `chmod 600 " + e.Path + "`" }

// ErrNoToken is --http without a token.
var ErrNoToken = errors.New("--http needs a bearer token: set " + TokenEnv + " or pass --token-file")

func (o *Options) token() (string, error) {
	if o.TokenFile != "" {
		fi, err := os.Stat(o.TokenFile)
		if err != nil {
			return "", fmt.Errorf("token file: %w", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return "", &TokenFileError{Path: o.TokenFile, Mode: fi.Mode()}
		}
		b, err := os.ReadFile(o.TokenFile)
		if err != nil {
			return "", fmt.Errorf("token file: %w", err)
		}
		if t := strings.TrimSpace(string(b)); t != "" {
			return t, nil
		}
		return "", fmt.Errorf("token file %s is empty", o.TokenFile)
	}
	if o.Getenv != nil {
		if t := strings.TrimSpace(o.Getenv(TokenEnv)); t != "" {
			return t, nil
		}
	}
	return "", ErrNoToken
}

func mcpRun(ctx context.Context, opts *Options) error {
	so, err := opts.serverOptions()
	if err != nil {
		return err
	}
	if so.Logger == nil {
		so.Logger = slog.New(slog.NewTextHandler(opts.IO.ErrOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	deps, err := opts.Deps(ctx)
	if err != nil {
		return fmt.Errorf("mcp server: %w", err)
	}
	srv := mcp.New(deps, so)
	if opts.HTTP == "" {
		t := &sdk.IOTransport{Reader: io.NopCloser(opts.IO.In), Writer: nopWriteCloser{opts.IO.Out}}
		if err := srv.Run(ctx, t); err != nil && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("mcp over stdio: %w", err)
		}
		return nil
	}
	return serveHTTP(ctx, opts, srv)
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

func serveHTTP(ctx context.Context, opts *Options, srv *mcp.Server) error {
	tok, err := opts.token()
	if err != nil {
		return err
	}
	h, err := srv.HTTPHandler(tok)
	if err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", opts.HTTP)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", opts.HTTP, err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(opts.IO.ErrOut, "MCP server on http://%s/ (bearer token required)\n", ln.Addr())
	if opts.Ready != nil {
		opts.Ready(ln.Addr().String())
	}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("mcp over http: %w", err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := hs.Shutdown(sctx); err != nil {
			return fmt.Errorf("stop mcp http server: %w", err)
		}
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("mcp over http: %w", err)
		}
		return nil
	}
}
