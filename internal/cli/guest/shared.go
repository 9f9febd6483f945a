// Package guest implements the operational guest verbs: start, stop,
// shutdown, reboot, suspend, resume, snapshot, delete, clone, migrate, set
// and create. The commands
// resolve names through inventory, confirm through iostreams and hand the
// work to the lifecycle service.
package guest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/codegen"
	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/lifecycle"
)

// Deps are what the guest commands need from the Factory.
type Deps struct {
	IO        *iostreams.IOStreams
	Inventory func(context.Context) (*inventory.Service, error)
	Lifecycle func(context.Context) (*lifecycle.Service, error)
	Output    func() cmdutil.OutputOptions
	// Code is the workspace's code editor (create, set and delete edit the
	// code inside a workspace); *workspace.NotFoundError outside one.
	Code func(context.Context) (*codegen.Editor, error)
}

func depsOf(f *cmdutil.Factory, lc func(context.Context) (*lifecycle.Service, error)) Deps {
	return Deps{IO: f.IOStreams, Inventory: f.Inventory, Lifecycle: lc, Output: f.Output, Code: f.CodeEditor}
}

// kinds maps the accepted spellings of a guest type.
var kinds = map[string]string{
	"vm": inventory.TypeVM, "vms": inventory.TypeVM, "qemu": inventory.TypeVM,
	"ct": inventory.TypeCT, "cts": inventory.TypeCT, "container": inventory.TypeCT, "containers": inventory.TypeCT, "lxc": inventory.TypeCT,
}

func parseKind(s string) (string, error) {
	if k, ok := kinds[strings.ToLower(s)]; ok {
		return k, nil
	}
	return "", cmdutil.FlagErrorf("unknown guest type %q: use vm or ct", s)
}

// selection picks guests by names, a selector or --all.
type selection struct {
	Kind     string
	Names    []string
	Selector string
	All      bool
}

func addSelectionFlags(cmd *cobra.Command, s *selection, all bool) {
	cmd.Flags().StringVarP(&s.Selector, "selector", "l", "", "act on guests matching a selector, e.g. tag=web,node=pve1")
	if all {
		cmd.Flags().BoolVar(&s.All, "all", false, "act on every guest of the type")
	}
}

func (s selection) validate() error {
	switch {
	case s.All && len(s.Names) > 0:
		return cmdutil.FlagErrorf("--all cannot be combined with names")
	case !s.All && len(s.Names) == 0 && s.Selector == "":
		return cmdutil.FlagErrorf("name at least one guest, or pass -l SELECTOR or --all")
	}
	return nil
}

// resolve returns the selected guests (names resolve strictly: an unknown
// name is an error before anything happens).
func (s selection) resolve(ctx context.Context, inv *inventory.Service) ([]inventory.Guest, error) {
	q := inventory.GuestQuery{Type: s.Kind, Names: s.Names}
	if s.Selector != "" {
		sel, err := inventory.ParseSelector(s.Selector, inventory.GuestSelectorKeys())
		if err != nil {
			return nil, err
		}
		q.Selector = sel
	}
	gs, err := inv.Guests(ctx, q)
	if err != nil {
		return nil, err
	}
	// a name given twice acts once
	seen := map[int]bool{}
	out := gs[:0:0]
	for _, g := range gs {
		if !seen[g.VMID] {
			seen[g.VMID] = true
			out = append(out, g)
		}
	}
	return out, nil
}

// ConfirmRequiredError is a destructive verb run without a terminal and
// without --yes.
type ConfirmRequiredError struct {
	What string
}

func (e *ConfirmRequiredError) Error() string {
	return e.What + " needs confirmation, and there is no terminal to ask on"
}

// Hint says how to confirm in scripts.
func (e *ConfirmRequiredError) Hint() string { return "pass --yes to confirm non-interactively" }

