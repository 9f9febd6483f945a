package testcmd

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/diag"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/testrun"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden files")

func golden(t *testing.T, got string) {
	t.Helper()
	path := filepath.Join("testdata", strings.ReplaceAll(t.Name(), "/", "_")+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update): %v", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, d)
	}
}

func TestNewCmdTestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "no args", args: []string{}},
		{name: "extra arg", args: []string{"all"}, wantErr: `unknown command "all"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, _, _ := iostreams.Test()
			builtin := func(context.Context) ([]testrun.Check, error) { return nil, nil }
			f := &cmdutil.Factory{IOStreams: ios, TestChecks: builtin,
				Output: func() cmdutil.OutputOptions { return cmdutil.OutputOptions{Format: "json"} }}
			var got *Options
			cmd := NewCmdTest(f, func(_ context.Context, o *Options) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(io.Discard)
			cmd.SetErr(io.Discard)
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Output.Format != "json" || got.Checks == nil || got.External == nil || got.Workspace == nil || got.IO != ios {
				t.Errorf("options not filled from the factory: %+v", got)
			}
		})
	}
}

func result(name string, st testrun.Status, detail string, d time.Duration) testrun.Check {
	return testrun.Check{Name: name, Run: func(context.Context) testrun.Result {
		return testrun.Result{Status: st, Detail: detail, Duration: d}
	}}
}

func fakeOptions(ios *iostreams.IOStreams, format string, builtin []testrun.Check, builtinErr error, external []testrun.Check) *Options {
	return &Options{
		IO:        ios,
		Output:    cmdutil.OutputOptions{Format: format},
		Workspace: func() (*workspace.Workspace, error) { return &workspace.Workspace{Root: "/home/ops/homelab"}, nil },
		Checks:    func(context.Context) ([]testrun.Check, error) { return builtin, builtinErr },
		External:  func(string, *slog.Logger) []testrun.Check { return external },
	}
}

func TestTestRun(t *testing.T) {
	t.Parallel()
	builtin := []testrun.Check{
		result("terraform reads back", testrun.StatusPassed, "", 120*time.Millisecond),
		result("provider schema", testrun.StatusPassed, "", 30*time.Millisecond),
	}
	external := []testrun.Check{
		result(testrun.CheckTofuFmt, testrun.StatusPassed, "", 200*time.Millisecond),
		result(testrun.CheckTofuTest, testrun.StatusSkipped, "provider bpg/proxmox not installed: Failed to resolve provider packages", time.Millisecond),
		result(testrun.CheckAnsibleInventory, testrun.StatusPassed, "", 1500*time.Millisecond),
		result(testrun.CheckAnsibleSyntax, testrun.StatusFailed, "ERROR! conflicting action statements: ping, debug\n\nThe error appears to be in 'site.yml': line 4", time.Second),
	}
	allPass := []testrun.Check{result(testrun.CheckTofuFmt, testrun.StatusPassed, "", 200*time.Millisecond)}
	tests := []struct {
		name     string
		format   string
		tty      bool
		builtin  []testrun.Check
		err      error
		external []testrun.Check
		wantErr  error
	}{
		{name: "plain", external: external, builtin: builtin, wantErr: cmdutil.ErrSilent},
		{name: "tty", tty: true, external: external, builtin: builtin, wantErr: cmdutil.ErrSilent},
		{name: "json", format: "json", external: external, builtin: builtin, wantErr: cmdutil.ErrSilent},
		{name: "all pass", external: allPass},
		{name: "builtin error", err: errors.New("open state store: database is locked"), external: allPass, wantErr: cmdutil.ErrSilent},
		{name: "nothing", format: "json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, out, errOut := iostreams.Test()
			ios.SetStdoutTTY(tt.tty)
			ios.SetStderrTTY(tt.tty)
			ios.SetColorEnabled(tt.tty)
			err := testRun(context.Background(), fakeOptions(ios, tt.format, tt.builtin, tt.err, tt.external))
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			golden(t, out.String()+"--- stderr\n"+errOut.String())
		})
	}
}

func TestTestRunCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	ios, _, out, _ := iostreams.Test()
	checks := []testrun.Check{
		{Name: "first", Run: func(context.Context) testrun.Result {
			cancel()
			return testrun.Result{Status: testrun.StatusPassed, Duration: time.Second}
		}},
		result("second", testrun.StatusPassed, "", time.Second),
	}
	err := testRun(ctx, fakeOptions(ios, "", nil, nil, checks))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	want := "✓ first (1.0s)\n- second: SKIPPED (cancelled)\n1 passed, 0 failed, 1 skipped\n"
	if d := cmp.Diff(want, out.String()); d != "" {
		t.Errorf("output (-want +got):\n%s", d)
	}
}

func TestTestRunBadOutput(t *testing.T) {
	t.Parallel()
	ios, _, _, _ := iostreams.Test()
	opts := fakeOptions(ios, "xml", nil, nil, nil)
	opts.Workspace = func() (*workspace.Workspace, error) {
		t.Error("workspace opened before flags were checked")
		return nil, nil
	}
	err := testRun(context.Background(), opts)
	var fe *cmdutil.FlagError
	if !errors.As(err, &fe) {
		t.Fatalf("err = %v, want a FlagError", err)
	}
}

// TestOutsideWorkspace runs in a folder that is no workspace: the error
// names it and the hint says to run init.
func TestOutsideWorkspace(t *testing.T) {
	dir := t.TempDir()
	if _, ok, err := workspace.Find(dir); err != nil || ok {
		t.Skipf("a workspace encloses %s (ok=%v, err=%v)", dir, ok, err)
	}
	t.Chdir(dir)
	ios, _, out, _ := iostreams.Test()
	opts := fakeOptions(ios, "", nil, nil, nil)
	opts.Workspace = openWorkspace
	err := testRun(context.Background(), opts)
	var nf *workspace.NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("err = %v, want a workspace.NotFoundError", err)
	}
	d := diag.FromError(err)
	if !strings.Contains(d.Summary, "no proxmox-mpc workspace in") || !strings.Contains(d.Hint, "run `proxmox-mpc init`") {
		t.Errorf("diagnostic = %+v", d)
	}
	if out.Len() != 0 {
		t.Errorf("printed %q outside a workspace", out.String())
	}
}

// TestWithRealRunner runs the real external checks on an empty workspace
// with no tools on PATH: every one is skipped with a reason, none passes.
func TestWithRealRunner(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	ios, _, out, _ := iostreams.Test()
	opts := fakeOptions(ios, "", nil, nil, nil)
	opts.Workspace = func() (*workspace.Workspace, error) { return &workspace.Workspace{Root: root}, nil }
	opts.External = func(root string, logger *slog.Logger) []testrun.Check {
		r := &testrun.Runner{Dir: root, Logger: logger, LookPath: func(string) (string, error) { return "", errors.New("not found") }}
		return r.ExternalChecks()
	}
	if err := testRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	golden(t, out.String())
}
