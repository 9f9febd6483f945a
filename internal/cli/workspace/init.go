// Package workspacecmd implements `proxmox-mpc init`: make a folder a
// workspace, asking on a terminal for what flags did not say.
package workspacecmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// InitOptions holds the inputs of init.
type InitOptions struct {
	IO *iostreams.IOStreams
	// Connect makes a Service for the settings of a (not yet written)
	// workspace config; the token comes from Auth, never from the config.
	Connect func(ctx context.Context, cfg workspace.Config) (*inventory.Service, error)
	// Fingerprint fetches the server certificate's fingerprint (TOFU).
	Fingerprint func(ctx context.Context, endpoint string) (string, error)
	Getenv      func(string) string

	Dir    string
	Config workspace.Config
	Yes    bool
	Force  bool
}

// NewCmdInit builds the command.
func NewCmdInit(f *cmdutil.Factory, runF func(context.Context, *InitOptions) error) *cobra.Command {
	opts := &InitOptions{
		IO:      f.IOStreams,
		Connect: f.Connect,
		Fingerprint: func(ctx context.Context, endpoint string) (string, error) {
			return inventory.ServerFingerprint(ctx, endpoint, 10*time.Second)
		},
		Getenv: os.Getenv,
	}
	c := &opts.Config
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Make this folder (or DIR) a proxmox-mpc workspace",
		Long: "init writes .proxmox-mpc/config.yaml (server, TLS pin, where the token comes from, default\n" +
			"node, storage and bridge), a .gitignore (state.db, logs, history, lock), a README.md when\n" +
			"there is none, and the terraform/, ansible/ and tests/ folders. Other files are kept.\n\n" +
			"On a terminal it asks for what the flags do not say: the endpoint, the auth (the NAME of the\n" +
			"environment variable holding the API token, or a 0600 secret file outside the folder), whether\n" +
			"to trust the server's certificate (its fingerprint is pinned), and the defaults, offered from\n" +
			"the server's own lists. With --yes, or without a terminal, it takes the certificate the server\n" +
			"presents (--yes only) and the first node, storage and bridge.\n\n" +
			"It never writes a secret into the folder and refuses to init inside another workspace.",
		Example: "  proxmox-mpc init\n" +
			"  proxmox-mpc init my-homelab --endpoint https://pve1:8006 --token-env PROXMOX_VE_API_TOKEN --yes\n" +
			"  proxmox-mpc init --endpoint https://pve1:8006 --fingerprint AA:BB:... --node pve1 --storage local-lvm --bridge vmbr0",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Dir = "."
			if len(args) == 1 {
				opts.Dir = args[0]
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return initRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&c.Name, "name", "", "workspace name (default: the folder's name)")
	fl.StringVar(&c.Endpoint, "endpoint", "", "Proxmox VE API URL, e.g. https://pve1:8006 (default: PROXMOX_VE_ENDPOINT)")
	fl.StringVar(&c.Context, "context", "", "use a named context of the user config instead of --endpoint")
	fl.StringVar(&c.Fingerprint, "fingerprint", "", "pin the server certificate by its SHA-256 fingerprint (AA:BB:...)")
	fl.BoolVar(&c.Insecure, "insecure", false, "skip TLS verification (prefer --fingerprint)")
	fl.StringVar(&c.CAFile, "ca-file", "", "PEM file of CA certificates to trust")
	fl.StringVar(&c.Auth.TokenEnv, "token-env", "", "NAME of the environment variable holding USER@REALM!ID=SECRET (default PROXMOX_VE_API_TOKEN)")
	fl.StringVar(&c.Auth.TokenID, "token-id", "", "API token id USER@REALM!ID; its secret is in --secret-file")
	fl.StringVar(&c.Auth.Username, "username", "", "user for ticket login, e.g. root@pam; the password is in --secret-file or PROXMOX_VE_PASSWORD")
	fl.StringVar(&c.Auth.SecretFile, "secret-file", "", "absolute path of a 0600 file OUTSIDE the workspace holding the token secret or password")
	fl.StringVar(&c.Defaults.Node, "node", "", "default node for new guests")
	fl.StringVar(&c.Defaults.Storage, "storage", "", "default storage for new disks")
	fl.StringVar(&c.Defaults.Bridge, "bridge", "", "default network bridge")
	fl.StringVar(&c.State.URL, "state-url", "", "shared state store postgres://USER@HOST/DB (default: .proxmox-mpc/state.db)")
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "trust the certificate the server presents and take the first node, storage and bridge without asking")
	fl.BoolVar(&opts.Force, "force", false, "rewrite the config of a folder that already is a workspace")
	return cmd
}

