// Package native applies an engine.Plan over the PVE API: deletes (and
// the destroy half of replaces) first, then in-place updates, then
// creates, each guest's calls in order, different guests in parallel
// (bounded), every call journaled and every task waited for.
//
// The translation from the model to PVE calls (CreateForm, the update's
// config form) is pure and checks itself: the live config with the
// changes applied must read back through iac.FromState as the desired
// model, so a change the engine cannot express is refused before anything
// runs.
package native

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/engine"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
	"github.com/proxmox-mpc/proxmox-mpc/internal/observe"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// Journal records operations; state.Store satisfies it.
type Journal interface {
	RecordOperation(ctx context.Context, op state.Operation) (int64, error)
	FinishOperation(ctx context.Context, id int64, finishedAt time.Time, outcome, errText, upid string) error
}

var _ Journal = (state.Store)(nil)

// Deps are the services Apply uses.
type Deps struct {
	Client  *pve.Client
	Journal Journal      // nil: nothing is journaled (outside a workspace)
	Logger  *slog.Logger // nil: discard
	// Identity is the API identity recorded in the journal (never a secret);
	// OSUser the operating-system user.
	Identity, OSUser string
}

// Options tune Apply.
type Options struct {
	Parallelism    int  // guests worked on at once; default 8
	SnapshotBefore bool // snapshot every guest that will change, before any change
	AllowDataLoss  bool // allow replaces that destroy disks
	// Hard, when closed (a second Ctrl-C), stops waiting for in-flight
	// tasks: they are journaled "interrupted". Cancelling ctx (the first
	// Ctrl-C) only stops starting new steps.
	Hard <-chan struct{}
	// OSTemplates maps a new container's address to its template volume
	// (operating_system.template_file_id), which the model does not carry.
	OSTemplates   map[string]string
	PollInterval  time.Duration // task poll interval; default 500ms
	CorrelationID string        // default: a new one
	Now           func() time.Time
}

// Step outcomes (journal outcomes too).
const (
	OutcomeOK          = state.OutcomeOK
	OutcomeFailed      = state.OutcomeFailed
	OutcomeUnknown     = "unknown"     // the request was cut off: it may or may not have happened
	OutcomeInterrupted = "interrupted" // a second Ctrl-C stopped waiting for the task
	OutcomeNotStarted  = "not-started"
)

// Journal actions.
const (
	ActionSnapshot = "apply-snapshot"
	ActionVerify   = "apply-verify"
	ActionStop     = "apply-stop"
	ActionDelete   = "apply-delete"
	ActionUpdate   = "apply-update"
	ActionResize   = "apply-resize"
	ActionPool     = "apply-pool"
	ActionMigrate  = "apply-migrate"
	ActionStart    = "apply-start"
	ActionShutdown = "apply-shutdown"
	ActionCreate   = "apply-create"
)

// Step is one call of the apply, with its outcome.
type Step struct {
	Address string // the resource address
	Target  string // vm/101
	Action  string // Action*
	Method  string
	Path    string
	Params  map[string]string // secrets masked
	UPID    string
	Outcome string
	Err     error
	LogTail []string // the end of a failed task's log
	Elapsed time.Duration
}

// EventStatus is what happened to a step.
type EventStatus string

// Event statuses.
const (
	EventStarted EventStatus = "started"
	EventRunning EventStatus = "running" // a task poll
	EventDone    EventStatus = "done"    // see Outcome
)

// Event reports progress of one step. Apply calls progress from one
// goroutine at a time.
type Event struct {
	Address, Target, Action string
	Status                  EventStatus
	Outcome                 string // EventDone
	Elapsed                 time.Duration
	UPID                    string
	Err                     error
	LogTail                 []string
}

// Result is what an apply did.
type Result struct {
	Succeeded, Failed, NotStarted []Step
	Err                           error
}

// ApplyError summarises a failed or interrupted apply.
type ApplyError struct {
	Failed, NotStarted int
	Interrupted        bool
	First              error
}

var _ error = (*ApplyError)(nil)

func (e *ApplyError) Error() string {
	what := "apply failed"
	if e.Interrupted {
		what = "apply interrupted"
	}
	if e.First == nil {
		return fmt.Sprintf("%s: %d steps not started", what, e.NotStarted)
	}
	return fmt.Sprintf("%s: %d steps failed, %d not started: %v", what, e.Failed, e.NotStarted, e.First)
}

// Unwrap returns the first failure.
func (e *ApplyError) Unwrap() error { return e.First }

