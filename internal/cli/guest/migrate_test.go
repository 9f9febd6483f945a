package guest

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/lifecycle/lifecycletest"
)

func errorsAs(err error, target any) bool { return errors.As(err, target) }

func TestMigrateEffects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		typ  string
		vmid int
		node string
	}{
		{"running vm live", []string{"vm", "web-01", "--to", "pve2"}, "vm", 101, "pve2"},
		{"stopped vm", []string{"vm", "dev-sandbox", "--to", "pve3"}, "vm", 109, "pve3"},
		{"running ct restart", []string{"ct", "pihole", "--to", "pve3", "--restart"}, "ct", 200, "pve3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, lifecycletest.Options{})
			if err := e.run(t, NewCmdMigrate(e.f, e.lc, nil), tt.args...); err != nil {
				t.Fatalf("migrate: %v\n%s", err, e.errOut)
			}
			g, ok := e.guest(t, tt.typ, tt.vmid)
			if !ok || g.Node != tt.node {
				t.Errorf("after migrate on %q, want %s", g.Node, tt.node)
			}
			ops := e.ops(t)
			if len(ops) != 1 || ops[0].Action != "migrate" || ops[0].Outcome != "ok" || ops[0].Params["target"] != tt.node {
				t.Errorf("journal = %+v, want one ok migrate to %s", ops, tt.node)
			}
		})
	}
}

func TestMigrateDryRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"running vm", []string{"vm", "web-01", "--to", "pve2"}, "POST /nodes/pve1/qemu/101/migrate online=1 target=pve2 with-local-disks=1"},
		{"stopped vm", []string{"vm", "dev-sandbox", "--to", "pve2"}, "POST /nodes/pve1/qemu/109/migrate target=pve2"},
		{"running ct", []string{"ct", "pihole", "--to", "pve2", "--restart"}, "POST /nodes/pve1/lxc/200/migrate restart=1 target=pve2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, lifecycletest.Options{})
			if err := e.run(t, NewCmdMigrate(e.f, e.lc, nil), append(tt.args, "--dry-run")...); err != nil {
				t.Fatalf("%v\n%s", err, e.errOut)
			}
			if d := cmp.Diff([]string{tt.want}, dryRunCalls(e.out.String())); d != "" {
				t.Errorf("calls (-want +got):\n%s", d)
			}
			if e.Mutating() != 0 {
				t.Error("a dry run made a mutating call")
			}
		})
	}
}

func TestMigrateValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no target", []string{"vm", "web-01"}, "--to"},
		{"same node", []string{"vm", "web-01", "--to", "pve1"}, "already there"},
		{"unknown node", []string{"vm", "web-01", "--to", "pve22"}, "pve2"},
		{"online stopped vm", []string{"vm", "dev-sandbox", "--to", "pve2", "--online"}, "not running"},
		{"running ct without restart", []string{"ct", "pihole", "--to", "pve2"}, "--restart"},
		{"ct online", []string{"ct", "alpine-test", "--to", "pve2", "--online"}, "cannot migrate live"},
		{"vm restart", []string{"vm", "web-01", "--to", "pve2", "--restart"}, "containers only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, lifecycletest.Options{})
			err := e.run(t, NewCmdMigrate(e.f, e.lc, nil), tt.args...)
			if got := cmdutil.ExitCode(err); got != 2 {
				t.Fatalf("exit code %d (%v), want 2", got, err)
			}
			text := err.Error()
			var h interface{ Hint() string }
			if errors.As(err, &h) {
				text += " | " + h.Hint()
			}
			if !strings.Contains(text, tt.want) {
				t.Errorf("error %q lacks %q", text, tt.want)
			}
			if e.Mutating() != 0 || len(e.ops(t)) != 0 {
				t.Error("a validation failure made a call or a journal entry")
			}
		})
	}
}
