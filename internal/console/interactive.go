package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"

	"github.com/chzyer/readline"

	"github.com/proxmox-mpc/proxmox-mpc/internal/observe"
)

// runInteractive is the REPL on a terminal: readline for editing, history,
// Ctrl-R search and completion. Ctrl-C while typing clears the line;
// Ctrl-C while a command runs cancels that command's context (the console
// catches SIGINT for its whole life, so a Ctrl-C between two commands
// cannot kill it); Ctrl-D on an empty line, /exit or /quit leave with 0.
func (s *session) runInteractive(ctx context.Context) int {
	if ctx.Err() != nil {
		return exitInterrupted
	}
	histFile := s.opts.HistoryFile
	if histFile != "" {
		if err := ensureHistoryFile(histFile); err != nil {
			fmt.Fprintf(s.errOut, "Warning: the console history is not saved: %v\n", err)
			histFile = ""
		}
	}
	h, err := loadHistory(histFile)
	if err != nil {
		s.log.Warn("console history", observe.KeyErr, err)
	}
	s.hist = h

	raw := newRawMode(s.in)
	stdin := readline.NewCancelableStdin(s.in)
	var (
		resizeMu sync.Mutex
		onResize func()
	)
	cfg := &readline.Config{
		Prompt:                 s.opts.Prompt,
		HistoryFile:            histFile,
		HistoryLimit:           historyLimit,
		DisableAutoSaveHistory: true,
		HistorySearchFold:      true,
		AutoComplete:           &completer{s: s, ctx: ctx},
		Stdin:                  stdin,
		Stdout:                 s.out,
		Stderr:                 s.errOut,
		FuncGetWidth:           s.opts.IO.TerminalWidth,
		FuncIsTerminal:         s.opts.IO.IsStdoutTTY,
		FuncMakeRaw:            raw.enter,
		FuncExitRaw:            raw.exit,
		FuncOnWidthChanged: func(f func()) {
			resizeMu.Lock()
			defer resizeMu.Unlock()
			onResize = f
		},
	}
	rl, err := readline.NewEx(cfg)
	if err != nil {
		fmt.Fprintf(s.errOut, "start the line editor: %v\n", err)
		return exitError
	}
	closeRL := sync.OnceFunc(func() {
		// readline's Close does not close the CancelableStdin under its
		// own wrapper, and would wait forever for a pending read
		_ = stdin.Close()
		if err := rl.Close(); err != nil {
			s.log.Debug("close line editor", observe.KeyErr, err)
		}
	})
	if histFile != "" {
		// readline rewrites an over-long history file with mode 0666 less umask
		if err := os.Chmod(histFile, 0o600); err != nil {
			s.log.Warn("console history mode", observe.KeyErr, err)
		}
		s.persist = func(line string) {
			if err := rl.SaveHistory(line); err != nil {
				s.log.Warn("save console history", observe.KeyErr, err)
			}
		}
	}

	var (
		cmdMu     sync.Mutex
		cancelCmd context.CancelFunc
	)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, append([]os.Signal{os.Interrupt}, resizeSignals()...)...)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				// ends a waiting Readline with io.EOF; readline itself is
				// closed by the loop's goroutine (its Close races with its
				// own reader goroutine when called from elsewhere)
				_ = stdin.Close()
				return
			case sig := <-sigs:
				if sig == os.Interrupt {
					cmdMu.Lock()
					if cancelCmd != nil {
						cancelCmd()
					}
					cmdMu.Unlock()
					continue
				}
				resizeMu.Lock()
				f := onResize
				resizeMu.Unlock()
				if f != nil {
					f()
				}
			}
		}
	}()
	defer func() {
		close(done)
		wg.Wait()
		signal.Stop(sigs)
		closeRL()
	}()

	if s.opts.Welcome != "" {
		fmt.Fprintln(s.out, s.opts.Welcome)
	}
	for {
		if ctx.Err() != nil {
			return exitInterrupted
		}
		line, err := rl.Readline()
		if ctx.Err() != nil {
			return exitInterrupted
		}
		switch {
		case errors.Is(err, readline.ErrInterrupt):
			continue
		case errors.Is(err, io.EOF):
			return exitOK
		case err != nil:
			fmt.Fprintf(s.errOut, "read the command line: %v\n", err)
			return exitError
		}
		cmdCtx, cancel := context.WithCancel(ctx)
		cmdMu.Lock()
		cancelCmd = cancel
		cmdMu.Unlock()
		_, stop := s.handle(cmdCtx, line)
		cmdMu.Lock()
		cancelCmd = nil
		cmdMu.Unlock()
		cancel()
		if stop {
			return exitOK
		}
	}
}

// rawMode switches the terminal behind stdin in and out of raw mode for
// readline; it does nothing when stdin is not a file.
type rawMode struct {
	mu    sync.Mutex
	fd    int
	ok    bool
	state *readline.State
}

func newRawMode(in io.Reader) *rawMode {
	f, ok := in.(interface{ Fd() uintptr })
	if !ok {
		return &rawMode{}
	}
	return &rawMode{fd: int(f.Fd()), ok: true}
}

func (r *rawMode) enter() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.ok || r.state != nil {
		return nil
	}
	st, err := readline.MakeRaw(r.fd)
	if err != nil {
		return fmt.Errorf("terminal raw mode: %w", err)
	}
	r.state = st
	return nil
}

func (r *rawMode) exit() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.state == nil {
		return nil
	}
	st := r.state
	r.state = nil
	if err := readline.Restore(r.fd, st); err != nil {
		return fmt.Errorf("restore terminal mode: %w", err)
	}
	return nil
}