// Hint says what to do next.
func (e *ApplyError) Hint() string {
	var h interface{ Hint() string }
	if errors.As(e.First, &h) {
		return h.Hint()
	}
	return "run `proxmox-mpc plan` to see what remains, then apply again"
}

// StaleError is a guest that changed on the server after the plan.
type StaleError struct {
	Target string
	Err    error
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("%s changed on the server since the plan: %v", e.Target, e.Err)
}

// Unwrap returns the server's refusal.
func (e *StaleError) Unwrap() error { return e.Err }

// Hint says to plan again.
func (e *StaleError) Hint() string {
	return "the guest's configuration changed since the plan was made; run `proxmox-mpc plan` again and review the new plan"
}

// UnknownError is a mutating request whose connection failed: PVE may or
// may not have carried it out. It is never retried.
type UnknownError struct {
	Target string
	Err    error
}

func (e *UnknownError) Error() string {
	return fmt.Sprintf("%s: outcome unknown: %v", e.Target, e.Err)
}

// Unwrap returns the network error.
func (e *UnknownError) Unwrap() error { return e.Err }

// Hint says how to find out.
func (e *UnknownError) Hint() string {
	return "the connection failed while the request was in flight, so it may or may not have been carried out; run `proxmox-mpc sync` and `proxmox-mpc plan` to see the real state"
}

// DataLossError refuses a replace that destroys disks.
type DataLossError struct{ Addresses []string }

func (e *DataLossError) Error() string {
	return "refusing to replace (destroying the disks of) " + strings.Join(e.Addresses, ", ")
}

// Hint names the flag.
func (e *DataLossError) Hint() string {
	return "these replaces destroy the guests and their disks; pass --allow-data-loss to apply them anyway, or change the code so that they update in place"
}

// phases of an apply, in order.
const (
	phaseSnapshot = iota
	phaseDestroy
	phaseUpdate
	phaseCreate
	numPhases
)

type opKind int

const (
	opCall    opKind = iota
	opVerify         // GET config: refuse when the digest differs from the plan's
	opRefresh        // GET config: take the current digest (after a snapshot)
)

// op is one step of a guest's chain.
type op struct {
	kind      opKind
	step      Step
	form      url.Values
	useDigest bool
}

// chain is the ops of one guest, by phase.
type chain struct {
	change *engine.GuestChange
	phases [numPhases][]*op
	mu     sync.Mutex
	digest string
}

func (c *chain) getDigest() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.digest
}

func (c *chain) setDigest(d string) {
	c.mu.Lock()
	c.digest = d
	c.mu.Unlock()
}

func guestPath(node string, k iac.Kind, vmid int) string {
	return "/nodes/" + url.PathEscape(node) + "/" + string(pveKind(k)) + "/" + strconv.Itoa(vmid)
}

func newOp(gc *engine.GuestChange, tgt, action, method, path string, form url.Values) *op {
	return &op{step: Step{Address: gc.Address, Target: tgt, Action: action, Method: method, Path: path}, form: form}
}

// buildChains translates the plan; errors are every change it refuses.
func buildChains(p *engine.Plan, opts Options, snapName string) ([]*chain, error) {
	var errs []error
	var dataLoss []string
	chains := make([]*chain, 0, len(p.Changes))
	for i := range p.Changes {
		gc := &p.Changes[i]
		c := &chain{change: gc, digest: gc.Digest}
		tgt := target(gc.Kind, gc.VMID)
		if gc.Action == engine.Replace && gc.Disruption == engine.DataLoss && !opts.AllowDataLoss {
			dataLoss = append(dataLoss, gc.Address)
			continue
		}
		live := gc.Live
		if gc.Action != engine.Create && live == nil {
			errs = append(errs, fmt.Errorf("%s: the plan has no live state for a %s", gc.Address, gc.Action))
			continue
		}
		if gc.Action != engine.Delete && gc.Desired == nil {
			errs = append(errs, fmt.Errorf("%s: the plan has no desired state for a %s", gc.Address, gc.Action))
			continue
		}
		// snapshot first, of every guest that will change
		if opts.SnapshotBefore && gc.Action != engine.Create {
			base := guestPath(live.Node, iac.Kind(live.Type), live.VMID)
			c.phases[phaseSnapshot] = []*op{
				{kind: opVerify, step: Step{Address: gc.Address, Target: tgt, Action: ActionVerify, Method: "GET", Path: base + "/config"}},
				newOp(gc, tgt, ActionSnapshot, "POST", base+"/snapshot", url.Values{"snapname": {snapName}, "description": {"taken by proxmox-mpc apply before changing the guest"}}),
				{kind: opRefresh, step: Step{Address: gc.Address, Target: tgt, Action: ActionVerify, Method: "GET", Path: base + "/config"}},
			}
		}
		verified := opts.SnapshotBefore
		switch gc.Action {
		case engine.Delete, engine.Replace:
			ops := destroyOps(gc, tgt, *live, !verified && gc.Digest != "")
			c.phases[phaseDestroy] = ops
			if gc.Action == engine.Replace {
				cops, err := createOps(gc, opts)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				c.phases[phaseCreate] = cops
			}
		case engine.Update:
			ops, err := updateOps(gc, tgt, *live, !verified && gc.Digest != "")
			if err != nil {
				errs = append(errs, err)
				continue
			}
			c.phases[phaseUpdate] = ops
		case engine.Create:
			ops, err := createOps(gc, opts)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			c.phases[phaseCreate] = ops
		case engine.NoOp:
			continue
		default:
			errs = append(errs, fmt.Errorf("%s: unknown action %q", gc.Address, gc.Action))
			continue
		}
		chains = append(chains, c)
	}
	if len(dataLoss) > 0 {
		errs = append([]error{&DataLossError{Addresses: dataLoss}}, errs...)
	}
	return chains, errors.Join(errs...)
}

