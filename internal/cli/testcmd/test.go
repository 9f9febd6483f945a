// Package testcmd implements `proxmox-mpc test` (/test in the console):
// the workspace's built-in checks, then the generated tests and the code
// checks of the external tools that are installed.
package testcmd

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/testrun"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// Options holds the inputs of test.
type Options struct {
	IO     *iostreams.IOStreams
	Output cmdutil.OutputOptions
	Logger func() *slog.Logger
	// Workspace opens the workspace around the current folder; a
	// *workspace.NotFoundError outside one.
	Workspace func() (*workspace.Workspace, error)
	// Checks returns the built-in checks; nil means none.
	Checks func(ctx context.Context) ([]testrun.Check, error)
	// External returns the tool-based checks for the workspace at root.
	External func(root string, logger *slog.Logger) []testrun.Check
}

// NewCmdTest builds the command.
func NewCmdTest(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{
		IO:        f.IOStreams,
		Logger:    f.Logger,
		Workspace: openWorkspace,
		Checks:    f.TestChecks,
		External: func(root string, logger *slog.Logger) []testrun.Check {
			return (&testrun.Runner{Dir: root, Logger: logger}).ExternalChecks()
		},
	}
	return &cobra.Command{
		Use:   "test",
		Short: "Run the workspace's checks and generated tests; each passes, fails or is SKIPPED with the reason",
		Long: "test runs the built-in checks of the workspace, then the external ones whose tools are\n" +
			"installed, one after the other, and prints a line for each as it finishes:\n\n" +
			"  tofu fmt                        terraform/ is formatted as `tofu fmt` would (or terraform fmt)\n" +
			"  tofu test                       the plan-mode tests in tests/terraform (tofu init, then tofu test;\n" +
			"                                  skipped when the bpg/proxmox provider cannot be installed);\n" +
			"                                  the plan reads the guests, so PROXMOX_VE_* must be set\n" +
			"  ansible-inventory --graph       ansible/inventory.yml parses\n" +
			"  ansible-playbook --syntax-check ansible/playbooks/site.yml parses\n\n" +
			"A check whose tool or input is missing is SKIPPED with the reason, never passed. The exit\n" +
			"code is 1 when any check failed.",
		Example: "  proxmox-mpc test\n  proxmox-mpc test -o json --jq '.results[] | select(.status != \"passed\")'",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Output()
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return testRun(cmd.Context(), opts)
		},
	}
}

func openWorkspace() (*workspace.Workspace, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("locate workspace: %w", err)
	}
	return workspace.Open(cwd)
}

// Report is the machine-readable result of test.
type Report struct {
	Workspace string       `json:"workspace"`
	Passed    int          `json:"passed"`
	Failed    int          `json:"failed"`
	Skipped   int          `json:"skipped"`
	Results   []ResultView `json:"results"`
}

// ResultView is one check in Report.
type ResultView struct {
	Name            string  `json:"name"`
	Status          string  `json:"status"`
	Detail          string  `json:"detail"`
	DurationSeconds float64 `json:"duration_seconds"`
}

