// Package lifecycle runs operational verbs on guests (start, stop,
// snapshot, delete, ...) through the PVE API. Every verb is planned first:
// a Plan is the exact list of API calls, which --dry-run prints and Execute
// runs, one journal entry per call.
package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os/user"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/observe"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// Journal records operations; *state.Store implementations satisfy it.
type Journal interface {
	RecordOperation(ctx context.Context, op state.Operation) (int64, error)
	FinishOperation(ctx context.Context, id int64, finishedAt time.Time, outcome, errText, upid string) error
}

var _ Journal = (state.Store)(nil)

// Journal outcomes. OutcomeStarted marks a task submitted with --async:
// the call succeeded, the task's own result is not known.
const (
	OutcomeOK        = state.OutcomeOK
	OutcomeFailed    = state.OutcomeFailed
	OutcomeCancelled = "cancelled"
	OutcomeStarted   = "started"
)

// Options configure a Service.
type Options struct {
	// Identity is the API identity recorded in the journal (token id
	// USER@REALM!TOKENID or the username); never a secret.
	Identity string
	// OSUser overrides the operating-system user (default os/user.Current).
	OSUser string
	// PollInterval is the task poll interval (default 500ms).
	PollInterval time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Service plans and runs lifecycle verbs against one PVE endpoint.
type Service struct {
	client  *pve.Client
	journal Journal
	log     *slog.Logger
	opts    Options
}

// New returns a Service. journal may be nil (no journal outside a
// workspace); log may be nil.
func New(client *pve.Client, journal Journal, log *slog.Logger, opts Options) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.OSUser == "" {
		if u, err := user.Current(); err == nil {
			opts.OSUser = u.Username
		}
	}
	return &Service{client: client, journal: journal, log: log, opts: opts}
}

// Client returns the PVE client.
func (s *Service) Client() *pve.Client { return s.client }

// Call is one mutating API request.
type Call struct {
	Method string     // POST, PUT or DELETE
	Path   string     // relative to /api2/json
	Params url.Values // form (POST/PUT) or query (DELETE)
}

// secretKeys are parameters whose values are masked when printed.
var secretKeys = map[string]bool{"password": true, "cipassword": true}

// String renders the call as `METHOD /path k=v k=v` (sorted, secrets masked).
func (c Call) String() string {
	var b strings.Builder
	b.WriteString(c.Method + " " + c.Path)
	keys := make([]string, 0, len(c.Params))
	for k := range c.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range c.Params[k] {
			if secretKeys[k] {
				v = "********"
			}
			b.WriteString(" " + k + "=" + quoteValue(v))
		}
	}
	return b.String()
}

// MaskedParams returns the parameters (joined with ",") with secrets masked.
func (c Call) MaskedParams() map[string]string {
	out := make(map[string]string, len(c.Params))
	for k, v := range c.Params {
		if secretKeys[k] {
			out[k] = "********"
			continue
		}
		out[k] = strings.Join(v, ",")
	}
	return out
}

func quoteValue(v string) string {
	if v == "" || strings.ContainsAny(v, " \t\"'") {
		return strconv.Quote(v)
	}
	return v
}

// Step is one call on one guest.
type Step struct {
	Action string          // journal action: "start", "snapshot-create", "delete", ...
	Guest  inventory.Guest // the target as resolved
	Call   Call
	// Group ties steps of one guest together: when a step fails, the
	// later steps of its group are skipped (delete --stop).
	Group int
}

// Target is the journal target, e.g. "vm/101".
func (s Step) Target() string { return TargetOf(s.Guest) }

// TargetOf names a guest as "vm/101" or "ct/200".
func TargetOf(g inventory.Guest) string { return g.Type + "/" + strconv.Itoa(g.VMID) }

// Label names a guest for people: "vm/101 (web-01)".
func Label(g inventory.Guest) string {
	if g.Name == "" {
		return TargetOf(g)
	}
	return TargetOf(g) + " (" + g.Name + ")"
}

// Notice is a warning or a skipped guest, shown before execution.
type Notice struct {
	Guest   inventory.Guest
	Message string
}

// Plan is what a verb will do.
type Plan struct {
	Verb     string
	Steps    []Step
	Warnings []Notice // the step still runs
	Skipped  []Notice // no step for this guest
}

