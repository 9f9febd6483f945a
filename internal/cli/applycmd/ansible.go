package applycmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine/native"
	"github.com/proxmox-mpc/proxmox-mpc/internal/observe"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// JournalAnsible is the journal action of an after-apply playbook run;
// its target is the host list (comma-separated).
const JournalAnsible = "ansible-after-apply"

// PlaybookRunner runs argv[0] with the arguments argv[1:] in dir and calls
// line with each line of its output (stdout and stderr together), in
// order, from one goroutine at a time. Its error is the program's.
type PlaybookRunner func(ctx context.Context, dir string, argv []string, line func(string)) error

// AfterApply is what apply needs to run the workspace's after-apply
// playbook (engine.AfterApplyPlaybook) on the guests it created or
// changed.
type AfterApply struct {
	// Root returns the workspace's root folder.
	Root func(ctx context.Context) (string, error)
	// Synced returns the state store's guests (the last sync): the
	// inventory's host names are theirs.
	Synced func(ctx context.Context) ([]state.Guest, error)
	// LookPath finds a program on PATH (exec.LookPath).
	LookPath func(file string) (string, error)
	// Run runs the playbook (ExecRunner).
	Run PlaybookRunner
}

// afterApplyFrom is the Factory's workspace and state store as an
// AfterApply that runs the real ansible-playbook; nil when the Factory
// has neither.
func afterApplyFrom(f *cmdutil.Factory) *AfterApply {
	if f.CodeEditor == nil || f.StateStore == nil {
		return nil
	}
	return &AfterApply{
		Root: func(ctx context.Context) (string, error) {
			ed, err := f.CodeEditor(ctx)
			if err != nil {
				return "", err
			}
			return ed.Workspace.Root, nil
		},
		Synced: func(ctx context.Context) ([]state.Guest, error) {
			st, err := f.StateStore(ctx)
			if err != nil {
				return nil, err
			}
			return st.Guests(ctx, state.GuestFilter{})
		},
		LookPath: exec.LookPath,
		Run:      ExecRunner,
	}
}

// AfterApplyError says the after-apply playbook could not run or failed;
// the apply itself had finished.
type AfterApplyError struct {
	Hosts []string
	Err   error
}

func (e *AfterApplyError) Error() string {
	return fmt.Sprintf("the apply is done, but the after-apply playbook failed: %v", e.Err)
}

func (e *AfterApplyError) Unwrap() error { return e.Err }

// Hint says how to run it again.
func (e *AfterApplyError) Hint() string {
	if len(e.Hosts) == 0 {
		return "fix what the message says; `proxmox-mpc apply --no-ansible` skips the playbook"
	}
	limit, _ := engine.PlaybookLimit(e.Hosts)
	return "fix the playbook, then run it again in the workspace: " + engine.PlaybookBinary + " " + strings.Join(engine.PlaybookArgs(limit), " ")
}

// appliedFrom reports, by address, whether every step of a guest
// succeeded: no step of it failed or was left unstarted.
func appliedFrom(res native.Result) func(address string) bool {
	bad := map[string]bool{}
	for _, st := range res.Failed {
		bad[st.Address] = true
	}
	for _, st := range res.NotStarted {
		bad[st.Address] = true
	}
	return func(address string) bool { return !bad[address] }
}