func destroyOps(gc *engine.GuestChange, tgt string, live state.Guest, verify bool) []*op {
	base := guestPath(live.Node, iac.Kind(live.Type), live.VMID)
	var ops []*op
	if verify {
		ops = append(ops, &op{kind: opVerify, step: Step{Address: gc.Address, Target: tgt, Action: ActionVerify, Method: "GET", Path: base + "/config"}})
	}
	if live.Status == "running" {
		ops = append(ops, newOp(gc, tgt, ActionStop, "POST", base+"/status/stop", nil))
	}
	ops = append(ops, newOp(gc, tgt, ActionDelete, "DELETE", base, url.Values{"purge": {"1"}, "destroy-unreferenced-disks": {"1"}}))
	return ops
}

func createOps(gc *engine.GuestChange, opts Options) ([]*op, error) {
	d := *gc.Desired
	if d.Node == "" {
		d.Node = gc.Node
	}
	if d.VMID == 0 {
		d.VMID = gc.VMID
	}
	tmpl := opts.OSTemplates[gc.Address]
	if tmpl == "" && d.CT != nil {
		tmpl = d.CT.TemplateFileID // operating_system.template_file_id of the code
	}
	form, err := CreateForm(d, tmpl)
	if err != nil {
		return nil, err
	}
	tgt := target(d.Kind, d.VMID)
	ops := []*op{newOp(gc, tgt, ActionCreate, "POST", "/nodes/"+url.PathEscape(d.Node)+"/"+string(pveKind(d.Kind)), form)}
	if d.Started && !d.Template {
		ops = append(ops, newOp(gc, tgt, ActionStart, "POST", guestPath(d.Node, d.Kind, d.VMID)+"/status/start", nil))
	}
	return ops, nil
}

func updateOps(gc *engine.GuestChange, tgt string, live state.Guest, verify bool) ([]*op, error) {
	u, err := planUpdate(*gc.Desired, live)
	if err != nil {
		return nil, err
	}
	k := iac.Kind(live.Type)
	base := guestPath(live.Node, k, live.VMID)
	var ops []*op
	digestUsed := false
	if form := u.configForm(); form != nil {
		o := newOp(gc, tgt, ActionUpdate, "PUT", base+"/config", form)
		o.useDigest, digestUsed = true, true
		ops = append(ops, o)
	}
	for _, rs := range u.Resizes {
		o := newOp(gc, tgt, ActionResize, "PUT", base+"/resize", url.Values{"disk": {rs.Disk}, "size": {rs.Size}})
		if !digestUsed {
			o.useDigest, digestUsed = true, true
		}
		ops = append(ops, o)
	}
	if verify && !digestUsed && (u.PoolFrom != u.PoolTo || u.MigrateTo != "" || u.Power != "") {
		ops = append([]*op{{kind: opVerify, step: Step{Address: gc.Address, Target: tgt, Action: ActionVerify, Method: "GET", Path: base + "/config"}}}, ops...)
	}
	vmid := strconv.Itoa(live.VMID)
	if u.PoolFrom != "" && u.PoolTo == "" {
		ops = append(ops, newOp(gc, tgt, ActionPool, "PUT", "/pools", url.Values{"poolid": {u.PoolFrom}, "vms": {vmid}, "delete": {"1"}}))
	}
	if u.PoolTo != "" {
		ops = append(ops, newOp(gc, tgt, ActionPool, "PUT", "/pools", url.Values{"poolid": {u.PoolTo}, "vms": {vmid}, "allow-move": {"1"}}))
	}
	node := live.Node
	if u.MigrateTo != "" {
		form := url.Values{"target": {u.MigrateTo}}
		if live.Status == "running" {
			if k == iac.KindVM {
				form.Set("online", "1")
			} else {
				form.Set("restart", "1")
			}
		}
		if k == iac.KindVM {
			form.Set("with-local-disks", "1")
		}
		ops = append(ops, newOp(gc, tgt, ActionMigrate, "POST", base+"/migrate", form))
		node = u.MigrateTo
	}
	switch u.Power {
	case "start":
		ops = append(ops, newOp(gc, tgt, ActionStart, "POST", guestPath(node, k, live.VMID)+"/status/start", nil))
	case "shutdown":
		ops = append(ops, newOp(gc, tgt, ActionShutdown, "POST", guestPath(node, k, live.VMID)+"/status/shutdown", nil))
	}
	return ops, nil
}

