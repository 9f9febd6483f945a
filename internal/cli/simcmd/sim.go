// Package simcmd implements `proxmox-mpc sim`, which serves the built-in
// Proxmox VE simulator over HTTPS for tests, demos and other tools.
package simcmd

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/observe"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
)

// Options holds the inputs of sim.
type Options struct {
	IO     *iostreams.IOStreams
	Logger *slog.Logger
	Now    func() time.Time

	Listen       string
	Scenario     string
	Nodes        int
	Guests       int
	Seed         int64
	Tokens       []string
	Passwords    []string
	Latency      time.Duration
	Jitter       time.Duration
	FailRate     float64
	ResetRate    float64
	TaskFailRate float64
	TaskDuration time.Duration
	// Ready, when set, receives the bound address once serving (tests).
	Ready chan<- string
}

// NewCmdSim builds the command.
func NewCmdSim(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Serve a simulated Proxmox VE cluster over HTTPS (real /api2/json paths)",
		Long: "sim serves an in-memory Proxmox VE cluster on the real API paths, with a self-signed\n" +
			"certificate made at start. It prints the endpoint, the certificate's SHA-256 fingerprint and\n" +
			"export lines to paste. Auth is enforced: API tokens (--token) and ticket login (--password).\n" +
			"Without either, a random token is made and printed. Stop it with Ctrl-C.",
		Example: "  proxmox-mpc sim --listen 127.0.0.1:18006 --token 'root@pam!ci=s3cret'\n" +
			"  proxmox-mpc sim --scenario large --nodes 20 --guests 10000\n" +
			"  proxmox-mpc sim --latency 2ms --jitter 1ms --fail-rate 0.05 --task-fail-rate 0.1",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Logger = f.Logger().With(observe.KeySubsys, "sim")
			if err := opts.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return simRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Listen, "listen", "127.0.0.1:8006", "address to listen on")
	fl.StringVar(&opts.Scenario, "scenario", "homelab", "cluster to simulate: homelab or large")
	fl.IntVar(&opts.Nodes, "nodes", 0, "number of nodes (scenario large; default 3)")
	fl.IntVar(&opts.Guests, "guests", 0, "number of guests (scenario large; default 100)")
	fl.Int64Var(&opts.Seed, "seed", 1, "seed of the deterministic generator and fault injection")
	fl.StringArrayVar(&opts.Tokens, "token", nil, "accept this API token USER@REALM!TOKENID=SECRET (repeatable)")
	fl.StringArrayVar(&opts.Passwords, "password", nil, "accept ticket login USER@REALM:PASSWORD (repeatable)")
	fl.DurationVar(&opts.Latency, "latency", 0, "added latency per request")
	fl.DurationVar(&opts.Jitter, "jitter", 0, "random extra latency up to this much")
	fl.Float64Var(&opts.FailRate, "fail-rate", 0, "fraction of requests answered with a 5xx error")
	fl.Float64Var(&opts.ResetRate, "reset-rate", 0, "fraction of connections reset without an answer")
	fl.Float64Var(&opts.TaskFailRate, "task-fail-rate", 0, "fraction of tasks that end in an error")
	fl.DurationVar(&opts.TaskDuration, "task-duration", 0, "simulated run time of each task (default 300ms)")
	_ = cmd.RegisterFlagCompletionFunc("scenario", cobra.FixedCompletions([]string{"homelab", "large"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (o *Options) validate() error {
	for _, r := range []struct {
		name string
		v    float64
	}{{"--fail-rate", o.FailRate}, {"--reset-rate", o.ResetRate}, {"--task-fail-rate", o.TaskFailRate}} {
		if r.v < 0 || r.v > 1 {
			return cmdutil.FlagErrorf("%s must be between 0 and 1, got %g", r.name, r.v)
		}
	}
	if o.Scenario != "homelab" && o.Scenario != "large" {
		return cmdutil.FlagErrorf("unknown --scenario %q: use homelab or large", o.Scenario)
	}
	if o.Scenario == "homelab" && (o.Nodes != 0 || o.Guests != 0) {
		return cmdutil.FlagErrorf("--nodes and --guests apply to --scenario large")
	}
	for _, t := range o.Tokens {
		id, secret, ok := cutLast(t, "=")
		if !ok || secret == "" || !strings.Contains(id, "@") || !strings.Contains(id, "!") {
			return cmdutil.FlagErrorf("--token must look like USER@REALM!TOKENID=SECRET")
		}
	}
	for _, p := range o.Passwords {
		user, pass, ok := strings.Cut(p, ":")
		if !ok || pass == "" || !strings.Contains(user, "@") {
			return cmdutil.FlagErrorf("--password must look like USER@REALM:PASSWORD")
		}
	}
	return nil
}

func cutLast(s, sep string) (string, string, bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

func simRun(ctx context.Context, opts *Options) error {
	users := map[string]string{}
	for _, p := range opts.Passwords {
		u, pw, _ := strings.Cut(p, ":")
		users[u] = pw
	}
	tokens := opts.Tokens
	generated := ""
	if len(tokens) == 0 && len(users) == 0 {
		generated = "root@pam!sim=" + rand.Text()
		tokens = []string{generated}
	}
	sim, err := pvesim.New(pvesim.Options{
		Scenario: opts.Scenario, Nodes: opts.Nodes, Guests: opts.Guests, Seed: opts.Seed,
		Tokens: tokens, Users: users,
		Latency: opts.Latency, Jitter: opts.Jitter,
		FailRate: opts.FailRate, ResetRate: opts.ResetRate, TaskFailRate: opts.TaskFailRate,
		TaskDuration: opts.TaskDuration, Logger: opts.Logger,
	})
	if err != nil {
		return cmdutil.FlagErrorf("%v", err)
	}
	host, _, err := net.SplitHostPort(opts.Listen)
	if err != nil {
		return cmdutil.FlagErrorf("invalid --listen %q: %v", opts.Listen, err)
	}
	cert, fp, err := pvesim.SelfSignedCert([]string{host}, opts.Now())
	if err != nil {
		return fmt.Errorf("make certificate: %w", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", opts.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", opts.Listen, err)
	}
	srv := &http.Server{
		Handler:           sim,
		ReadHeaderTimeout: 10 * time.Second,
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ErrorLog:          slog.NewLogLogger(opts.Logger.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return ctx },
		// HTTP/1.1 only, like pveproxy: PVE puts its error text in the status line
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}
	addr := ln.Addr().String()
	endpoint := "https://" + addr
	w := opts.IO.Out
	cs := opts.IO.ColorScheme()
	fmt.Fprintf(w, "%s Simulated Proxmox VE (%s scenario) listening on %s\n", cs.SuccessIcon(), opts.Scenario, endpoint)
	fmt.Fprintf(w, "  Certificate SHA-256 fingerprint: %s\n\n", fp)
	fmt.Fprintf(w, "export PROXMOX_VE_ENDPOINT=%s\n", endpoint)
	switch {
	case len(tokens) > 0:
		fmt.Fprintf(w, "export PROXMOX_VE_API_TOKEN='%s'\n", tokens[0])
	default:
		u, pw, _ := strings.Cut(opts.Passwords[0], ":")
		fmt.Fprintf(w, "export PROXMOX_VE_USERNAME='%s' PROXMOX_VE_PASSWORD='%s'\n", u, pw)
	}
	fmt.Fprintf(w, "proxmox-mpc test-connection --fingerprint %s\n", fp)
	if generated != "" {
		fmt.Fprintln(opts.IO.ErrOut, "(no --token or --password given: a random token was made for this run)")
	}
	if opts.Ready != nil {
		opts.Ready <- addr
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(ln, "", "") }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	fmt.Fprintln(opts.IO.ErrOut, "Simulator stopped.")
	return nil
}