// runAfterApply runs the after-apply playbook on the guests of plan that
// res created or changed, when the workspace has the playbook, --no-ansible
// is not given and ansible-playbook is on PATH. Its output goes to stderr
// line by line; the run goes to the journal. It returns an
// *AfterApplyError when the playbook could not run or failed.
func runAfterApply(ctx context.Context, opts *Options, plan engine.Plan, res native.Result) error {
	aa := opts.AfterApply
	if opts.NoAnsible || aa == nil || ctx.Err() != nil {
		return nil
	}
	w, cs := opts.IO.ErrOut, opts.IO.ColorScheme()
	root, err := aa.Root(ctx)
	if err != nil {
		return nil // no workspace, so no playbook
	}
	if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(engine.AfterApplyPlaybook))); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // the switch is off
		}
		return &AfterApplyError{Err: err}
	}
	bin, err := aa.LookPath(engine.PlaybookBinary)
	if err != nil {
		fmt.Fprintf(w, "%s %s is there, but %s is not on PATH: the playbook was not run (install ansible, or pass --no-ansible)\n",
			cs.WarningIcon(), engine.AfterApplyPlaybook, engine.PlaybookBinary)
		return nil
	}
	synced, err := aa.Synced(ctx)
	if err != nil {
		return &AfterApplyError{Err: fmt.Errorf("read the last sync: %w", err)}
	}
	inv, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(engine.AnsibleInventory)))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("%s is missing: run `proxmox-mpc sync` to write it", engine.AnsibleInventory)
		}
		return &AfterApplyError{Err: err}
	}
	known, err := engine.InventoryHosts(inv)
	if errors.Is(err, engine.ErrInventoryPatterns) {
		known, err = nil, nil // ansible expands them: leave the check to it
	}
	if err != nil {
		return &AfterApplyError{Err: err}
	}
	sel := engine.AfterApplyHosts(engine.PlaybookInput{Plan: plan, Applied: appliedFrom(res), Synced: synced, Inventory: known})
	for _, s := range sel.Skipped {
		fmt.Fprintf(w, "%s ansible: skipped %s (%s): %s\n", cs.WarningIcon(), s.Name, s.Address, s.Reason)
	}
	if len(sel.Hosts) == 0 {
		fmt.Fprintf(w, "ansible: no host to run %s on\n", engine.AfterApplyPlaybook)
		return nil
	}
	limit, fits := engine.PlaybookLimit(sel.Hosts)
	if !fits {
		path, err := limitFile(sel.Hosts)
		if err != nil {
			return &AfterApplyError{Hosts: sel.Hosts, Err: err}
		}
		defer func() { _ = os.Remove(path) }()
		limit = "@" + path
	}
	argv := append([]string{bin}, engine.PlaybookArgs(limit)...)
	fmt.Fprintf(w, "ansible: running %s on %d hosts: %s\n", engine.AfterApplyPlaybook, len(sel.Hosts), strings.Join(sel.Hosts, ", "))

	jctx := context.WithoutCancel(ctx)
	var journal Journal
	if opts.Journal != nil {
		if j, err := opts.Journal(ctx); err == nil {
			journal = j
		}
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	id, recorded := int64(0), false
	if journal != nil {
		op := state.Operation{StartedAt: start, Action: JournalAnsible, Target: strings.Join(sel.Hosts, ","),
			Params:  map[string]any{"playbook": engine.AfterApplyPlaybook, "hosts": len(sel.Hosts), "skipped": len(sel.Skipped)},
			Outcome: state.OutcomeRunning, CorrelationID: observe.CorrelationID(ctx)}
		if u, err := user.Current(); err == nil {
			op.OSUser = u.Username
		}
		if id, err = journal.RecordOperation(jctx, op); err == nil {
			recorded = true
		} else {
			fmt.Fprintf(w, "%s the journal could not record the playbook run: %v\n", cs.WarningIcon(), err)
		}
	}
	runErr := aa.Run(ctx, root, argv, func(line string) { fmt.Fprintln(w, line) })
	end := now()
	took := end.Sub(start)
	outcome, errText := native.OutcomeOK, ""
	if runErr != nil {
		outcome, errText = native.OutcomeFailed, runErr.Error()
		if ctx.Err() != nil {
			outcome = native.OutcomeInterrupted
		}
	}
	if recorded {
		if err := journal.FinishOperation(jctx, id, end, outcome, errText, ""); err != nil {
			fmt.Fprintf(w, "%s the journal could not record the playbook's outcome: %v\n", cs.WarningIcon(), err)
		}
	}
	if runErr != nil {
		fmt.Fprintf(w, "%s ansible: %s failed on %s (%.1fs): %v\n", cs.FailureIcon(), engine.AfterApplyPlaybook, strings.Join(sel.Hosts, ", "), took.Seconds(), runErr)
		return &AfterApplyError{Hosts: sel.Hosts, Err: fmt.Errorf("%s: %w", engine.PlaybookBinary, runErr)}
	}
	fmt.Fprintf(w, "%s ansible: %s done on %d hosts (%.1fs)\n", cs.SuccessIcon(), engine.AfterApplyPlaybook, len(sel.Hosts), took.Seconds())
	return nil
}

// limitFile writes hosts one a line to a temporary file for --limit @FILE.
func limitFile(hosts []string) (string, error) {
	f, err := os.CreateTemp("", "proxmox-mpc-limit-*.txt")
	if err != nil {
		return "", fmt.Errorf("write the host list: %w", err)
	}
	_, werr := io.WriteString(f, strings.Join(hosts, "\n")+"\n")
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		_ = os.Remove(f.Name())
		return "", fmt.Errorf("write the host list: %w", werr)
	}
	return f.Name(), nil
}

// ExecRunner is the PlaybookRunner that runs the program: output lines
// as they come (Python unbuffered), an interrupt on ctx's end, then a kill
// after ten seconds.
func ExecRunner(ctx context.Context, dir string, argv []string, line func(string)) error {
	if len(argv) == 0 {
		return errors.New("no program to run")
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...) //nolint:gosec // G204: the caller passes a program found by LookPath and fixed arguments
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PYTHONUNBUFFERED=1")
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		_ = pr.Close()
		return fmt.Errorf("start %s: %w", argv[0], err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			line(sc.Text())
		}
		_, _ = io.Copy(io.Discard, pr) // a line past 1 MiB: drain, so the program never blocks
	}()
	err := cmd.Wait()
	_ = pw.Close()
	<-done
	return err
}