// Apply carries out the plan. It refuses the whole plan, running nothing,
// when any change cannot be translated (Result.Err lists them all).
// Cancelling ctx stops starting new steps and lets in-flight ones finish;
// closing opts.Hard also stops waiting for them.
func Apply(ctx context.Context, plan engine.Plan, deps Deps, opts Options, progress func(Event)) Result {
	if opts.Parallelism <= 0 {
		opts.Parallelism = 8
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 500 * time.Millisecond
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.CorrelationID == "" {
		opts.CorrelationID = observe.NewCorrelationID()
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Client == nil {
		return Result{Err: errors.New("apply: no PVE client")}
	}
	snapName := "pmc-before-apply-" + opts.Now().UTC().Format("20060102T150405")
	chains, err := buildChains(&plan, opts, snapName)
	if err != nil {
		var res Result
		for _, c := range chains {
			for _, ph := range c.phases {
				for _, o := range ph {
					if o.kind == opCall {
						res.NotStarted = append(res.NotStarted, notStarted(o))
					}
				}
			}
		}
		res.Err = fmt.Errorf("apply: the plan cannot be applied, nothing was changed: %w", err)
		return res
	}
	r := &runner{deps: deps, opts: opts, log: deps.Logger.With(observe.KeySubsys, "apply", observe.KeyCorrelationID, opts.CorrelationID)}
	if progress != nil {
		var mu sync.Mutex
		r.progress = func(ev Event) {
			mu.Lock()
			defer mu.Unlock()
			progress(ev)
		}
	} else {
		r.progress = func(Event) {}
	}
	// waitCtx outlives ctx (in-flight steps finish) until Hard closes.
	waitCtx, cancelWait := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWait()
	var watch sync.WaitGroup
	done := make(chan struct{})
	if opts.Hard != nil {
		watch.Go(func() {
			select {
			case <-opts.Hard:
				cancelWait()
			case <-done:
			}
		})
	}
	for ph := range numPhases {
		r.runPhase(ctx, waitCtx, chains, ph)
	}
	close(done)
	watch.Wait()
	return r.result(ctx)
}

func notStarted(o *op) Step {
	s := o.step
	s.Outcome = OutcomeNotStarted
	s.Params = maskParams(o.form)
	return s
}

type runner struct {
	deps     Deps
	opts     Options
	log      *slog.Logger
	progress func(Event)

	mu      sync.Mutex
	stopped bool
	res     Result
	hard    bool
}

func (r *runner) halt() {
	r.mu.Lock()
	r.stopped = true
	r.mu.Unlock()
}

func (r *runner) isStopped(ctx context.Context) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stopped || ctx.Err() != nil
}

func (r *runner) record(s Step) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch s.Outcome {
	case OutcomeOK:
		r.res.Succeeded = append(r.res.Succeeded, s)
	case OutcomeNotStarted:
		r.res.NotStarted = append(r.res.NotStarted, s)
	default:
		if s.Outcome == OutcomeInterrupted {
			r.hard = true
		}
		r.res.Failed = append(r.res.Failed, s)
	}
}