// Calls returns the API calls of the plan in order.
func (p Plan) Calls() []Call {
	out := make([]Call, len(p.Steps))
	for i, st := range p.Steps {
		out[i] = st.Call
	}
	return out
}

// ExecOptions tune Execute.
type ExecOptions struct {
	// Wait polls each task until it ends; otherwise Execute returns once
	// the server accepted the call (outcome "started").
	Wait bool
	// ContinueOnError goes on with the next guest after a failure; without
	// it the remaining steps are cancelled.
	ContinueOnError bool
	// CorrelationID ties the journal entries of one command together
	// (default: a new one).
	CorrelationID string
}

// EventKind is what happened to a step.
type EventKind string

// Event kinds.
const (
	EventStarted  EventKind = "started"  // the call is about to be made
	EventProgress EventKind = "progress" // a task status poll
	EventDone     EventKind = "done"     // the step ended (see Result)
)

// Event reports progress of one step.
type Event struct {
	Kind   EventKind
	Index  int // step index
	Total  int
	Step   Step
	UPID   string
	Task   *pve.TaskStatus // EventProgress
	Result *Result         // EventDone
}

// Result is the outcome of one step.
type Result struct {
	Step    Step
	UPID    string
	Outcome string // OutcomeOK, OutcomeStarted, OutcomeFailed, OutcomeCancelled
	Err     error
	// LogTail is the end of a failed task's log.
	LogTail []string
}

// Results are the outcomes of a plan, in step order.
type Results []Result

// Failed counts failed and cancelled steps.
func (rs Results) Failed() int {
	n := 0
	for _, r := range rs {
		if r.Outcome == OutcomeFailed || r.Outcome == OutcomeCancelled {
			n++
		}
	}
	return n
}

// Err summarises the results: nil when all succeeded, the error itself
// when one step ran and failed, otherwise a *BatchError.
func (rs Results) Err() error {
	var failed []Result
	for _, r := range rs {
		if r.Outcome == OutcomeFailed || r.Outcome == OutcomeCancelled {
			failed = append(failed, r)
		}
	}
	switch {
	case len(failed) == 0:
		return nil
	case len(rs) == 1:
		return failed[0].Err
	}
	return &BatchError{Failed: len(failed), Total: len(rs), First: failed[0].Err}
}

// BatchError reports that some steps of a batch failed.
type BatchError struct {
	Failed, Total int
	First         error
}

func (e *BatchError) Error() string {
	return fmt.Sprintf("%d of %d actions failed: %v", e.Failed, e.Total, e.First)
}

// Unwrap returns the first failure.
func (e *BatchError) Unwrap() error { return e.First }

// Hint says where to look.
func (e *BatchError) Hint() string {
	return "see the lines above for each guest; rerun with --continue-on-error to act on the others despite failures"
}

// Execute runs the plan's steps in order and reports each through
// progress (which may be nil). It never returns early on a failure unless
// ctx is done; Results tell what happened to every step.
func (s *Service) Execute(ctx context.Context, p Plan, opt ExecOptions, progress func(Event)) Results {
	if progress == nil {
		progress = func(Event) {}
	}
	if opt.CorrelationID == "" {
		opt.CorrelationID = observe.NewCorrelationID()
	}
	results := make(Results, 0, len(p.Steps))
	failedGroups := map[int]bool{}
	stop := false
	for i, st := range p.Steps {
		var r Result
		switch {
		case stop || ctx.Err() != nil:
			r = Result{Step: st, Outcome: OutcomeCancelled, Err: cancelErr(ctx, "an earlier action failed")}
		case failedGroups[st.Group]:
			r = Result{Step: st, Outcome: OutcomeCancelled, Err: fmt.Errorf("%s %s: skipped: the previous action on this guest failed", st.Action, st.Target())}
		default:
			progress(Event{Kind: EventStarted, Index: i, Total: len(p.Steps), Step: st})
			r = s.runStep(ctx, st, opt, func(ev Event) {
				ev.Index, ev.Total = i, len(p.Steps)
				progress(ev)
			})
		}
		if r.Outcome == OutcomeFailed || r.Outcome == OutcomeCancelled {
			failedGroups[st.Group] = true
			if !opt.ContinueOnError {
				stop = true
			}
		}
		results = append(results, r)
		progress(Event{Kind: EventDone, Index: i, Total: len(p.Steps), Step: st, UPID: r.UPID, Result: &results[len(results)-1]})
	}
	return results
}

