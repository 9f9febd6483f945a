package guest

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/lifecycle/lifecycletest"
)

func TestPowerByNameJournaled(t *testing.T) {
	t.Parallel()
	e := newEnv(t, lifecycletest.Options{})
	if err := e.run(t, NewCmdStop(e.f, e.lc, nil), "vm", "web-01"); err != nil {
		t.Fatalf("stop: %v\n%s", err, e.errOut)
	}
	if got := e.status(t, "vm", 101); got != "stopped" {
		t.Fatalf("after stop: status %q", got)
	}
	if !strings.Contains(e.out.String(), "stop vm/101 (web-01): OK") {
		t.Errorf("stdout = %q, want the final status line", e.out)
	}
	if err := e.run(t, NewCmdStart(e.f, e.lc, nil), "vm", "101"); err != nil {
		t.Fatalf("start: %v", err)
	}
	if got := e.status(t, "vm", 101); got != "running" {
		t.Fatalf("after start: status %q", got)
	}
	ops := e.ops(t) // newest first
	type row struct{ Action, Target, Outcome, Identity, User string }
	var got []row
	for _, op := range ops {
		got = append(got, row{op.Action, op.Target, op.Outcome, op.APIIdentity, op.OSUser})
		if op.UPID == "" || op.CorrelationID == "" || op.FinishedAt == nil {
			t.Errorf("op %+v: want upid, correlation id and finish time", op)
		}
	}
	want := []row{
		{"start", "vm/101", "ok", "root@pam!sim", "tester"},
		{"stop", "vm/101", "ok", "root@pam!sim", "tester"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("journal (-want +got):\n%s", d)
	}
}

func TestPowerSelectorBatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, lifecycletest.Options{})
	if err := e.run(t, NewCmdShutdown(e.f, e.lc, nil), "vm", "-l", "tag=web"); err != nil {
		t.Fatalf("shutdown: %v\n%s", err, e.errOut)
	}
	for _, c := range []struct {
		typ  string
		vmid int
		want string
	}{
		{"vm", 101, "stopped"},
		{"vm", 102, "stopped"},
		{"ct", 201, "running"}, // a web-tagged container: not a vm
		{"vm", 100, "running"},
	} {
		if got := e.status(t, c.typ, c.vmid); got != c.want {
			t.Errorf("%s %d: status %q, want %q", c.typ, c.vmid, got, c.want)
		}
	}
	if n := len(e.ops(t)); n != 2 {
		t.Errorf("journal has %d entries, want 2", n)
	}
}

func TestPowerSkipsGuestsInState(t *testing.T) {
	t.Parallel()
	e := newEnv(t, lifecycletest.Options{})
	// dev-sandbox is stopped, ubuntu-2404-cloudinit is a template
	if err := e.run(t, NewCmdStop(e.f, e.lc, nil), "vm", "dev-sandbox", "ubuntu-2404-cloudinit"); err != nil {
		t.Fatal(err)
	}
	if n := e.Mutating(); n != 0 {
		t.Errorf("%d mutating calls, want 0", n)
	}
	for _, want := range []string{"vm/109 (dev-sandbox) is not running; skipped", "vm/9000 (ubuntu-2404-cloudinit) is a template"} {
		if !strings.Contains(e.errOut.String(), want) {
			t.Errorf("stderr %q lacks %q", e.errOut, want)
		}
	}
}

