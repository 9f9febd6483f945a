package app

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
)

// TestConsoleScripted: `proxmox-mpc` with commands on stdin runs them one
// by one through the same command tree, sharing one session (the demo
// simulator and the state persist between lines), and every action lands
// in the journal.
func TestConsoleScripted(t *testing.T) {
	t.Parallel()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(strings.Join([]string{
		"# a comment, then a blank line",
		"",
		"/sync",
		"stop vm web-01",
		"snapshot create vm db-01 pre-test",
		"get vms -l name=web-01 -o json --jq '.[0].status'",
		"journal -o json --jq '.[].action'",
		"gett vms",
		"please stop everything",
		"/exit",
		"get nodes",
	}, "\n") + "\n")
	env := map[string]string{"XDG_CONFIG_HOME": t.TempDir(), "PMC_STATE_URL": filepath.Join(t.TempDir(), "state.db")}
	code := Run(t.Context(), []string{"--demo"}, ios, func(k string) string { return env[k] })
	if code != 1 {
		t.Errorf("exit %d, want 1 (two lines failed)", code)
	}
	stdout, stderr := out.String(), errOut.String()
	for _, want := range []string{"Synced: +17 new", "stop vm/101 (web-01): OK", "snapshot-create vm/103 (db-01): OK", "stopped\n", "snapshot-create\nstop\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	for _, want := range []string{`unknown command "gett" — did you mean get, set or test?`, "natural-language requests are not available yet"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stdout, "pve1\tonline") {
		t.Errorf("a line after /exit ran:\n%s", stdout)
	}
}

// TestConsoleDebugToggle: /debug on shows each API call on stderr for the
// lines that follow, /debug off hides them again.
func TestConsoleDebugToggle(t *testing.T) {
	t.Parallel()
	ios, in, _, errOut := iostreams.Test()
	in.WriteString("get nodes\n/debug on\nget vms\n/debug off\nget storage\n")
	env := map[string]string{"XDG_CONFIG_HOME": t.TempDir(), "PMC_STATE_URL": filepath.Join(t.TempDir(), "state.db")}
	if code := Run(t.Context(), []string{"--demo"}, ios, func(k string) string { return env[k] }); code != 0 {
		t.Fatalf("exit %d:\n%s", code, errOut)
	}
	stderr := errOut.String()
	on, off := strings.Index(stderr, "debug on:"), strings.Index(stderr, "debug off:")
	if on < 0 || off < on {
		t.Fatalf("no on/off confirmations:\n%s", stderr)
	}
	if strings.Contains(stderr[:on], "pve api call") || strings.Contains(stderr[off:], "pve api call") {
		t.Errorf("API calls shown outside /debug on:\n%s", stderr)
	}
	if !strings.Contains(stderr[on:off], `msg="pve api call"`) || !strings.Contains(stderr[on:off], "path=/cluster/resources") {
		t.Errorf("no API call shown after /debug on:\n%s", stderr[on:off])
	}
}
