// Package console is the interactive front end (REPL) of proxmox-mpc.
//
// It reads command lines — with line editing, persistent history, Ctrl-R
// search and tab completion when stdin is a terminal, plain lines
// otherwise — and runs each through an injected Executor, so every CLI
// command works in the console with the same flags and output. It never
// imports app or another front end.
//
// Exit codes of Run: in interactive mode 0 on /exit, /quit or Ctrl-D; in
// scripted mode (stdin not a terminal) 0 when every line succeeded and 1
// when any failed (a command's non-zero exit, an unknown command, free
// text or an unparsable line). Either mode returns 130 when ctx is
// cancelled.
//
// On a terminal the console handles SIGINT itself (os/signal.Notify for
// its whole run): Ctrl-C cancels only the running command's context. The
// caller's ctx must therefore not be cancelled by SIGINT (SIGTERM is fine),
// or the first Ctrl-C during a command ends the console.
package console

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
)

// Executor runs one command (args without the program name) through the
// full command tree, writing to stdout and stderr, and returns its exit
// code. It prints its own errors.
type Executor func(ctx context.Context, args []string, stdout, stderr io.Writer) int

// Options configure Run.
type Options struct {
	// IO gives the streams and tells whether stdin is a terminal.
	IO *iostreams.IOStreams
	// Exec runs a command line's args.
	Exec Executor
	// Commands returns the top-level command names (and aliases) for
	// completion and did-you-mean. It is called at most once, lazily.
	Commands func() []string
	// Complete completes flags and arguments after the command name; may be nil.
	Complete func(ctx context.Context, args []string, toComplete string) []string
	// HistoryFile is the persistent history (created 0600; its folder 0700).
	// Empty keeps history in memory only.
	HistoryFile string
	// Prompt is shown before each line on a terminal; default "proxmox-mpc> ".
	Prompt string
	// Welcome is printed once at start on a terminal.
	Welcome string
	// Logger receives debug records of the commands run; nil discards.
	Logger *slog.Logger
}

// Exit codes of Run.
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitInterrupted = 130
)

// defaultPrompt is used when Options.Prompt is empty.
const defaultPrompt = "proxmox-mpc> "

// Run runs the console until /exit, /quit, end of input or ctx is done.
func Run(ctx context.Context, opts Options) int {
	s := newSession(opts)
	if opts.IO.IsStdinTTY() {
		return s.runInteractive(ctx)
	}
	return s.runScripted(ctx)
}

// session is one console run.
type session struct {
	opts     Options
	in       io.Reader
	out      io.Writer
	errOut   io.Writer
	log      *slog.Logger
	hist     *history
	persist  func(line string) // saves a line to the history file; nil in scripted mode
	commands func() []string
}

func newSession(opts Options) *session {
	if opts.Prompt == "" {
		opts.Prompt = defaultPrompt
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &session{opts: opts, in: opts.IO.In, out: opts.IO.Out, errOut: opts.IO.ErrOut, log: log}
	list := opts.Commands
	if list == nil {
		list = func() []string { return nil }
	}
	s.commands = sync.OnceValue(list)
	return s
}

// handle runs one line and reports its exit code and whether the console
// should stop.
func (s *session) handle(ctx context.Context, line string) (code int, stop bool) {
	a := s.parse(line)
	if a.kind == actSkip {
		return exitOK, false
	}
	s.hist.add(line)
	if s.persist != nil {
		s.persist(strings.TrimSpace(line))
	}
	switch a.kind {
	case actExit:
		return exitOK, true
	case actHistory:
		s.hist.print(s.out)
		return exitOK, false
	case actClear:
		if s.opts.IO.IsStdoutTTY() {
			fmt.Fprint(s.out, "\x1b[H\x1b[2J")
		}
		return exitOK, false
	case actMessage:
		fmt.Fprintln(s.errOut, a.msg)
		return exitUsage, false
	case actExec:
		s.log.Debug("console command", "args", len(a.args), "command", a.args[0])
		code := s.opts.Exec(ctx, a.args, s.out, s.errOut)
		s.log.Debug("console command done", "command", a.args[0], "exit_code", code)
		if a.consoleHelp && code == exitOK {
			printConsoleHelp(s.out)
		}
		return code, false
	}
	return exitOK, false
}

func printConsoleHelp(w io.Writer) {
	fmt.Fprint(w, "\nConsole:\n"+
		"  /init, /sync, /status, /context list|use NAME   workspace verbs (the same commands without the slash)\n"+
		"  /help [COMMAND]   help for a command\n"+
		"  /history          the lines typed in this console\n"+
		"  /clear            clear the screen\n"+
		"  /exit, /quit      leave (or Ctrl-D); Ctrl-C cancels the running command\n")
}