func (r *runner) runPhase(ctx, waitCtx context.Context, chains []*chain, ph int) {
	sem := make(chan struct{}, r.opts.Parallelism)
	var wg sync.WaitGroup
	for _, c := range chains {
		ops := c.phases[ph]
		if len(ops) == 0 {
			continue
		}
		if r.isStopped(ctx) {
			r.skip(ops)
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			r.skip(ops)
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			for i, o := range ops {
				if r.isStopped(ctx) {
					r.skip(ops[i:])
					return
				}
				if !r.runOp(waitCtx, c, o) {
					r.halt()
					r.skip(ops[i+1:])
					return
				}
			}
		})
	}
	wg.Wait()
}

func (r *runner) skip(ops []*op) {
	for _, o := range ops {
		if o.kind == opCall {
			r.record(notStarted(o))
		}
	}
}

// runOp runs one op and reports whether it succeeded.
func (r *runner) runOp(ctx context.Context, c *chain, o *op) bool {
	if ctx.Err() != nil { // hard-interrupted before it started
		r.skip([]*op{o})
		return false
	}
	switch o.kind {
	case opVerify, opRefresh:
		return r.runRead(ctx, c, o)
	}
	s := o.step
	form := o.form
	if o.useDigest {
		if d := c.getDigest(); d != "" {
			form = cloneForm(form)
			form.Set("digest", d)
		}
	}
	s.Params = maskParams(form)
	started := r.opts.Now()
	log := r.log.With(observe.KeyOperation, s.Action, observe.KeyVMID, c.change.VMID)
	var opID int64
	if r.deps.Journal != nil {
		params := make(map[string]any, len(s.Params)+2)
		for k, v := range s.Params {
			params[k] = v
		}
		params["method"], params["path"] = s.Method, s.Path
		id, err := r.deps.Journal.RecordOperation(context.WithoutCancel(ctx), state.Operation{
			StartedAt: started, OSUser: r.deps.OSUser, APIIdentity: r.deps.Identity,
			Action: s.Action, Target: s.Target, Params: params, Outcome: state.OutcomeRunning,
			CorrelationID: r.opts.CorrelationID,
		})
		if err != nil {
			// a step that cannot be journaled is not run
			s.Outcome, s.Err = OutcomeFailed, fmt.Errorf("%s %s: record in the journal: %w", s.Action, s.Target, err)
			r.record(s)
			r.progress(Event{Address: s.Address, Target: s.Target, Action: s.Action, Status: EventDone, Outcome: s.Outcome, Err: s.Err})
			return false
		}
		opID = id
	}
	r.progress(Event{Address: s.Address, Target: s.Target, Action: s.Action, Status: EventStarted})
	upid, err := r.call(ctx, s.Method, s.Path, form)
	s.UPID = upid
	if err == nil {
		_, err = r.deps.Client.WaitTask(ctx, upid, pve.WaitOptions{
			Interval: r.opts.PollInterval,
			OnProgress: func(ts pve.TaskStatus) {
				if ts.Running() {
					r.progress(Event{Address: s.Address, Target: s.Target, Action: s.Action, Status: EventRunning, UPID: upid, Elapsed: r.opts.Now().Sub(started)})
				}
			},
		})
		if err != nil {
			var te *pve.TaskError
			if errors.As(err, &te) {
				s.LogTail = te.LogTail
			}
		}
	}
	s.Elapsed = r.opts.Now().Sub(started)
	s.Outcome, s.Err = classify(ctx, s, err)
	if s.Err != nil {
		log.Info("apply step failed", observe.KeyUPID, s.UPID, "outcome", s.Outcome, observe.KeyErr, s.Err)
	} else {
		log.Info("apply step", observe.KeyUPID, s.UPID, observe.KeyDurationMS, s.Elapsed.Milliseconds())
	}
	if r.deps.Journal != nil {
		errText := ""
		if s.Err != nil {
			errText = s.Err.Error()
			if len(s.LogTail) > 0 {
				errText += "\n" + strings.Join(s.LogTail, "\n")
			}
		}
		jctx := context.WithoutCancel(ctx)
		if err := r.deps.Journal.FinishOperation(jctx, opID, r.opts.Now(), s.Outcome, errText, s.UPID); err != nil {
			log.Warn("finish journal entry", observe.KeyErr, err)
		}
	}
	r.record(s)
	r.progress(Event{Address: s.Address, Target: s.Target, Action: s.Action, Status: EventDone, Outcome: s.Outcome, Elapsed: s.Elapsed, UPID: s.UPID, Err: s.Err, LogTail: s.LogTail})
	return s.Err == nil
}

