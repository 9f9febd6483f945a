package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/console"
	"github.com/proxmox-mpc/proxmox-mpc/internal/observe"
	"github.com/proxmox-mpc/proxmox-mpc/internal/userconfig"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// lineChangesSession lists the commands after which the console drops its
// cached names (and connection, outside the demo): they change what the
// state or the connection says.
var lineChangesSession = map[string]bool{
	"sync": true, "init": true, "context": true, "create": true, "delete": true, "clone": true, "migrate": true, "set": true,
}

// runConsole is `proxmox-mpc` with no command: the interactive console on
// a terminal, line-by-line commands otherwise. The global flags given at
// start (startArgs) apply to every line, and one Factory serves the whole
// session, so the --demo simulator and the state store persist between
// lines.
func runConsole(ctx context.Context, f *cmdutil.Factory, g *globalOptions, env Env, startArgs []string) error {
	g.inConsole = true
	exec := func(ctx context.Context, args []string, stdout, stderr io.Writer) int {
		code := runLine(ctx, f, g, env, append(slices.Clone(startArgs), args...), stdout, stderr)
		if len(args) > 0 && lineChangesSession[args[0]] {
			f.Forget()
		}
		return code
	}
	complete := func(ctx context.Context, args []string, toComplete string) []string {
		var out bytes.Buffer
		line := append(append(append(slices.Clone(startArgs), "__complete"), args...), toComplete)
		runLine(ctx, f, g, env, line, &out, io.Discard)
		var comps []string
		for _, l := range strings.Split(out.String(), "\n") {
			if l == "" || strings.HasPrefix(l, ":") || strings.HasPrefix(l, "Completion ended") {
				continue
			}
			name, _, _ := strings.Cut(l, "\t")
			comps = append(comps, name)
		}
		return comps
	}
	commands := func() []string {
		root := NewRootCmd(f, &globalOptions{}, env)
		var names []string
		for _, c := range root.Commands() {
			if c.Hidden || c.Name() == "completion" {
				continue
			}
			names = append(names, c.Name())
			names = append(names, c.Aliases...)
		}
		return names
	}
	prompt, welcome, history := consoleLook(f, g, env)
	if f.IOStreams.IsStdinTTY() {
		// On a terminal the console handles Ctrl-C itself and cancels only
		// the running line; Main's SIGINT handler would end the session.
		// SIGTERM still cancels ctx.
		signal.Reset(os.Interrupt)
	}
	// Load the completion names while the person reads the prompt, so the
	// first Tab does not wait for 10,000 rows from the store.
	// The store is opened here, before any line re-parses the flags; the
	// goroutine only reads through the opened service.
	var prefetch sync.WaitGroup
	pctx, stopPrefetch := context.WithCancel(ctx)
	if svc, err := f.StateInventory(ctx); err == nil {
		names := g.names
		prefetch.Go(func() {
			for _, kind := range []string{"vms", "nodes"} {
				if pctx.Err() != nil {
					return
				}
				names.load(pctx, svc, kind)
			}
		})
	}
	defer func() {
		stopPrefetch()
		prefetch.Wait()
	}()
	code := console.Run(ctx, console.Options{
		IO:          f.IOStreams,
		Exec:        exec,
		Commands:    commands,
		Complete:    complete,
		HistoryFile: history,
		Prompt:      prompt,
		Welcome:     welcome,
		Logger:      f.Logger().With(observe.KeySubsys, "console"),
	})
	if code != 0 {
		return &cmdutil.ExitError{Code: code, Err: cmdutil.ErrSilent}
	}
	return nil
}

// runLine executes one console line through a fresh command tree that
// shares the session's Factory.
func runLine(ctx context.Context, f *cmdutil.Factory, g *globalOptions, env Env, args []string, stdout, stderr io.Writer) int {
	ctx = observe.WithCorrelation(ctx, observe.NewCorrelationID())
	ios := *f.IOStreams
	ios.Out, ios.ErrOut = stdout, stderr
	lf := *f
	lf.IOStreams = &ios
	root := NewRootCmd(&lf, g, env)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if g.release != nil {
		if rerr := g.release(); rerr != nil {
			f.Logger().Warn("release workspace lock", observe.KeyErr, rerr)
		}
		g.release = nil
	}
	if err == nil {
		return ExitOK
	}
	logFailure(ctx, f, g, cmd, err)
	return handleError(&ios, cmd, err, ctx, g)
}

// consoleLook is the prompt, the welcome line and the history file.
func consoleLook(f *cmdutil.Factory, g *globalOptions, env Env) (prompt, welcome, history string) {
	prompt = "proxmox-mpc> "
	where := "no workspace here: /init creates one, --demo tries the built-in simulator"
	if cwd, err := os.Getwd(); err == nil {
		if ws, err := workspace.Open(cwd); err == nil {
			label := ws.Config.Name
			target := ws.Config.Endpoint
			if ws.Config.Context != "" {
				label += "@" + ws.Config.Context
				target = "context " + ws.Config.Context
			}
			prompt = "proxmox-mpc [" + label + "]> "
			where = "workspace " + ws.Config.Name + " (" + target + ")"
			history = ws.HistoryPath()
		} else {
			var nf *workspace.NotFoundError
			if !errors.As(err, &nf) {
				where = "workspace unreadable: " + err.Error()
			}
		}
	}
	if g.Demo {
		prompt = "proxmox-mpc [demo]> "
		where = "demo simulator (in-process homelab)"
	} else if g.Context != "" {
		prompt = "proxmox-mpc [" + g.Context + "]> "
	}
	if history == "" {
		if dir, err := userconfig.DirFromEnv(userconfig.Getenv(env)); err == nil {
			history = filepath.Join(dir, "history")
		}
	}
	welcome = fmt.Sprintf("proxmox-mpc %s — %s. Type /help for commands, /sync to read the cluster, /exit to leave.", f.Build.Version, where)
	return prompt, welcome, history
}

// consoleRunE starts the console when the root command gets no command.
func consoleRunE(f *cmdutil.Factory, g *globalOptions, env Env, startArgs func() []string) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if g.inConsole {
			return cmd.Help()
		}
		return runConsole(cmd.Context(), f, g, env, startArgs())
	}
}
