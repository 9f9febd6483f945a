package plancmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine/tofu"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// Choices of --engine.
const (
	EngineAuto      = "auto"
	EngineNative    = "native"
	EngineTofu      = tofu.KindTofu
	EngineTerraform = tofu.KindTerraform
)

// engineChoices are the values --engine accepts, in the order help shows them.
var engineChoices = []string{EngineNative, EngineTofu, EngineTerraform, EngineAuto}

// PlanFileName is the file, under the workspace's .proxmox-mpc/, where the
// tofu engine keeps the plan it applies.
const PlanFileName = "tofu.plan"

// Tofu is the OpenTofu/Terraform engine the commands drive: a
// *tofu.Engine, or a fake in tests.
type Tofu interface {
	Init(ctx context.Context) error
	Plan(ctx context.Context, out string) (changes bool, events []tofu.Event, err error)
	Apply(ctx context.Context, planFile string, progress func(tofu.Event)) error
	Destroy(ctx context.Context, targets []string, progress func(tofu.Event)) error
}

var _ Tofu = (*tofu.Engine)(nil)

// Engines chooses between the native engine and tofu/terraform.
type Engines struct {
	// LookPath finds a binary on PATH (exec.LookPath).
	LookPath func(string) (string, error)
	// New makes the engine running binary on the current workspace's
	// terraform/ folder, and the plan file it uses.
	New func(ctx context.Context, binary string) (t Tofu, planFile string, err error)
}

// EnginesFrom is the Engines of the Factory: exec.LookPath and
// f.TofuEngine, read when an engine is made (nil: tofu and terraform are
// not available).
func EnginesFrom(f *cmdutil.Factory) Engines {
	e := Engines{LookPath: exec.LookPath}
	e.New = func(ctx context.Context, binary string) (Tofu, string, error) {
		if f.TofuEngine == nil {
			return nil, "", ErrNoTofuEngine
		}
		t, err := f.TofuEngine(ctx, binary)
		if err != nil {
			return nil, "", err
		}
		// Dir is <workspace>/terraform: the plan lives in <workspace>/.proxmox-mpc.
		return t, filepath.Join(filepath.Dir(t.Dir), workspace.Dir, PlanFileName), nil
	}
	return e
}

// ErrNoTofuEngine is Engines.New without a way to make the tofu engine:
// auto then takes the native engine without a note.
var ErrNoTofuEngine = errors.New("the tofu engine is not available here")

// Selected is the engine a command runs.
type Selected struct {
	Name     string // EngineNative, EngineTofu or EngineTerraform
	Tofu     Tofu   // nil for the native engine
	PlanFile string // where the tofu engine saves its plan
}

// Native reports whether the native engine runs.
func (s Selected) Native() bool { return s.Tofu == nil }

// EngineError is an --engine value that is not one of the choices.
type EngineError struct{ Value string }

func (e *EngineError) Error() string {
	return fmt.Sprintf("--engine must be one of %s, got %q", strings.Join(engineChoices, ", "), e.Value)
}

// Unwrap makes it a usage error.
func (e *EngineError) Unwrap() error { return &cmdutil.FlagError{Err: errors.New(e.Error())} }

// ValidEngine checks an --engine value.
func ValidEngine(v string) error {
	for _, c := range engineChoices {
		if v == c {
			return nil
		}
	}
	return &EngineError{Value: v}
}

// AddEngineFlag adds --engine to cmd, into p.
func AddEngineFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "engine", EngineAuto,
		"`ENGINE` that computes and applies changes: native (over the PVE API), tofu, terraform, or auto "+
			"(tofu or terraform when one is on PATH and its init succeeds, else native)")
	_ = cmd.RegisterFlagCompletionFunc("engine", cobra.FixedCompletions(engineChoices, cobra.ShellCompDirectiveNoFileComp))
}

