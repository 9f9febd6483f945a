package console

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
)

// fakeExec records the args of every call; a command named "fail" exits 1.
type fakeExec struct {
	mu    sync.Mutex
	calls [][]string
}

func (f *fakeExec) exec(_ context.Context, args []string, stdout, _ io.Writer) int {
	f.mu.Lock()
	f.calls = append(f.calls, args)
	f.mu.Unlock()
	if args[0] == "fail" {
		return 1
	}
	if args[0] == "help" {
		io.WriteString(stdout, "HELP\n")
	}
	return 0
}

func testCommands() []string {
	return []string{"get", "sync", "status", "init", "help", "context", "list-nodes", "describe", "history", "fail"}
}

func runScript(t *testing.T, script string, opts Options) (code int, calls [][]string, stdout, stderr string) {
	t.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(script)
	fe := &fakeExec{}
	opts.IO = ios
	opts.Exec = fe.exec
	if opts.Commands == nil {
		opts.Commands = testCommands
	}
	code = Run(t.Context(), opts)
	return code, fe.calls, out.String(), errOut.String()
}

func TestScripted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		commands   []string
		script     string
		wantCode   int
		wantCalls  [][]string
		wantStderr string
	}{
		{
			name:      "slash commands map to the commands",
			script:    "/sync\n/status\n/init --yes --name lab\n/help get\n/context list\n/context use pve1\n",
			wantCalls: [][]string{{"sync"}, {"status"}, {"init", "--yes", "--name", "lab"}, {"help", "get"}, {"context", "list"}, {"context", "use", "pve1"}},
		},
		{
			name:      "plain commands and a slash before any command",
			script:    "sync\nget vms -o json\n/list-nodes\nhelp\n",
			wantCalls: [][]string{{"sync"}, {"get", "vms", "-o", "json"}, {"list-nodes"}, {"help"}},
		},
		{
			name:      "slash verbs work when Commands lacks them",
			commands:  []string{"get"},
			script:    "help\n/help\nstatus\n/init\n",
			wantCalls: [][]string{{"help"}, {"help"}, {"status"}, {"init"}},
		},
		{
			name:      "quoting",
			script:    `get vms -l "name=web 01" --tag 'a b' c\ d` + "\n",
			wantCalls: [][]string{{"get", "vms", "-l", "name=web 01", "--tag", "a b", "c d"}},
		},
		{
			name:      "blank lines comments and CRLF",
			script:    "\n   \n# a comment\n  # indented comment\nget vms # trailing comment\r\n",
			wantCalls: [][]string{{"get", "vms"}},
		},
		{
			name:      "global flags first go to the command tree",
			script:    "--demo get vms\n",
			wantCalls: [][]string{{"--demo", "get", "vms"}},
		},
		{
			name:      "/exit stops",
			script:    "get vms\n/exit\nsync\n",
			wantCalls: [][]string{{"get", "vms"}},
		},
		{
			name:      "/quit stops",
			script:    "/quit\nsync\n",
			wantCalls: nil,
		},
		{
			name:      "exit without slash stops",
			script:    "exit\nsync\n",
			wantCalls: nil,
		},
		{
			name:       "did you mean",
			script:     "gett vms\n",
			wantCode:   1,
			wantStderr: "unknown command \"gett\" — did you mean get?\n",
		},
		{
			name:       "did you mean a slash verb",
			script:     "/synk\n",
			wantCode:   1,
			wantStderr: "unknown command \"/synk\" — did you mean /sync?\n",
		},
		{
			name:       "unknown single word",
			script:     "xyzzy\n",
			wantCode:   1,
			wantStderr: "unknown command \"xyzzy\" — type /help or `help` to see the commands\n",
		},
		{
			name:       "free text",
			script:     "show me all the vms on pve1\n",
			wantCode:   1,
			wantStderr: noNL + "\n",
		},
		{
			name:       "a question",
			script:     "which guests use most memory?\n",
			wantCode:   1,
			wantStderr: noNL + "\n",
		},
		{
			name:       "several unknown words without a close command",
			script:     "reboot everything now\n",
			wantCode:   1,
			wantStderr: noNL + "\n",
		},
		{
			name:      "a failing command does not stop the console; exit code 1",
			script:    "fail\nget vms\n",
			wantCode:  1,
			wantCalls: [][]string{{"fail"}, {"get", "vms"}},
		},
		{
			name:       "unclosed quote",
			script:     "get vms -l \"name=web\nsync\n",
			wantCode:   1,
			wantCalls:  [][]string{{"sync"}},
			wantStderr: "cannot split the line into words: EOF found when expecting closing quote — close the quote or escape it with \\\n",
		},
		{
			name:   "empty input",
			script: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := Options{}
			if tt.commands != nil {
				opts.Commands = func() []string { return tt.commands }
			}
			code, calls, _, stderr := runScript(t, tt.script, opts)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d", code, tt.wantCode)
			}
			if diff := cmp.Diff(tt.wantCalls, calls); diff != "" {
				t.Errorf("executor calls (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantStderr, stderr); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScriptedHelpAddsConsoleVerbs(t *testing.T) {
	t.Parallel()
	_, calls, stdout, _ := runScript(t, "/help\n/help get\n", Options{})
	if diff := cmp.Diff([][]string{{"help"}, {"help", "get"}}, calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if strings.Count(stdout, "Console:") != 1 || !strings.Contains(stdout, "/history") {
		t.Errorf("bare /help should add the console verbs once, after the command help; got:\n%s", stdout)
	}
}

func TestScriptedHistory(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "history")
	if err := os.WriteFile(path, []byte("old one\n\nold two\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stdout, _ := runScript(t, "get vms\n# not kept\n\n/history\n", Options{HistoryFile: path})
	if code != 0 {
		t.Errorf("exit code = %d", code)
	}
	want := "    1  old one\n    2  old two\n    3  get vms\n    4  /history\n"
	if diff := cmp.Diff(want, stdout); diff != "" {
		t.Errorf("/history (-want +got):\n%s", diff)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "old one\n\nold two\n" {
		t.Errorf("scripted mode must not write the history file; it holds %q", b)
	}
}

func TestScriptedHistoryWithoutFile(t *testing.T) {
	t.Parallel()
	_, _, stdout, _ := runScript(t, "sync\n/history\n", Options{})
	if diff := cmp.Diff("    1  sync\n    2  /history\n", stdout); diff != "" {
		t.Errorf("/history (-want +got):\n%s", diff)
	}
}

func TestClear(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		stdoutTTY bool
		want      string
	}{
		{"not a terminal: nothing", false, ""},
		{"terminal: ANSI clear", true, "\x1b[H\x1b[2J"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, in, out, _ := iostreams.Test()
			ios.SetStdoutTTY(tt.stdoutTTY)
			in.WriteString("/clear\n")
			fe := &fakeExec{}
			if code := Run(t.Context(), Options{IO: ios, Exec: fe.exec, Commands: testCommands}); code != 0 {
				t.Errorf("exit code = %d", code)
			}
			if out.String() != tt.want {
				t.Errorf("stdout = %q, want %q", out.String(), tt.want)
			}
		})
	}
}

func TestScriptedNoPromptNoWelcome(t *testing.T) {
	t.Parallel()
	_, _, stdout, stderr := runScript(t, "get vms\n", Options{Prompt: "PROMPT> ", Welcome: "WELCOME"})
	if stdout != "" || stderr != "" {
		t.Errorf("scripted mode printed stdout %q stderr %q", stdout, stderr)
	}
}

func TestScriptedCancelled(t *testing.T) {
	t.Parallel()
	ios, in, _, _ := iostreams.Test()
	in.WriteString("get vms\nsync\n")
	ctx, cancel := context.WithCancel(t.Context())
	var calls [][]string
	exec := func(_ context.Context, args []string, _, _ io.Writer) int {
		calls = append(calls, args)
		cancel() // as Ctrl-C during the first command
		return 130
	}
	if code := Run(ctx, Options{IO: ios, Exec: exec, Commands: testCommands}); code != exitInterrupted {
		t.Errorf("exit code = %d, want %d", code, exitInterrupted)
	}
	if diff := cmp.Diff([][]string{{"get", "vms"}}, calls); diff != "" {
		t.Errorf("calls after cancel (-want +got):\n%s", diff)
	}
}

func TestCompleter(t *testing.T) {
	t.Parallel()
	complete := func(_ context.Context, args []string, toComplete string) []string {
		if args[0] == "get" && len(args) == 1 {
			return []string{"vms\tvirtual machines", "nodes", "containers"}
		}
		if args[0] == "get" || args[0] == "sync" {
			return []string{"web-01", "web-02", "db-01", "--node="}
		}
		return nil
	}
	tests := []struct {
		name     string
		line     string
		complete func(context.Context, []string, string) []string
		want     []string
		wantLen  int
	}{
		{"command name", "ge", complete, []string{"t "}, 2},
		{"several commands", "s", complete, []string{"tatus ", "ync "}, 1},
		{"exit is offered", "ex", complete, []string{"it "}, 2},
		{"slash verbs", "/sy", complete, []string{"nc "}, 3},
		{"slash builtins", "/hi", complete, []string{"story "}, 3},
		{"argument, description dropped", "get v", complete, []string{"ms "}, 1},
		{"names", "get vms web", complete, []string{"-01 ", "-02 "}, 3},
		{"after a space", "get vms ", complete, []string{"--node=", "db-01 ", "web-01 ", "web-02 "}, 0},
		{"slash command arguments", "/sync d", complete, []string{"b-01 "}, 1},
		{"builtin takes no arguments", "/history w", complete, nil, 0},
		{"no completion source", "get v", nil, nil, 0},
		{"nothing matches", "zz", complete, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSession(Options{IO: &iostreams.IOStreams{}, Commands: testCommands, Complete: tt.complete})
			c := &completer{s: s, ctx: t.Context()}
			line := []rune(tt.line)
			got, n := c.Do(line, len(line))
			var gotS []string
			for _, r := range got {
				gotS = append(gotS, string(r))
			}
			if diff := cmp.Diff(tt.want, gotS); diff != "" {
				t.Errorf("candidates (-want +got):\n%s", diff)
			}
			if n != tt.wantLen {
				t.Errorf("length = %d, want %d", n, tt.wantLen)
			}
		})
	}
}

func TestCompleterCursorInsideLine(t *testing.T) {
	t.Parallel()
	s := newSession(Options{IO: &iostreams.IOStreams{}, Commands: testCommands})
	c := &completer{s: s, ctx: t.Context()}
	line := []rune("ge vms")
	got, n := c.Do(line, 2)
	if len(got) != 1 || string(got[0]) != "t " || n != 2 {
		t.Errorf("Do at pos 2 = %q, %d", got, n)
	}
	if got, _ := c.Do(line, 99); got != nil {
		t.Errorf("Do past the end = %q, want nothing", got)
	}
}