// Unwrap makes it a usage error (exit code 2).
func (e *ConfirmRequiredError) Unwrap() error { return &cmdutil.FlagError{Err: errors.New(e.Error())} }

// prompter asks questions on the terminal.
type prompter struct {
	io *iostreams.IOStreams
	r  *bufio.Reader
}

func newPrompter(ios *iostreams.IOStreams) *prompter {
	return &prompter{io: ios, r: bufio.NewReader(ios.In)}
}

func (p *prompter) line(question string) (string, error) {
	fmt.Fprint(p.io.ErrOut, question)
	s, err := p.r.ReadString('\n')
	if err != nil && (!errors.Is(err, io.EOF) || s == "") {
		fmt.Fprintln(p.io.ErrOut)
		return "", &cmdutil.CancelError{Reason: "cancelled: no answer"}
	}
	return strings.TrimSpace(s), nil
}

// confirm asks y/N; yes skips the question; without a terminal it needs yes.
func confirm(ios *iostreams.IOStreams, yes bool, what, question string) error {
	if yes {
		return nil
	}
	if !ios.CanPrompt() {
		return &ConfirmRequiredError{What: what}
	}
	ans, err := newPrompter(ios).line(question + " [y/N] ")
	if err != nil {
		return err
	}
	switch strings.ToLower(ans) {
	case "y", "yes":
		return nil
	}
	return &cmdutil.CancelError{Reason: what + " cancelled"}
}

// confirmCount makes the user type how many guests a batch touches.
func confirmCount(ios *iostreams.IOStreams, yes bool, what string, n int) error {
	if yes {
		return nil
	}
	if !ios.CanPrompt() {
		return &ConfirmRequiredError{What: what}
	}
	ans, err := newPrompter(ios).line(fmt.Sprintf("Type the number of guests to %s (%d) to confirm: ", what, n))
	if err != nil {
		return err
	}
	if ans != strconv.Itoa(n) {
		return &cmdutil.CancelError{Reason: fmt.Sprintf("%s cancelled: expected %d, got %q", what, n, ans)}
	}
	return nil
}

// usage turns lifecycle's input errors into usage errors (exit code 2);
// other errors pass unchanged.
func usage(err error) error {
	var ve *lifecycle.ValidationError
	var pe *lifecycle.ProtectedError
	var re *lifecycle.RunningError
	if errors.As(err, &ve) || errors.As(err, &pe) || errors.As(err, &re) {
		return &cmdutil.FlagError{Err: err}
	}
	return err
}

// printNotices writes warnings and skips to stderr.
func printNotices(ios *iostreams.IOStreams, p lifecycle.Plan) {
	cs := ios.ColorScheme()
	for _, n := range p.Warnings {
		fmt.Fprintf(ios.ErrOut, "%s %s %s\n", cs.Yellow("Warning:"), lifecycle.Label(n.Guest), n.Message)
	}
	for _, n := range p.Skipped {
		fmt.Fprintf(ios.ErrOut, "%s %s %s; skipped\n", cs.Gray("-"), lifecycle.Label(n.Guest), n.Message)
	}
}

// callView is the JSON form of a planned call.
type callView struct {
	Method string            `json:"method"`
	Path   string            `json:"path"`
	Params map[string]string `json:"params"`
}

// printDryRun prints the calls a plan would make and makes none.
func printDryRun(ios *iostreams.IOStreams, out cmdutil.OutputOptions, p lifecycle.Plan) error {
	calls := p.Calls()
	views := make([]callView, len(calls))
	for i, c := range calls {
		views[i] = callView{Method: c.Method, Path: c.Path, Params: c.MaskedParams()}
	}
	return cmdutil.PrintObject(ios, out, views, func(w io.Writer, cs *iostreams.ColorScheme) error {
		if len(calls) == 0 {
			fmt.Fprintln(w, "Dry run: nothing to do (no API calls).")
			return nil
		}
		fmt.Fprintf(w, "Dry run: %d API call(s) would be made:\n", len(calls))
		for _, c := range calls {
			fmt.Fprintln(w, "  "+c.String())
		}
		return nil
	})
}