// classify names the outcome of a finished call.
func classify(ctx context.Context, s Step, err error) (string, error) {
	if err == nil {
		return OutcomeOK, nil
	}
	wrapped := fmt.Errorf("%s %s: %w", s.Action, s.Target, err)
	var ae *pve.APIError
	var ne *pve.NetworkError
	switch {
	case ctx.Err() != nil:
		return OutcomeInterrupted, wrapped
	case errors.As(err, &ae) && isStale(ae):
		return OutcomeFailed, &StaleError{Target: s.Target, Err: err}
	case errors.As(err, &ne) && s.UPID == "":
		// the mutating request itself was cut off
		return OutcomeUnknown, &UnknownError{Target: s.Target, Err: wrapped}
	case errors.As(err, &ne):
		// the task was started; polling it failed
		return OutcomeUnknown, &UnknownError{Target: s.Target, Err: wrapped}
	}
	return OutcomeFailed, wrapped
}

func isStale(ae *pve.APIError) bool {
	m := strings.ToLower(ae.Message)
	return strings.Contains(m, "checksum mismatch") || strings.Contains(m, "detected modified configuration")
}

// runRead verifies (opVerify) or refreshes (opRefresh) the chain's digest.
func (r *runner) runRead(ctx context.Context, c *chain, o *op) bool {
	s := o.step
	var conf pve.GuestConfig
	err := r.deps.Client.Get(ctx, s.Path, nil, &conf)
	switch {
	case err != nil:
		s.Outcome, s.Err = classify(ctx, s, err)
		if s.Outcome == OutcomeUnknown { // a GET changes nothing: it simply failed
			s.Outcome = OutcomeFailed
		}
	case o.kind == opVerify && c.getDigest() != "" && conf.Digest != c.getDigest():
		s.Outcome = OutcomeFailed
		s.Err = &StaleError{Target: s.Target, Err: fmt.Errorf("config digest is %s, the plan saw %s", conf.Digest, c.getDigest())}
	default:
		c.setDigest(conf.Digest)
		return true
	}
	if r.deps.Journal != nil {
		now := r.opts.Now()
		jctx := context.WithoutCancel(ctx)
		if id, jerr := r.deps.Journal.RecordOperation(jctx, state.Operation{
			StartedAt: now, OSUser: r.deps.OSUser, APIIdentity: r.deps.Identity, Action: s.Action, Target: s.Target,
			Params: map[string]any{"method": s.Method, "path": s.Path}, Outcome: state.OutcomeRunning, CorrelationID: r.opts.CorrelationID,
		}); jerr == nil {
			_ = r.deps.Journal.FinishOperation(jctx, id, now, s.Outcome, s.Err.Error(), "")
		}
	}
	r.record(s)
	r.progress(Event{Address: s.Address, Target: s.Target, Action: s.Action, Status: EventDone, Outcome: s.Outcome, Err: s.Err})
	return false
}

func (r *runner) call(ctx context.Context, method, path string, form url.Values) (string, error) {
	var upid string
	var err error
	switch method {
	case "POST":
		err = r.deps.Client.Post(ctx, path, form, &upid)
	case "PUT":
		err = r.deps.Client.Put(ctx, path, form, &upid)
	case "DELETE":
		err = r.deps.Client.Delete(ctx, path, form, &upid)
	default:
		return "", fmt.Errorf("unsupported method %s", method)
	}
	return upid, err
}

func (r *runner) result(ctx context.Context) Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	res := r.res
	if len(res.Failed) == 0 && len(res.NotStarted) == 0 {
		return res
	}
	e := &ApplyError{Failed: len(res.Failed), NotStarted: len(res.NotStarted), Interrupted: ctx.Err() != nil || r.hard}
	if len(res.Failed) > 0 {
		e.First = res.Failed[0].Err
	} else if ctx.Err() != nil {
		e.First = ctx.Err()
	}
	res.Err = e
	return res
}

// secretParams are never journaled or shown.
var secretParams = map[string]bool{"password": true, "cipassword": true}

func maskParams(form url.Values) map[string]string {
	if len(form) == 0 {
		return nil
	}
	out := make(map[string]string, len(form))
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if secretParams[k] {
			out[k] = "********"
			continue
		}
		out[k] = strings.Join(form[k], ",")
	}
	return out
}

func cloneForm(f url.Values) url.Values {
	out := make(url.Values, len(f)+1)
	for k, v := range f {
		out[k] = append([]string(nil), v...)
	}
	return out
}
