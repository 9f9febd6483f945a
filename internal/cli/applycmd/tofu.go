package applycmd

import (
	"context"
	"fmt"
	"io"
	"os/user"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cli/plancmd"
	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine/native"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine/tofu"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/terraform"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/observe"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// Journal is the operations journal the tofu engine's results go to (the
// state store).
type Journal interface {
	RecordOperation(ctx context.Context, op state.Operation) (int64, error)
	FinishOperation(ctx context.Context, id int64, finishedAt time.Time, outcome, errText, upid string) error
}

var _ Journal = (state.Store)(nil)

// JournalAction is the journal action of a resource operation of tofu:
// "tofu-apply-create", "tofu-apply-update", "tofu-apply-delete"...
func JournalAction(action string) string { return "tofu-apply-" + action }

// journalFrom is the Factory's state store as a Journal.
func journalFrom(f *cmdutil.Factory) func(ctx context.Context) (Journal, error) {
	if f.StateStore == nil {
		return nil
	}
	return func(ctx context.Context) (Journal, error) {
		st, err := f.StateStore(ctx)
		if err != nil {
			return nil, err
		}
		return st, nil
	}
}

// tofuApplyRun is apply with tofu or terraform: plan into sel.PlanFile,
// show it, confirm, apply exactly that file.
func tofuApplyRun(ctx context.Context, opts *Options, sel plancmd.Selected) error {
	switch {
	case opts.PlanFile != "":
		return cmdutil.FlagErrorf("%s is a plan of the native engine: apply it with --engine native", opts.PlanFile)
	case opts.SnapshotBefore:
		return cmdutil.FlagErrorf("--snapshot-before works with the native engine only (--engine native)")
	}
	cs := opts.IO.ColorScheme()
	changes, events, err := sel.Tofu.Plan(ctx, sel.PlanFile)
	plancmd.WriteTofuWarnings(opts.IO.ErrOut, cs, events)
	if err != nil {
		return err
	}
	s := plancmd.SummarizeTofu(events)
	plancmd.RenderTofu(opts.IO.Out, sel.Name, s, cs)
	if !changes && s.Empty() {
		return nil
	}
	if !opts.AllowDataLoss {
		for _, c := range s.Changes {
			if c.Action == "replace" {
				return &cmdutil.FlagError{Err: fmt.Errorf("the plan replaces %s, which destroys its disks: nothing was applied (pass --allow-data-loss to apply it)", c.Address)}
			}
		}
	}
	if err := confirm(opts.IO, opts.Yes); err != nil {
		return err
	}
	targets := map[string]string{}
	if in, err := opts.Source(ctx, false); err == nil && in.Code != nil {
		targets = guestTargets(in.Code.Guests)
	}
	rec := newRecorder(ctx, opts, sel.Name, targets)
	start := opts.Now()
	err = sel.Tofu.Apply(ctx, sel.PlanFile, rec.progress(ctx))
	rec.close(ctx, err)
	rec.summarize(opts.IO.Out, "Apply", opts.Now().Sub(start), err)
	return err
}

// guestTargets maps the code's resource addresses to journal targets
// (vm/101, ct/200).
func guestTargets(guests []terraform.Guest) map[string]string {
	m := make(map[string]string, len(guests))
	for _, g := range guests {
		m[g.Address] = string(g.Kind) + "/" + strconv.Itoa(g.VMID)
	}
	return m
}

// addressTarget is the journal target of an address the code does not
// map: vm/NAME or ct/NAME for the bpg guest resources, else the address.
func addressTarget(address string) string {
	typ, name, ok := strings.Cut(address, ".")
	if !ok || strings.Contains(name, ".") {
		return address
	}
	switch typ {
	case "proxmox_virtual_environment_vm":
		return "vm/" + name
	case "proxmox_virtual_environment_container":
		return "ct/" + name
	}
	return address
}

// recorder turns tofu's apply_* events into progress lines (as the native
// engine prints them) and journal entries: one per resource operation,
// recorded at apply_start and finished at apply_complete or apply_errored.
type recorder struct {
	w       io.Writer
	cs      *iostreams.ColorScheme
	now     func() time.Time
	journal Journal
	kind    string
	targets map[string]string
	osUser  string
	cid     string

	open      map[string]int64 // address → journal id of an operation running
	ok        []tofu.Event     // apply_complete events
	failed    []tofu.Event     // apply_errored events
	unknown   []string         // started, never finished
	journalOK bool             // false once a journal write failed (warned once)
}

func newRecorder(ctx context.Context, opts *Options, kind string, targets map[string]string) *recorder {
	r := &recorder{w: opts.IO.ErrOut, cs: opts.IO.ColorScheme(), now: opts.Now,
		kind: kind, targets: targets, cid: observe.CorrelationID(ctx), open: map[string]int64{}, journalOK: true}
	if r.now == nil {
		r.now = time.Now
	}
	if opts.Journal != nil {
		if j, err := opts.Journal(ctx); err == nil {
			r.journal = j
		}
	}
	if u, err := user.Current(); err == nil {
		r.osUser = u.Username
	}
	return r
}

func (r *recorder) target(address string) string {
	if t, ok := r.targets[address]; ok {
		return t
	}
	return addressTarget(address)
}

// progress is the progress func for tofu: the journal is written even
// after ctx is cancelled, so that an interrupted apply leaves it right.
func (r *recorder) progress(ctx context.Context) func(tofu.Event) {
	jctx := context.WithoutCancel(ctx)
	return func(ev tofu.Event) { r.event(jctx, ev) }
}

// event handles one message of tofu's stream.
func (r *recorder) event(ctx context.Context, ev tofu.Event) {
	switch ev.Type {
	case tofu.EventApplyStart:
		fmt.Fprintf(r.w, "%s %s: %s…\n", r.target(ev.Address), ev.Address, ev.Action)
		r.record(ctx, ev, r.now())
	case tofu.EventApplyComplete, tofu.EventApplyErrored:
		outcome, icon, errText := native.OutcomeOK, r.cs.SuccessIcon(), ""
		if ev.Type == tofu.EventApplyErrored {
			outcome, icon, errText = native.OutcomeFailed, r.cs.FailureIcon(), ev.Message
			r.failed = append(r.failed, ev)
		} else {
			r.ok = append(r.ok, ev)
		}
		line := fmt.Sprintf("%s %s %s: %s (%s, %.1fs)", icon, r.target(ev.Address), ev.Address, ev.Action, outcome, ev.Elapsed.Seconds())
		if errText != "" {
			line += ": " + errText
		}
		fmt.Fprintln(r.w, line)
		if _, started := r.open[ev.Address]; !started {
			r.record(ctx, ev, r.now().Add(-ev.Elapsed))
		}
		r.finish(ctx, ev.Address, outcome, errText)
	}
}

func (r *recorder) record(ctx context.Context, ev tofu.Event, started time.Time) {
	if r.journal == nil {
		return
	}
	id, err := r.journal.RecordOperation(ctx, state.Operation{
		StartedAt: started, OSUser: r.osUser, Action: JournalAction(ev.Action), Target: r.target(ev.Address),
		Params: map[string]any{"engine": r.kind, "address": ev.Address}, Outcome: state.OutcomeRunning, CorrelationID: r.cid,
	})
	if err != nil {
		r.journalFailed(err)
		return
	}
	r.open[ev.Address] = id
}

func (r *recorder) finish(ctx context.Context, address, outcome, errText string) {
	id, ok := r.open[address]
	if !ok {
		return
	}
	delete(r.open, address)
	if err := r.journal.FinishOperation(ctx, id, r.now(), outcome, errText, ""); err != nil {
		r.journalFailed(err)
	}
}

func (r *recorder) journalFailed(err error) {
	if r.journalOK {
		fmt.Fprintf(r.w, "%s the journal could not record %s's progress: %v\n", r.cs.WarningIcon(), r.kind, err)
	}
	r.journalOK = false
}

// close finishes the journal entries of resources tofu started and never
// reported on (interrupted, or killed): their outcome is unknown.
func (r *recorder) close(ctx context.Context, runErr error) {
	outcome := native.OutcomeUnknown
	if ctx.Err() != nil {
		outcome = native.OutcomeInterrupted
	}
	errText := fmt.Sprintf("%s stopped before reporting on it", r.kind)
	if runErr != nil {
		errText += ": " + runErr.Error()
	}
	jctx := context.WithoutCancel(ctx)
	for address := range r.open {
		r.unknown = append(r.unknown, address)
		r.finish(jctx, address, outcome, errText)
	}
}

// summarize prints the closing line, as the native engine does.
func (r *recorder) summarize(w io.Writer, what string, took time.Duration, err error) {
	if err == nil {
		fmt.Fprintf(w, "%s %s complete: %d resources in %.1fs. Run `proxmox-mpc sync` to record the result.\n", r.cs.SuccessIcon(), what, len(r.ok), took.Seconds())
		return
	}
	fmt.Fprintf(w, "%s %s stopped: %d resources succeeded, %d failed, %d unknown. `proxmox-mpc plan` shows what remains.\n",
		r.cs.FailureIcon(), what, len(r.ok), len(r.failed), len(r.unknown))
}

// deleted lists the addresses tofu deleted.
func (r *recorder) deleted() map[string]bool {
	m := map[string]bool{}
	for _, ev := range r.ok {
		if ev.Action == "delete" {
			m[ev.Address] = true
		}
	}
	return m
}