func initRun(ctx context.Context, opts *InitOptions) error {
	c := &opts.Config
	root, err := workspace.CanInit(opts.Dir, workspace.InitOptions{Force: opts.Force})
	if err != nil {
		return err
	}
	interactive := opts.IO.CanPrompt()
	p := newPrompter(opts.IO.In, opts.IO.ErrOut)
	getenv := opts.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if c.Name == "" {
		c.Name = workspace.NameFromDir(root)
	}
	if c.Endpoint == "" && c.Context == "" {
		def := getenv("PROXMOX_VE_ENDPOINT")
		if interactive {
			if c.Endpoint, err = askEndpoint(p, def); err != nil {
				return err
			}
		} else {
			c.Endpoint = def
		}
		if c.Endpoint == "" {
			return &cmdutil.FlagError{Err: &workspace.ConfigError{Field: "endpoint", Problem: "--endpoint or --context is required"}}
		}
	}
	if interactive && c.Auth == (workspace.Auth{}) && c.Context == "" {
		if err := askAuth(p, c); err != nil {
			return err
		}
	}
	if err := c.Validate(); err != nil {
		return cmdutil.FlagErrorWrap(err)
	}
	if c.Endpoint != "" && c.Fingerprint == "" && c.CAFile == "" && !c.Insecure && (opts.Yes || interactive) {
		if err := trustCertificate(ctx, opts, p, interactive); err != nil {
			return err
		}
	}
	if c.Defaults.Node == "" || c.Defaults.Storage == "" || c.Defaults.Bridge == "" {
		if err := chooseDefaults(ctx, opts, p, interactive && !opts.Yes); err != nil {
			return err
		}
	}
	w, res, err := workspace.InitWithResult(root, *c, workspace.InitOptions{Force: opts.Force})
	if err != nil {
		return err
	}
	cs := opts.IO.ColorScheme()
	out := opts.IO.Out
	fmt.Fprintf(out, "%s Initialized workspace %s in %s\n", cs.SuccessIcon(), w.Config.Name, w.Root)
	for _, f := range res.Created {
		fmt.Fprintf(out, "  created %s\n", f)
	}
	for _, f := range res.Updated {
		fmt.Fprintf(out, "  updated %s\n", f)
	}
	fmt.Fprintf(out, "Next: run `proxmox-mpc sync`\n")
	return nil
}

func askEndpoint(p *prompter, def string) (string, error) {
	for range maxTries {
		s, err := p.input("Proxmox VE endpoint (https://HOST:8006)", def)
		if err != nil {
			return "", err
		}
		if s == "" {
			continue
		}
		if !strings.Contains(s, "://") {
			s = "https://" + s
		}
		probe := workspace.Config{Name: "x", Endpoint: s}
		if err := probe.Validate(); err != nil {
			fmt.Fprintf(p.out, "  %v\n", err)
			continue
		}
		return s, nil
	}
	return "", &cmdutil.CancelError{Reason: "init cancelled: no valid endpoint"}
}