// resultView is the JSON form of a step's result.
type resultView struct {
	Action  string   `json:"action"`
	Target  string   `json:"target"`
	Name    string   `json:"name"`
	Node    string   `json:"node"`
	UPID    string   `json:"upid"`
	Outcome string   `json:"outcome"`
	Error   string   `json:"error"`
	LogTail []string `json:"log_tail"`
}

// execute runs a plan with progress on stderr and results on stdout.
func execute(ctx context.Context, d Deps, svc *lifecycle.Service, p lifecycle.Plan, opt lifecycle.ExecOptions) error {
	out := d.Output()
	pr := newProgress(d.IO, !out.IsStructured())
	results := svc.Execute(ctx, p, opt, pr.event)
	if out.IsStructured() {
		views := make([]resultView, len(results))
		for i, r := range results {
			views[i] = resultView{Action: r.Step.Action, Target: r.Step.Target(), Name: r.Step.Guest.Name, Node: r.Step.Guest.Node, UPID: r.UPID, Outcome: r.Outcome, LogTail: r.LogTail}
			if views[i].LogTail == nil {
				views[i].LogTail = []string{}
			}
			if r.Err != nil {
				views[i].Error = r.Err.Error()
			}
		}
		if err := cmdutil.PrintObject(d.IO, out, views, nil); err != nil {
			return err
		}
	}
	return results.Err()
}

// spinnerFrames animate the progress line on a terminal.
var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// progress renders lifecycle events: a spinner line on a terminal
// (stderr), plain lines otherwise; final status lines go to stdout.
type progress struct {
	io    *iostreams.IOStreams
	human bool
	tty   bool
	frame int
	start time.Time
}

func newProgress(ios *iostreams.IOStreams, human bool) *progress {
	return &progress{io: ios, human: human, tty: ios.IsStderrTTY()}
}

func describe(st lifecycle.Step) string {
	return st.Action + " " + lifecycle.Label(st.Guest)
}

func (p *progress) event(ev lifecycle.Event) {
	cs := p.io.ColorScheme()
	switch ev.Kind {
	case lifecycle.EventStarted:
		p.start = time.Now()
		p.frame = 0
		if p.tty {
			fmt.Fprintf(p.io.ErrOut, "\r\x1b[K%s %s…", spinnerFrames[0], describe(ev.Step))
		} else if p.human {
			fmt.Fprintf(p.io.ErrOut, "%s on %s…\n", describe(ev.Step), ev.Step.Guest.Node)
		}
	case lifecycle.EventProgress:
		if p.tty {
			p.frame = (p.frame + 1) % len(spinnerFrames)
			fmt.Fprintf(p.io.ErrOut, "\r\x1b[K%s %s: %s (%s)", spinnerFrames[p.frame], describe(ev.Step), ev.Task.Status, time.Since(p.start).Round(time.Second))
		}
	case lifecycle.EventDone:
		if p.tty {
			fmt.Fprint(p.io.ErrOut, "\r\x1b[K")
		}
		if !p.human {
			return
		}
		r := ev.Result
		switch r.Outcome {
		case lifecycle.OutcomeOK:
			fmt.Fprintf(p.io.Out, "%s %s: OK\n", cs.SuccessIcon(), describe(ev.Step))
		case lifecycle.OutcomeStarted:
			fmt.Fprintf(p.io.Out, "%s %s: started (task %s)\n", cs.SuccessIcon(), describe(ev.Step), r.UPID)
		default:
			fmt.Fprintf(p.io.ErrOut, "%s %s: %s\n", cs.FailureIcon(), describe(ev.Step), r.Outcome)
			for _, l := range r.LogTail {
				fmt.Fprintf(p.io.ErrOut, "    %s %s\n", cs.Gray("|"), l)
			}
		}
	}
}