func TestDryRunMakesNoCalls(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cmd  func(e *env) []string
		args []string
		want []string
	}{
		{"stop batch", nil, []string{"stop", "vm", "-l", "tag=web", "--dry-run"},
			[]string{"POST /nodes/pve1/qemu/101/status/stop", "POST /nodes/pve2/qemu/102/status/stop"}},
		{"shutdown timeout", nil, []string{"shutdown", "ct", "pihole", "--timeout", "60", "--dry-run"},
			[]string{"POST /nodes/pve1/lxc/200/status/shutdown timeout=60"}},
		{"delete with stop", nil, []string{"delete", "vm", "web-01", "--stop", "--purge", "--dry-run"},
			[]string{"POST /nodes/pve1/qemu/101/status/stop", "DELETE /nodes/pve1/qemu/101 destroy-unreferenced-disks=1 purge=1"}},
		{"snapshot create", nil, []string{"snapshot", "create", "vm", "web-01", "pre-up", "--description", "before upgrade", "--vmstate", "--dry-run"},
			[]string{`POST /nodes/pve1/qemu/101/snapshot description="before upgrade" snapname=pre-up vmstate=1`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, lifecycletest.Options{})
			var err error
			switch tt.args[0] {
			case "stop":
				err = e.run(t, NewCmdStop(e.f, e.lc, nil), tt.args[1:]...)
			case "shutdown":
				err = e.run(t, NewCmdShutdown(e.f, e.lc, nil), tt.args[1:]...)
			case "delete":
				err = e.run(t, NewCmdDelete(e.f, e.lc, nil), tt.args[1:]...)
			case "snapshot":
				err = e.run(t, NewCmdSnapshot(e.f, e.lc, nil), tt.args[1:]...)
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, e.errOut)
			}
			if n := e.Mutating(); n != 0 {
				t.Errorf("%d mutating calls in a dry run", n)
			}
			var got []string
			for _, l := range strings.Split(strings.TrimSpace(e.out.String()), "\n")[1:] {
				got = append(got, strings.TrimSpace(l))
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("calls (-want +got):\n%s", d)
			}
			if n := len(e.ops(t)); n != 0 {
				t.Errorf("dry run journaled %d entries", n)
			}
		})
	}
}

func TestFailedTaskShowsLogTail(t *testing.T) {
	t.Parallel()
	e := newEnv(t, lifecycletest.Options{TaskFailRate: 1})
	err := e.run(t, NewCmdStart(e.f, e.lc, nil), "vm", "dev-sandbox")
	var tail []string
	var lt interface{ Hint() string }
	if err == nil || !errors.As(err, &lt) || !strings.Contains(err.Error(), "failed") {
		t.Fatalf("err = %v, want a failed task with a hint", err)
	}
	if got := cmdutil.ExitCode(err); got != 1 {
		t.Errorf("exit code %d, want 1", got)
	}
	for _, l := range strings.Split(e.errOut.String(), "\n") {
		if rest, ok := strings.CutPrefix(l, "    | "); ok {
			tail = append(tail, rest)
		}
	}
	if len(tail) == 0 || !strings.Contains(lt.Hint(), tail[len(tail)-1]) {
		t.Errorf("stderr %q does not show the log tail ending in the hint's last line %q", e.errOut, lt.Hint())
	}
	ops := e.ops(t)
	if len(ops) != 1 || ops[0].Outcome != "failed" || ops[0].Error == "" || ops[0].UPID == "" {
		t.Errorf("journal = %+v, want one failed entry with error and upid", ops)
	}
}

func TestBatchStopsAtFirstFailureUnlessContinue(t *testing.T) {
	t.Parallel()
	for _, cont := range []bool{false, true} {
		e := newEnv(t, lifecycletest.Options{TaskFailRate: 1})
		args := []string{"vm", "web-01", "web-02"}
		if cont {
			args = append(args, "--continue-on-error")
		}
		err := e.run(t, NewCmdStop(e.f, e.lc, nil), args...)
		if err == nil {
			t.Fatal("want an error")
		}
		want := 1
		if cont {
			want = 2
		}
		if got := e.Mutating(); got != want {
			t.Errorf("continue=%v: %d calls, want %d", cont, got, want)
		}
	}
}

func TestDeleteConfirmation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		tty      bool
		stdin    string
		wantCode int // 0 = success
		deleted  []int
	}{
		{"no terminal no yes", []string{"vm", "dev-sandbox"}, false, "", 2, nil},
		{"no terminal yes", []string{"vm", "dev-sandbox", "--yes"}, false, "", 0, []int{109}},
		{"terminal y", []string{"vm", "dev-sandbox"}, true, "y\n", 0, []int{109}},
		{"terminal default no", []string{"vm", "dev-sandbox"}, true, "\n", 1, nil},
		{"terminal eof", []string{"vm", "dev-sandbox"}, true, "", 1, nil},
		{"batch typed count", []string{"vm", "dev-sandbox", "win11-desktop"}, true, "2\n", 0, []int{109, 104}},
		{"batch wrong count", []string{"vm", "dev-sandbox", "win11-desktop"}, true, "y\n", 1, nil},
		{"running refused", []string{"vm", "web-01", "--yes"}, false, "", 2, nil},
		{"running with stop", []string{"vm", "web-01", "--yes", "--stop"}, false, "", 0, []int{101}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, lifecycletest.Options{})
			e.ios.SetStdinTTY(tt.tty)
			e.ios.SetStdoutTTY(tt.tty)
			e.in.WriteString(tt.stdin)
			err := e.run(t, NewCmdDelete(e.f, e.lc, nil), tt.args...)
			if got := cmdutil.ExitCode(err); got != tt.wantCode {
				t.Fatalf("exit code %d (%v), want %d", got, err, tt.wantCode)
			}
			if tt.deleted == nil && e.Mutating() != 0 {
				t.Errorf("%d mutating calls, want none", e.Mutating())
			}
			for _, id := range tt.deleted {
				if _, ok := e.guest(t, "vm", id); ok {
					t.Errorf("vm %d still exists", id)
				}
			}
		})
	}
}