var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// askAuth asks where the token comes from. A token typed here is refused:
// it would end up in the terminal's scrollback and is never stored anyway.
func askAuth(p *prompter, c *workspace.Config) error {
	for range maxTries {
		s, err := p.input("API token: NAME of the environment variable holding it, or the path of a 0600 secret file", workspace.DefaultTokenEnv)
		if err != nil {
			return err
		}
		switch {
		case workspace.LooksSecretValue(s) || strings.Contains(s, "="):
			fmt.Fprintf(p.out, "  that looks like a token; it is never stored in the workspace. Export it (export %s='USER@REALM!ID=SECRET') and give the variable's NAME, or a secret file path\n", workspace.DefaultTokenEnv)
		case envNameRE.MatchString(s):
			if s != workspace.DefaultTokenEnv {
				c.Auth.TokenEnv = s
			}
			return nil
		default:
			path, err := filepath.Abs(s)
			if err != nil {
				return fmt.Errorf("secret file: %w", err)
			}
			id, err := p.input("Token id for that secret (USER@REALM!ID)", "")
			if err != nil {
				return err
			}
			c.Auth.TokenID, c.Auth.SecretFile = id, path
			return nil
		}
	}
	return &cmdutil.CancelError{Reason: "init cancelled: no token source given"}
}

func trustCertificate(ctx context.Context, opts *InitOptions, p *prompter, interactive bool) error {
	c := &opts.Config
	fp, err := opts.Fingerprint(ctx, c.Endpoint)
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "The server %s presents a certificate with SHA-256 fingerprint\n  %s\n", c.Endpoint, fp)
	if !opts.Yes && interactive {
		fmt.Fprintf(opts.IO.ErrOut, "Compare it with `pvenode cert info` on the node, or the GUI (node → System → Certificates).\n")
		ok, err := p.confirm("Trust this certificate?")
		if err != nil {
			return err
		}
		if !ok {
			return &cmdutil.CancelError{Reason: "init cancelled: certificate not trusted; pass --fingerprint or --ca-file to verify it another way"}
		}
	}
	c.Fingerprint = fp
	return nil
}

// chooseDefaults connects and fills the missing defaults from the
// server's lists: asking when ask is set, else taking the first.
func chooseDefaults(ctx context.Context, opts *InitOptions, p *prompter, ask bool) error {
	c := &opts.Config
	if opts.Connect == nil {
		return errors.New("connect to the server: not available")
	}
	svc, err := opts.Connect(ctx, *c)
	if err != nil {
		return &connectError{err: err}
	}
	pick := func(what string, options []string, target *string) error {
		if *target != "" {
			return nil
		}
		if len(options) == 0 {
			fmt.Fprintf(opts.IO.ErrOut, "%s no %s found on the server; leaving the default empty\n", opts.IO.ColorScheme().WarningIcon(), what)
			return nil
		}
		if !ask {
			*target = options[0]
			return nil
		}
		v, err := p.choose("Default "+what, options)
		*target = v
		return err
	}
	nodes, err := svc.NodeNames(ctx)
	if err != nil {
		return &connectError{err: err}
	}
	if err := pick("node", nodes, &c.Defaults.Node); err != nil {
		return err
	}
	if c.Defaults.Node == "" {
		return nil
	}
	ch, err := svc.NodeChoices(ctx, c.Defaults.Node)
	if err != nil {
		return &connectError{err: err}
	}
	if err := pick("storage (for VM disks)", ch.Storages, &c.Defaults.Storage); err != nil {
		return err
	}
	return pick("bridge", ch.Bridges, &c.Defaults.Bridge)
}

// connectError is a failure to read the server's lists; its hint falls
// back to the underlying error's.
type connectError struct{ err error }

func (e *connectError) Error() string { return "read defaults from the server: " + e.err.Error() }
func (e *connectError) Unwrap() error { return e.err }

// Detail says how to do without the server.
func (e *connectError) Detail() string {
	return "init reads the node, storage and bridge lists to offer defaults; pass --node, --storage and --bridge to init without connecting"
}
