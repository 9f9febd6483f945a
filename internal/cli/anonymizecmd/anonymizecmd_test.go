package anonymizecmd

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/privacy"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

type fakeSource struct{ inv state.Inventory }

func (f *fakeSource) Inventory(context.Context) (state.Inventory, error) { return f.inv, nil }
func (f *fakeSource) SyncRuns(context.Context, int) ([]state.SyncRun, error) {
	return nil, nil
}
func (f *fakeSource) Operations(context.Context, state.OperationFilter) ([]state.Operation, error) {
	return nil, nil
}

var _ privacy.Source = (*fakeSource)(nil)

var fixedNow = func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }

func testDeps(t *testing.T) (Deps, *workspace.Workspace) {
	t.Helper()
	ws, err := workspace.Init(filepath.Join(t.TempDir(), "lab"), workspace.Config{Name: "lab", Endpoint: "https://10.1.2.3:8006"}, workspace.InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "proxmox-mpc")
	inv := state.Inventory{
		Nodes:  []state.Node{{Name: "pve-alpha"}},
		Guests: []state.Guest{{VMID: 100, Name: "web-01", Node: "pve-alpha", Pool: "prod", Config: map[string]string{"searchdomain": "corp.lan"}}},
	}
	return Deps{
		Workspace: func() (*workspace.Workspace, error) { return ws, nil },
		State:     func(context.Context) (privacy.Source, error) { return &fakeSource{inv: inv}, nil },
		ConfigDir: func() (string, error) { return cfg, nil },
	}, ws
}

func testFactory(ios *iostreams.IOStreams) *cmdutil.Factory {
	return &cmdutil.Factory{IOStreams: ios, Now: fixedNow, Build: cmdutil.BuildInfo{Version: "1.2.3"},
		Output: func() cmdutil.OutputOptions { return cmdutil.OutputOptions{} }}
}

func TestAnonymizeFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		wantErr string
		check   func(*AnonymizeOptions) bool
	}{
		{name: "file", args: []string{"x.log"}, check: func(o *AnonymizeOptions) bool { return o.Input == "x.log" && o.Since == time.Hour }},
		{name: "logs since", args: []string{"logs", "--since", "30m", "-o", "out.txt"}, check: func(o *AnonymizeOptions) bool {
			return o.Input == "logs" && o.Since == 30*time.Minute && o.Out == "out.txt"
		}},
		{name: "reverse", args: []string{"--reverse", "a.txt", "--map", "m.json"}, check: func(o *AnonymizeOptions) bool { return o.Reverse == "a.txt" && o.Map == "m.json" }},
		{name: "nothing", args: nil, wantErr: "one FILE"},
		{name: "two files", args: []string{"a", "b"}, wantErr: "one FILE"},
		{name: "reverse without map", args: []string{"--reverse", "a.txt"}, wantErr: "needs --map"},
		{name: "map without reverse", args: []string{"a.txt", "--map", "m"}, wantErr: "--map goes with --reverse"},
		{name: "reverse and a file", args: []string{"b.txt", "--reverse", "a.txt", "--map", "m"}, wantErr: "--reverse takes"},
		{name: "reverse with export", args: []string{"--reverse", "a", "--map", "m", "--export-map", "x"}, wantErr: "cannot be combined"},
		{name: "since on a file", args: []string{"x.log", "--since", "2h"}, wantErr: "--since goes with"},
		{name: "negative since", args: []string{"logs", "--since", "-1h"}, wantErr: "positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, _, _ := iostreams.Test()
			var got *AnonymizeOptions
			cmd := NewCmdAnonymize(testFactory(ios), Deps{}, func(_ context.Context, o *AnonymizeOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(ios.Out)
			cmd.SetErr(ios.ErrOut)
			err := cmd.Execute()
			if tt.wantErr != "" {
				var fe *cmdutil.FlagError
				if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want a FlagError with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got == nil || !tt.check(got) {
				t.Fatalf("err %v, options %+v", err, got)
			}
		})
	}
}

func TestAnonymizeRun(t *testing.T) {
	t.Parallel()
	deps, ws := testDeps(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "note.txt")
	orig := "web-01 on pve-alpha at 10.1.2.3 in prod, db.corp.lan\n"
	if err := os.WriteFile(in, []byte(orig), 0o600); err != nil {
		t.Fatal(err)
	}
	mapPath := filepath.Join(ws.Root, "map.json")
	ios, _, out, errOut := iostreams.Test()
	opts := &AnonymizeOptions{IO: ios, Deps: deps, Now: fixedNow, Input: in, Since: time.Hour, ExportMap: mapPath}
	if err := anonymizeRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	anon, err := os.ReadFile(filepath.Join(dir, "note.anon.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, real := range []string{"web-01", "pve-alpha", "10.1.2.3", "prod", "corp.lan"} {
		if strings.Contains(string(anon), real) {
			t.Errorf("anonymized text holds %q: %s", real, anon)
		}
	}
	if !strings.Contains(out.String(), "masked: 1 ipv4, 4 host, 1 fqdn\n") {
		t.Errorf("stdout:\n%s", out.String())
	}
	if !strings.Contains(errOut.String(), "inside the workspace") {
		t.Errorf("no warning about a map inside the workspace:\n%s", errOut.String())
	}

	ios, _, out, _ = iostreams.Test()
	back := filepath.Join(dir, "back.txt")
	if err := anonymizeRun(context.Background(), &AnonymizeOptions{IO: ios, Now: fixedNow, Reverse: filepath.Join(dir, "note.anon.txt"), Map: mapPath, Out: back}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(back); string(got) != orig || !strings.HasPrefix(out.String(), "Wrote ") {
		t.Errorf("reverse gave %q, want %q; stdout %q", got, orig, out)
	}

	// logs: from the Logs dependency, into .proxmox-mpc/logs-TIME.anon.log
	deps.Logs = func(_ context.Context, since time.Time) ([]byte, error) {
		if !since.Equal(fixedNow().Add(-30 * time.Minute)) {
			t.Errorf("logs since %v", since)
		}
		return []byte(`{"msg":"start web-01"}` + "\n"), nil
	}
	ios, _, out, _ = iostreams.Test()
	if err := anonymizeRun(context.Background(), &AnonymizeOptions{IO: ios, Deps: deps, Now: fixedNow, Input: "logs", Since: 30 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(ws.Root, workspace.Dir, "logs-20260301T120000Z.anon.log")
	if data, err := os.ReadFile(p); err != nil || strings.Contains(string(data), "web-01") || !strings.Contains(string(data), `"msg":"start host-`) {
		t.Errorf("%s: %q %v", p, data, err)
	}
	if !strings.Contains(out.String(), "masked: 1 host\n") {
		t.Errorf("stdout of anonymize logs: %q", out)
	}
}

func TestNeedsWorkspace(t *testing.T) {
	t.Parallel()
	deps := Deps{Workspace: func() (*workspace.Workspace, error) { return nil, &workspace.NotFoundError{Start: "/tmp"} }}
	ios, _, _, _ := iostreams.Test()
	runs := map[string]func() error{
		"anonymize": func() error {
			return anonymizeRun(context.Background(), &AnonymizeOptions{IO: ios, Deps: deps, Now: fixedNow, Input: "x", Since: time.Hour})
		},
		"privacy": func() error {
			return privacyRun(context.Background(), &PrivacyOptions{IO: ios, Deps: deps, Now: fixedNow})
		},
		"report-issue": func() error {
			return reportRun(context.Background(), &ReportOptions{IO: ios, Deps: deps, Now: fixedNow, Since: time.Hour})
		},
	}
	for name, run := range runs {
		var ne *NeedsWorkspaceError
		if err := run(); !errors.As(err, &ne) || ne.Command != name || !strings.Contains(ne.Hint(), "proxmox-mpc init") {
			t.Errorf("%s outside a workspace: %v", name, err)
		}
	}
}

func TestNeverSyncedWarns(t *testing.T) {
	t.Parallel()
	deps, _ := testDeps(t)
	deps.State = func(context.Context) (privacy.Source, error) { return nil, &inventory.NoStateError{Location: "x"} }
	ios, _, out, errOut := iostreams.Test()
	if err := privacyRun(context.Background(), &PrivacyOptions{IO: ios, Deps: deps, Now: fixedNow}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut.String(), "never synced") || !strings.Contains(out.String(), "Known:     no names") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out, errOut)
	}
}

func TestPrivacyRun(t *testing.T) {
	t.Parallel()
	deps, ws := testDeps(t)
	ios, _, out, errOut := iostreams.Test()
	opts := &PrivacyOptions{IO: ios, Deps: deps, Now: fixedNow, Disable: []string{"mac", "password"}, Allow: []string{"10.0.0.1"}, Block: []string{"Project Falcon"}}
	if err := privacyRun(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{
		"Rules:     " + filepath.Join(ws.Root, workspace.Dir, privacy.RulesFile) + " (in use)",
		"Known:     3 names (1 node, 1 guest, 0 storages, 1 pool) and 1 domain, from the last sync",
		"  mac              off     pseudonym\n",
		"  ipv4             masked  pseudonym\n",
		`Allow:     "10.0.0.1"`,
		`Block:     "Project Falcon"`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("stdout misses %q:\n%s", want, s)
		}
	}
	if !strings.Contains(errOut.String(), "password are secrets") {
		t.Errorf("no warning for disabling a secret type:\n%s", errOut)
	}

	mapPath := filepath.Join(t.TempDir(), "map.json")
	ios, _, _, _ = iostreams.Test()
	if err := privacyRun(context.Background(), &PrivacyOptions{IO: ios, Deps: deps, Now: fixedNow, ExportMap: mapPath}); err != nil {
		t.Fatal(err)
	}
	m, err := privacy.ReadReverse(mapPath)
	if err != nil {
		t.Fatal(err)
	}
	reals := map[string]bool{}
	for _, v := range m {
		reals[v] = true
	}
	for _, want := range []string{"web-01", "pve-alpha", "prod", "corp"} {
		if !reals[want] {
			t.Errorf("the known-name map %v misses %q", m, want)
		}
	}
}

func TestReportRun(t *testing.T) {
	t.Parallel()
	deps, ws := testDeps(t)
	ios, _, out, _ := iostreams.Test()
	if err := reportRun(context.Background(), &ReportOptions{IO: ios, Deps: deps, Now: fixedNow, Since: time.Hour, Version: "1.2.3"}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(ws.Root, workspace.Dir, "report-20260301T120000Z.tar.gz")
	if _, err := os.Stat(p); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"Bundle:    " + p + " (", "anonymized)", "Contains:  MANIFEST.txt, state.json, config.yaml, logs/recent.log, errors.json",
		"Left out:  health: not available", "Suggested prompt", "consistent pseudonyms", "My problem: <describe"} {
		if !strings.Contains(s, want) {
			t.Errorf("stdout misses %q:\n%s", want, s)
		}
	}

	ios, _, _, _ = iostreams.Test()
	var ce *ConfirmRequiredError
	err := reportRun(context.Background(), &ReportOptions{IO: ios, Deps: deps, Now: fixedNow, Since: time.Hour, NoAnonymize: true})
	if !errors.As(err, &ce) || cmdutil.ExitCode(err) != 2 {
		t.Errorf("--no-anonymize without a terminal or --yes: %v", err)
	}

	ios, in, out, _ := iostreams.Test()
	ios.SetStdinTTY(true)
	ios.SetStdoutTTY(true)
	in.WriteString("n\n")
	if err := reportRun(context.Background(), &ReportOptions{IO: ios, Deps: deps, Now: fixedNow, Since: time.Hour, NoAnonymize: true, Out: filepath.Join(t.TempDir(), "r.tgz")}); !errors.Is(err, cmdutil.ErrCancel) {
		t.Errorf("answering n: %v, out %s", err, out)
	}

	ios, _, out, _ = iostreams.Test()
	raw := filepath.Join(t.TempDir(), "raw.tgz")
	if err := reportRun(context.Background(), &ReportOptions{IO: ios, Deps: deps, Now: fixedNow, Since: time.Hour, NoAnonymize: true, Yes: true, Out: raw}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "NOT anonymized") || strings.Contains(out.String(), "consistent pseudonyms") {
		t.Errorf("raw bundle output:\n%s", out)
	}
}