// Select picks the engine for choice. native needs nothing; tofu and
// terraform need that binary on PATH and a successful init, and fail
// otherwise; auto takes tofu (else terraform) when it is on PATH and its
// init succeeds, and falls back to native otherwise — with a one-line note
// on errOut saying why, once a binary was found.
func (e Engines) Select(ctx context.Context, choice string, errOut io.Writer) (Selected, error) {
	native := Selected{Name: EngineNative}
	if err := ValidEngine(choice); err != nil {
		return Selected{}, err
	}
	if choice == EngineNative {
		return native, nil
	}
	lookPath := e.LookPath
	if lookPath == nil {
		lookPath = exec.LookPath
	}
	var path, kind string
	if choice == EngineAuto {
		p, k, err := tofu.Find(lookPath)
		if err != nil {
			return native, nil
		}
		path, kind = p, k
	} else {
		p, err := lookPath(choice)
		if err != nil || p == "" {
			return Selected{}, &tofu.NotFoundError{Tried: []string{choice}}
		}
		path, kind = p, choice
	}
	fallback := func(err error) (Selected, error) {
		if choice != EngineAuto || ctx.Err() != nil {
			return Selected{}, err
		}
		fmt.Fprintf(errOut, "Note: using the native engine, as %s is not usable here: %s (--engine native skips this check)\n", kind, oneLine(err.Error()))
		return native, nil
	}
	if e.New == nil {
		return fallback(ErrNoTofuEngine)
	}
	t, planFile, err := e.New(ctx, path)
	if errors.Is(err, ErrNoTofuEngine) && choice == EngineAuto {
		return native, nil
	}
	if err != nil {
		return fallback(err)
	}
	if err := t.Init(ctx); err != nil {
		return fallback(err)
	}
	if n, ok := t.(interface{ Notes() string }); ok && n.Notes() != "" {
		fmt.Fprintf(errOut, "Warning: %s\n", n.Notes())
	}
	return Selected{Name: kind, Tofu: t, PlanFile: planFile}, nil
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	return s
}

// TofuSummary is what a tofu plan shows: its planned changes in order and
// its change summary.
type TofuSummary struct {
	Changes []TofuChange `json:"changes"`
	Add     int          `json:"add"`
	Change  int          `json:"change"`
	Destroy int          `json:"destroy"`
	Import  int          `json:"import"`
}

// TofuChange is one planned change of a tofu plan.
type TofuChange struct {
	Address string `json:"address"`
	Action  string `json:"action"`
	Reason  string `json:"reason,omitempty"`
}

// SummarizeTofu collects the planned_change and change_summary events of
// a tofu plan. Without a change_summary (an older binary), the counts come
// from the planned changes.
func SummarizeTofu(events []tofu.Event) TofuSummary {
	s := TofuSummary{Changes: []TofuChange{}}
	var summary *tofu.ChangeSummary
	for _, ev := range events {
		switch ev.Type {
		case tofu.EventPlannedChange:
			s.Changes = append(s.Changes, TofuChange{Address: ev.Address, Action: ev.Action, Reason: ev.Detail})
		case tofu.EventChangeSummary:
			summary = ev.Summary
		}
	}
	if summary != nil {
		s.Add, s.Change, s.Destroy, s.Import = summary.Add, summary.Change, summary.Remove, summary.Import
		return s
	}
	for _, c := range s.Changes {
		switch c.Action {
		case "create":
			s.Add++
		case "update":
			s.Change++
		case "delete":
			s.Destroy++
		case "replace":
			s.Add++
			s.Destroy++
		case "import":
			s.Import++
		}
	}
	return s
}

// Empty reports whether the plan changes nothing.
func (s TofuSummary) Empty() bool {
	return s.Add == 0 && s.Change == 0 && s.Destroy == 0 && s.Import == 0
}

// tofuSymbols are the plan symbols of tofu's actions.
var tofuSymbols = map[string]string{
	"create": "+", "update": "~", "delete": "-", "replace": "-/+", "read": "<=", "import": "<-",
	"move": "->", "remove": "x", "forget": "x",
}