func cancelErr(ctx context.Context, why string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return errors.New("not run: " + why)
}

func (s *Service) runStep(ctx context.Context, st Step, opt ExecOptions, progress func(Event)) Result {
	started := s.opts.Now()
	log := s.log.With(observe.KeyOperation, st.Action, observe.KeyVMID, st.Guest.VMID, observe.KeyNode, st.Guest.Node)
	var opID int64
	if s.journal != nil {
		params := make(map[string]any, len(st.Call.Params)+2)
		for k, v := range st.Call.MaskedParams() {
			params[k] = v
		}
		params["method"] = st.Call.Method
		params["path"] = st.Call.Path
		id, err := s.journal.RecordOperation(ctx, state.Operation{
			StartedAt: started, OSUser: s.opts.OSUser, APIIdentity: s.opts.Identity,
			Action: st.Action, Target: st.Target(), Params: params, Outcome: state.OutcomeRunning,
			CorrelationID: opt.CorrelationID,
		})
		if err != nil {
			// an action that cannot be journaled is not run
			return Result{Step: st, Outcome: OutcomeFailed, Err: fmt.Errorf("%s %s: record in the journal: %w", st.Action, st.Target(), err)}
		}
		opID = id
	}
	r := Result{Step: st}
	upid, err := s.call(ctx, st.Call)
	r.UPID = upid
	switch {
	case err != nil:
		r.Err = fmt.Errorf("%s %s: %w", st.Action, Label(st.Guest), err)
	case !opt.Wait:
		r.Outcome = OutcomeStarted
	default:
		_, err = s.client.WaitTask(ctx, upid, pve.WaitOptions{
			Interval: s.opts.PollInterval,
			OnProgress: func(ts pve.TaskStatus) {
				progress(Event{Kind: EventProgress, Step: st, UPID: upid, Task: &ts})
			},
		})
		if err != nil {
			r.Err = fmt.Errorf("%s %s: %w", st.Action, Label(st.Guest), err)
			var te *pve.TaskError
			if errors.As(err, &te) {
				r.LogTail = te.LogTail
			}
		} else {
			r.Outcome = OutcomeOK
		}
	}
	if r.Err != nil {
		r.Outcome = OutcomeFailed
		if errors.Is(r.Err, context.Canceled) || errors.Is(r.Err, context.DeadlineExceeded) {
			r.Outcome = OutcomeCancelled
		}
		log.Info("lifecycle action failed", observe.KeyUPID, r.UPID, observe.KeyErr, r.Err)
	} else {
		log.Info("lifecycle action", observe.KeyUPID, r.UPID, "outcome", r.Outcome)
	}
	if s.journal != nil {
		errText := ""
		if r.Err != nil {
			errText = r.Err.Error()
		}
		// the journal must hear about the outcome even when ctx was cancelled
		jctx := context.WithoutCancel(ctx)
		if err := s.journal.FinishOperation(jctx, opID, s.opts.Now(), r.Outcome, errText, r.UPID); err != nil {
			log.Warn("finish journal entry", observe.KeyErr, err)
		}
	}
	return r
}

// call makes one mutating request and returns the UPID ("" when the
// server answered synchronously).
func (s *Service) call(ctx context.Context, c Call) (string, error) {
	var upid string
	var err error
	switch c.Method {
	case "POST":
		err = s.client.Post(ctx, c.Path, c.Params, &upid)
	case "PUT":
		err = s.client.Put(ctx, c.Path, c.Params, &upid)
	case "DELETE":
		err = s.client.Delete(ctx, c.Path, c.Params, &upid)
	default:
		return "", fmt.Errorf("unsupported method %s", c.Method)
	}
	return upid, err
}

// guestPath is /nodes/{node}/{qemu|lxc}/{vmid}.
func guestPath(g inventory.Guest) string {
	return "/nodes/" + url.PathEscape(g.Node) + "/" + string(kindOf(g)) + "/" + strconv.Itoa(g.VMID)
}

func kindOf(g inventory.Guest) pve.GuestKind {
	if g.Type == inventory.TypeCT {
		return pve.KindCT
	}
	return pve.KindVM
}