func testRun(ctx context.Context, opts *Options) error {
	if err := opts.Output.Validate(); err != nil {
		return err
	}
	ws, err := opts.Workspace()
	if err != nil {
		return fmt.Errorf("test: %w", err)
	}
	logger := slog.New(slog.DiscardHandler)
	if opts.Logger != nil {
		logger = opts.Logger()
	}

	var checks []testrun.Check
	if opts.Checks != nil {
		builtin, err := opts.Checks(ctx)
		if err != nil {
			// Not fatal: the external checks still run, and this one fails.
			msg := err.Error()
			checks = append(checks, testrun.Check{Name: "built-in checks", Run: func(context.Context) testrun.Result {
				return testrun.Result{Status: testrun.StatusFailed, Detail: msg}
			}})
		}
		checks = append(checks, builtin...)
	}
	if opts.External != nil {
		checks = append(checks, opts.External(ws.Root, logger)...)
	}

	human := !opts.Output.IsStructured()
	cs := opts.IO.ColorScheme()
	status := newStatusLine(opts.IO)
	if human {
		checks = status.wrap(checks)
	}
	results := testrun.Run(ctx, checks, func(r testrun.Result) {
		if human {
			status.clear()
			printResult(opts.IO.Out, cs, r)
		}
	})
	sum := testrun.Summarize(results)

	if human {
		fmt.Fprintln(opts.IO.Out, summaryLine(cs, sum))
	} else {
		rep := Report{Workspace: ws.Root, Passed: sum.Passed, Failed: sum.Failed, Skipped: sum.Skipped, Results: make([]ResultView, 0, len(results))}
		for _, r := range results {
			rep.Results = append(rep.Results, ResultView{Name: r.Name, Status: string(r.Status), Detail: r.Detail, DurationSeconds: r.Duration.Seconds()})
		}
		if err := cmdutil.PrintObject(opts.IO, opts.Output, rep, nil); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if sum.Failed > 0 {
		return cmdutil.ErrSilent
	}
	return nil
}

// printResult writes one check's line: ✓ passed, ✗ failed with what
// failed (further lines indented), - skipped with the reason.
func printResult(w io.Writer, cs *iostreams.ColorScheme, r testrun.Result) {
	switch r.Status {
	case testrun.StatusPassed:
		fmt.Fprintf(w, "%s %s %s\n", cs.SuccessIcon(), r.Name, cs.Gray(fmt.Sprintf("(%.1fs)", r.Duration.Seconds())))
	case testrun.StatusSkipped:
		fmt.Fprintf(w, "%s %s: %s (%s)\n", cs.Gray("-"), r.Name, cs.Yellow("SKIPPED"), oneLine(r.Detail))
	default:
		first, rest, _ := strings.Cut(r.Detail, "\n")
		fmt.Fprintf(w, "%s %s: %s\n", cs.Red("✗"), r.Name, first)
		for line := range strings.Lines(rest) {
			if line = strings.TrimRight(line, " \t\r\n"); line == "" {
				fmt.Fprintln(w)
				continue
			}
			fmt.Fprintf(w, "    %s\n", line)
		}
	}
}

func summaryLine(cs *iostreams.ColorScheme, s testrun.Summary) string {
	passed := fmt.Sprintf("%d passed", s.Passed)
	failed := fmt.Sprintf("%d failed", s.Failed)
	skipped := fmt.Sprintf("%d skipped", s.Skipped)
	if s.Failed > 0 {
		failed = cs.Red(failed)
	}
	if s.Skipped > 0 {
		skipped = cs.Yellow(skipped)
	}
	return cs.Green(passed) + ", " + failed + ", " + skipped
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// statusLine shows the running check on a terminal's stderr.
type statusLine struct {
	io    *iostreams.IOStreams
	tty   bool
	drawn bool
}

func newStatusLine(ios *iostreams.IOStreams) *statusLine {
	return &statusLine{io: ios, tty: ios.IsStderrTTY()}
}

// wrap makes each check draw "running NAME…" before it starts.
func (s *statusLine) wrap(checks []testrun.Check) []testrun.Check {
	if !s.tty {
		return checks
	}
	out := make([]testrun.Check, len(checks))
	for i, c := range checks {
		out[i] = c
		if c.Run == nil {
			continue
		}
		run := c.Run
		name := c.Name
		out[i].Run = func(ctx context.Context) testrun.Result {
			fmt.Fprintf(s.io.ErrOut, "\r\x1b[Krunning %s…", name)
			s.drawn = true
			return run(ctx)
		}
	}
	return out
}

func (s *statusLine) clear() {
	if s.drawn {
		fmt.Fprint(s.io.ErrOut, "\r\x1b[K")
		s.drawn = false
	}
}