// RenderTofu writes a tofu plan in the style of the native plan: one line
// per resource (symbol, address, action), then the "Plan:" line, or "No
// changes.".
func RenderTofu(w io.Writer, kind string, s TofuSummary, cs *iostreams.ColorScheme) {
	if s.Empty() {
		fmt.Fprintln(w, cs.Bold("No changes.")+cs.Bold(" Your infrastructure matches the configuration."))
		return
	}
	fmt.Fprintf(w, "%s will perform the following actions:\n\n", kind)
	for _, c := range s.Changes {
		if c.Action == "noop" {
			continue
		}
		sym, ok := tofuSymbols[c.Action]
		if !ok {
			sym = "?"
		}
		sym = colorSymbol(cs, sym)
		line := fmt.Sprintf("  %s %s (%s", sym, c.Address, c.Action)
		if c.Reason != "" {
			line += ", " + strings.ReplaceAll(c.Reason, "_", " ")
		}
		fmt.Fprintln(w, line+")")
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, cs.Bold(PlanLine(s)))
}

// PlanLine is "Plan: N to add, N to change, N to destroy." (with "N to
// import, " first when the plan imports).
func PlanLine(s TofuSummary) string {
	imp := ""
	if s.Import > 0 {
		imp = fmt.Sprintf("%d to import, ", s.Import)
	}
	return fmt.Sprintf("Plan: %s%d to add, %d to change, %d to destroy.", imp, s.Add, s.Change, s.Destroy)
}

func colorSymbol(cs *iostreams.ColorScheme, sym string) string {
	switch sym {
	case "+":
		return cs.Green(sym)
	case "~", "<-", "->":
		return cs.Yellow(sym)
	case "-", "-/+", "x":
		return cs.Red(sym)
	}
	return sym
}

// selectForPlan picks the engine of a plan. The native engine alone plans
// from the last sync (--refresh=false) and saves plans for `apply FILE`
// (--out): auto keeps to it then, and an explicit tofu or terraform is a
// usage error.
func selectForPlan(ctx context.Context, opts *Options) (Selected, error) {
	switch {
	case opts.Engine == "" || opts.Engine == EngineNative:
		return Selected{Name: EngineNative}, nil
	case !opts.Refresh || opts.Out != "":
		flag := "--refresh=false"
		if opts.Out != "" {
			flag = "--out"
		}
		if opts.Engine == EngineAuto {
			return Selected{Name: EngineNative}, nil
		}
		if err := ValidEngine(opts.Engine); err != nil {
			return Selected{}, err
		}
		return Selected{}, cmdutil.FlagErrorf("%s works with the native engine only (--engine native), not %s", flag, opts.Engine)
	}
	return opts.Engines.Select(ctx, opts.Engine, opts.IO.ErrOut)
}

// tofuPlanView is the JSON of a tofu plan.
type tofuPlanView struct {
	Engine string `json:"engine"`
	TofuSummary
}

// tofuPlanRun has tofu or terraform plan, into sel.PlanFile, and shows the
// planned changes.
func tofuPlanRun(ctx context.Context, opts *Options, sel Selected) error {
	changes, events, err := sel.Tofu.Plan(ctx, sel.PlanFile)
	if !opts.Output.IsStructured() {
		WriteTofuWarnings(opts.IO.ErrOut, opts.IO.ColorScheme(), events)
	}
	if err != nil {
		return err
	}
	s := SummarizeTofu(events)
	human := func(w io.Writer, cs *iostreams.ColorScheme) error {
		RenderTofu(w, sel.Name, s, cs)
		return nil
	}
	if err := cmdutil.PrintObject(opts.IO, opts.Output, tofuPlanView{Engine: sel.Name, TofuSummary: s}, human); err != nil {
		return err
	}
	if opts.DetailedExitCode && (changes || !s.Empty()) {
		return &cmdutil.ExitError{Code: 2}
	}
	return nil
}

// WriteTofuWarnings prints the warning diagnostics among events, one line
// each (errors come back as the command's error).
func WriteTofuWarnings(w io.Writer, cs *iostreams.ColorScheme, events []tofu.Event) {
	for _, ev := range events {
		if ev.Type == tofu.EventDiagnostic && ev.Severity == tofu.SeverityWarning {
			line := ev.Message
			if ev.Detail != "" {
				line += ": " + oneLine(ev.Detail)
			}
			fmt.Fprintf(w, "%s %s\n", cs.WarningIcon(), line)
		}
	}
}
