package testrun

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRun(t *testing.T) {
	t.Parallel()
	pass := func(context.Context) Result { return Result{Status: StatusPassed, Duration: time.Second} }
	fail := func(context.Context) Result { return Result{Name: "renamed", Status: StatusFailed, Detail: "boom"} }
	var seen []string
	got := Run(context.Background(), []Check{
		{Name: "a", Run: pass},
		{Name: "b", Run: fail},
		{Name: "c", Run: func(context.Context) Result { return Result{} }},
		{Name: "d"},
	}, func(r Result) { seen = append(seen, r.Name) })
	for i := range got {
		if got[i].Name != "a" {
			got[i].Duration = 0
		}
	}
	want := []Result{
		{Name: "a", Status: StatusPassed, Duration: time.Second},
		{Name: "renamed", Status: StatusFailed, Detail: "boom"},
		{Name: "c", Status: StatusFailed, Detail: "check returned no status"},
		{Name: "d", Status: StatusSkipped, Detail: "nothing to run"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("results (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"a", "renamed", "c", "d"}, seen); d != "" {
		t.Errorf("progress (-want +got):\n%s", d)
	}
	if s := Summarize(got); s != (Summary{Passed: 1, Failed: 2, Skipped: 1}) {
		t.Errorf("summary = %+v", s)
	}
}

func TestRunCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	ran := 0
	got := Run(ctx, []Check{
		{Name: "first", Run: func(context.Context) Result { ran++; cancel(); return Result{Status: StatusPassed} }},
		{Name: "second", Run: func(context.Context) Result { ran++; return Result{Status: StatusPassed} }},
		{Name: "third", Run: func(context.Context) Result { ran++; return Result{Status: StatusPassed} }},
	}, nil)
	if ran != 1 {
		t.Errorf("ran %d checks after cancel, want 1", ran)
	}
	for _, r := range got[1:] {
		if r.Status != StatusSkipped || r.Detail != "cancelled" {
			t.Errorf("%s = %s %q, want skipped \"cancelled\"", r.Name, r.Status, r.Detail)
		}
	}
}

// workspaceDir makes a workspace with the given files (relative path → content).
func workspaceDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fakeTools answers LookPath for the tools it has and Exec by the first
// argument (the subcommand, or the tool's base name).
type fakeTools struct {
	have  map[string]bool
	reply map[string]fakeReply
	calls []string
}

type fakeReply struct {
	out string
	err error
}

func (f *fakeTools) lookPath(name string) (string, error) {
	if f.have[name] {
		return "/usr/bin/" + name, nil
	}
	return "", errors.New("executable file not found in $PATH")
}

func (f *fakeTools) exec(_ context.Context, dir, name string, args ...string) ([]byte, error) {
	key := filepath.Base(name) + " " + args[0]
	f.calls = append(f.calls, key+" @"+filepath.Base(dir))
	r, ok := f.reply[key]
	if !ok {
		return nil, nil
	}
	return []byte(r.out), r.err
}

var errExit = errors.New("exit status 1")

func TestExternalChecks(t *testing.T) {
	t.Parallel()
	full := map[string]string{
		"terraform/main.tf":              "",
		"tests/terraform/pve.tftest.hcl": "",
		"ansible/inventory.yml":          "",
		"ansible/playbooks/site.yml":     "",
	}
	all := map[string]bool{"tofu": true, "terraform": true, "ansible-inventory": true, "ansible-playbook": true}
	offline := "\n╷\n│ Error: Failed to query available provider packages\n│ \n│ Could not retrieve the list of available versions for provider bpg/proxmox: could not connect to registry.opentofu.org\n╵\n"
	tests := []struct {
		name   string
		files  map[string]string
		have   map[string]bool
		reply  map[string]fakeReply
		check  string
		want   Status
		detail string // want Detail to contain this
		calls  []string
	}{
		{name: "fmt no tool", files: full, have: map[string]bool{}, check: CheckTofuFmt, want: StatusSkipped, detail: "neither tofu nor terraform is on PATH"},
		{name: "fmt no code", files: map[string]string{}, have: all, check: CheckTofuFmt, want: StatusSkipped, detail: "no .tf files in terraform/"},
		{name: "fmt ok", files: full, have: all, check: CheckTofuFmt, want: StatusPassed, calls: []string{"tofu fmt @terraform"}},
		{name: "fmt terraform only", files: full, have: map[string]bool{"terraform": true}, check: CheckTofuFmt, want: StatusPassed, calls: []string{"terraform fmt @terraform"}},
		{name: "fmt unformatted", files: full, have: all, check: CheckTofuFmt, want: StatusFailed, detail: "not formatted as `tofu fmt` would: a.tf, sub/b.tf",
			reply: map[string]fakeReply{"tofu fmt": {out: "a.tf\n--- old/a.tf\n+++ new/a.tf\n@@ -1 +1 @@\n-a=1\n+a = 1\nsub/b.tf\n", err: errExit}}},
		{name: "fmt syntax error", files: full, have: all, check: CheckTofuFmt, want: StatusFailed, detail: "Error: Invalid character",
			reply: map[string]fakeReply{"tofu fmt": {out: "╷\n│ Error: Invalid character\n╵\n", err: errExit}}},
		{name: "test no tool", files: full, have: map[string]bool{"terraform": true}, check: CheckTofuTest, want: StatusSkipped, detail: "tofu is not on PATH"},
		{name: "test no tests", files: map[string]string{"terraform/main.tf": ""}, have: all, check: CheckTofuTest, want: StatusSkipped, detail: "no .tftest.hcl files in tests/terraform"},
		{name: "test offline", files: full, have: all, check: CheckTofuTest, want: StatusSkipped,
			detail: "provider bpg/proxmox not installed: Failed to query available provider packages",
			reply:  map[string]fakeReply{"tofu init": {out: offline, err: errExit}}, calls: []string{"tofu init @terraform"}},
		{name: "test init broken config", files: full, have: all, check: CheckTofuTest, want: StatusFailed, detail: "init: ╷\n│ Error: Unsupported block type",
			reply: map[string]fakeReply{"tofu init": {out: "╷\n│ Error: Unsupported block type\n╵\n", err: errExit}}},
		{name: "test fails", files: full, have: all, check: CheckTofuTest, want: StatusFailed, detail: "Error: Test assertion failed",
			reply: map[string]fakeReply{"tofu test": {out: "pve.tftest.hcl... fail\n╷\n│ Error: Test assertion failed\n", err: errExit}},
			calls: []string{"tofu init @terraform", "tofu test @terraform"}},
		{name: "test passes", files: full, have: all, check: CheckTofuTest, want: StatusPassed, detail: "Success! 1 passed, 0 failed.",
			reply: map[string]fakeReply{"tofu test": {out: "pve.tftest.hcl... pass\n\nSuccess! 1 passed, 0 failed.\n"}}},
		{name: "inventory no tool", files: full, have: map[string]bool{"ansible-playbook": true}, check: CheckAnsibleInventory, want: StatusSkipped, detail: "ansible-inventory is not on PATH"},
		{name: "inventory no file", files: map[string]string{}, have: all, check: CheckAnsibleInventory, want: StatusSkipped, detail: "ansible/inventory.yml not found"},
		{name: "inventory ok", files: full, have: all, check: CheckAnsibleInventory, want: StatusPassed, calls: []string{"ansible-inventory -i @ansible"}},
		{name: "inventory unparsed warning", files: full, have: all, check: CheckAnsibleInventory, want: StatusFailed, detail: "Unable to parse",
			reply: map[string]fakeReply{"ansible-inventory -i": {out: "[WARNING]: Unable to parse inventory.yml as an inventory source\n@all:\n  |--@ungrouped:\n"}}},
		{name: "syntax no playbook", files: map[string]string{"ansible/inventory.yml": ""}, have: all, check: CheckAnsibleSyntax, want: StatusSkipped, detail: "ansible/playbooks/site.yml not found"},
		{name: "syntax fails", files: full, have: all, check: CheckAnsibleSyntax, want: StatusFailed, detail: "ERROR! conflicting action statements",
			reply: map[string]fakeReply{"ansible-playbook --syntax-check": {out: "ERROR! conflicting action statements: ping, debug\n", err: errExit}}},
		{name: "syntax ok", files: full, have: all, check: CheckAnsibleSyntax, want: StatusPassed, calls: []string{"ansible-playbook --syntax-check @ansible"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ft := &fakeTools{have: tt.have, reply: tt.reply}
			r := &Runner{Dir: workspaceDir(t, tt.files), LookPath: ft.lookPath, Exec: ft.exec}
			var got *Result
			for _, c := range r.ExternalChecks() {
				if c.Name == tt.check {
					res := c.Run(context.Background())
					got = &res
				}
			}
			if got == nil {
				t.Fatalf("no check %q", tt.check)
			}
			if got.Name != tt.check || got.Status != tt.want || !strings.Contains(got.Detail, tt.detail) {
				t.Errorf("got %s %s %q, want %s %s containing %q", got.Name, got.Status, got.Detail, tt.check, tt.want, tt.detail)
			}
			if tt.want == StatusSkipped && got.Detail == "" {
				t.Error("skipped without a reason")
			}
			if tt.calls != nil {
				if d := cmp.Diff(tt.calls, ft.calls); d != "" {
					t.Errorf("calls (-want +got):\n%s", d)
				}
			}
		})
	}
}

func TestTofuTestInitTimeout(t *testing.T) {
	t.Parallel()
	dir := workspaceDir(t, map[string]string{"terraform/main.tf": "", "tests/terraform/a.tftest.hcl": ""})
	r := &Runner{Dir: dir, InitTimeout: time.Millisecond,
		LookPath: func(string) (string, error) { return "/usr/bin/tofu", nil },
		Exec: func(ctx context.Context, _, _ string, _ ...string) ([]byte, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}}
	got := r.tofuTest(context.Background())
	if got.Status != StatusSkipped || !strings.HasPrefix(got.Detail, "provider bpg/proxmox not installed: init did not finish within") {
		t.Errorf("got %s %q", got.Status, got.Detail)
	}
}

func TestCancelledToolIsSkipped(t *testing.T) {
	t.Parallel()
	dir := workspaceDir(t, map[string]string{"terraform/main.tf": ""})
	ctx, cancel := context.WithCancel(context.Background())
	r := &Runner{Dir: dir,
		LookPath: func(string) (string, error) { return "/usr/bin/tofu", nil },
		Exec: func(context.Context, string, string, ...string) ([]byte, error) {
			cancel()
			return []byte("killed"), errors.New("signal: killed")
		}}
	got := r.tofuFmt(ctx)
	if got.Status != StatusSkipped || got.Detail != "cancelled" {
		t.Errorf("got %s %q, want skipped cancelled", got.Status, got.Detail)
	}
}

func TestFirstLines(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("line\n", 40)
	got := firstLines("\n\n" + long)
	if n := strings.Count(got, "\n"); n != detailLines {
		t.Errorf("kept %d line breaks, want %d (12 lines and the ellipsis)", n, detailLines)
	}
	if !strings.HasSuffix(got, "…") {
		t.Errorf("no ellipsis: %q", got)
	}
	if got := firstError("\n╷\n│ Error: X failed\n│ more\n"); got != "X failed" {
		t.Errorf("firstError = %q", got)
	}
}