func TestSnapshotFlow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, lifecycletest.Options{})
	snap := func(args ...string) error {
		e.out.Reset()
		return e.run(t, NewCmdSnapshot(e.f, e.lc, nil), args...)
	}
	if err := snap("create", "ct", "pihole", "pre-up", "--description", "before upgrade"); err != nil {
		t.Fatalf("create: %v\n%s", err, e.errOut)
	}
	if err := snap("list", "ct", "pihole"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.out.String(), "pre-up") || !strings.Contains(e.out.String(), "before upgrade") {
		t.Errorf("list = %q, want the new snapshot", e.out)
	}
	if err := snap("create", "ct", "pihole", "pre-up"); cmdutil.ExitCode(err) != 2 {
		t.Errorf("duplicate create: %v, want a usage error", err)
	}
	if err := snap("rollback", "ct", "pihole", "pre-upp", "--yes"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("rollback of a typo: %v", err)
	}
	if err := snap("rollback", "ct", "pihole", "pre-up"); cmdutil.ExitCode(err) != 2 {
		t.Errorf("rollback without terminal or --yes: %v, want exit 2", err)
	}
	if err := snap("rollback", "ct", "pihole", "pre-up", "--yes"); err != nil {
		t.Fatalf("rollback: %v", err)
	}
	if err := snap("delete", "ct", "pihole", "pre-up", "--yes"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	g, _ := e.guest(t, "ct", 200)
	snaps, err := e.Lifecycle.Snapshots(t.Context(), g)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range snaps {
		if s.Name == "pre-up" {
			t.Error("snapshot pre-up still exists after delete")
		}
	}
	var actions []string
	for _, op := range e.ops(t) {
		actions = append(actions, op.Action+":"+op.Outcome)
	}
	if d := cmp.Diff([]string{"snapshot-delete:ok", "snapshot-rollback:ok", "snapshot-create:ok"}, actions); d != "" {
		t.Errorf("journal (-want +got):\n%s", d)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
	}{
		{"no target", []string{"vm"}},
		{"bad kind", []string{"vmm", "web-01"}},
		{"all and names", []string{"vm", "web-01", "--all"}},
		{"bad selector", []string{"vm", "-l", "colour=red"}},
		{"unknown guest", []string{"vm", "web-99"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, lifecycletest.Options{})
			err := e.run(t, NewCmdStart(e.f, e.lc, nil), tt.args...)
			if err == nil {
				t.Fatal("want an error")
			}
			if e.Mutating() != 0 {
				t.Error("a usage error made a mutating call")
			}
		})
	}
}

func TestAsyncAndTerminalProgress(t *testing.T) {
	t.Parallel()
	e := newEnv(t, lifecycletest.Options{})
	e.ios.SetStderrTTY(true)
	if err := e.run(t, NewCmdReboot(e.f, e.lc, nil), "vm", "web-01"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.errOut.String(), "\r\x1b[K") || !strings.Contains(e.errOut.String(), "reboot vm/101 (web-01)") {
		t.Errorf("stderr %q: want a redrawn progress line", e.errOut)
	}
	if err := e.run(t, NewCmdStop(e.f, e.lc, nil), "vm", "web-01", "--async"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(e.out.String(), "stop vm/101 (web-01): started (task UPID:") {
		t.Errorf("stdout %q: want the task id of the async stop", e.out)
	}
	if ops := e.ops(t); len(ops) != 2 || ops[0].Outcome != "started" || ops[1].Outcome != "ok" {
		t.Errorf("journal = %+v, want started then ok", ops)
	}
}
