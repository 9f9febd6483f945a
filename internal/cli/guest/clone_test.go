package guest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/lifecycle/lifecycletest"
)

// dryRunCalls returns the call lines of a human dry run.
func dryRunCalls(out string) []string {
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		got = append(got, strings.TrimSpace(l))
	}
	return got
}

func TestCloneEffects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		typ      string
		newName  string
		wantNode string
		wantLine string
	}{
		{"linked from template", []string{"vm", "ubuntu-2404-cloudinit", "--name", "web-03"}, "vm", "web-03", "pve1", "vm/110 (web-03) on pve1: linked clone of vm/9000"},
		{"full from guest to node", []string{"vm", "dev-sandbox", "--name", "sandbox-2", "--target", "pve2", "--vmid", "4242"}, "vm", "sandbox-2", "pve2", "vm/4242 (sandbox-2) on pve2: full clone"},
		{"container template", []string{"ct", "debian-13-base", "--name", "build-01"}, "ct", "build-01", "pve3", "ct/110 (build-01) on pve3: linked clone"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, lifecycletest.Options{})
			if err := e.run(t, NewCmdClone(e.f, e.lc, nil), tt.args...); err != nil {
				t.Fatalf("clone: %v\n%s", err, e.errOut)
			}
			g, err := e.Inventory.ResolveGuest(t.Context(), tt.typ, tt.newName)
			if err != nil {
				t.Fatalf("the clone does not exist: %v", err)
			}
			if g.Node != tt.wantNode || g.Lock != "" {
				t.Errorf("clone on %s lock %q, want %s and no lock", g.Node, g.Lock, tt.wantNode)
			}
			if !strings.Contains(e.out.String(), tt.wantLine) {
				t.Errorf("stdout %q lacks %q", e.out, tt.wantLine)
			}
			ops := e.ops(t)
			if len(ops) != 1 || ops[0].Action != "clone" || ops[0].Outcome != "ok" || ops[0].UPID == "" {
				t.Errorf("journal = %+v, want one ok clone", ops)
			}
		})
	}
}

func TestCloneDryRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"linked", []string{"vm", "ubuntu-2404-cloudinit", "--name", "web-03"},
			[]string{"POST /nodes/pve1/qemu/9000/clone name=web-03 newid=110"}},
		{"full to another node", []string{"vm", "web-01", "--name", "web-01-copy", "--target", "pve2", "--storage", "local-lvm"},
			[]string{"POST /nodes/pve1/qemu/101/clone full=1 name=web-01-copy newid=110 storage=local-lvm target=pve2"}},
		{"template full", []string{"ct", "debian-13-base", "--name", "b1", "--full", "--vmid", "300"},
			[]string{"POST /nodes/pve3/lxc/9100/clone full=1 hostname=b1 newid=300"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, lifecycletest.Options{})
			if err := e.run(t, NewCmdClone(e.f, e.lc, nil), append(tt.args, "--dry-run")...); err != nil {
				t.Fatalf("%v\n%s", err, e.errOut)
			}
			if d := cmp.Diff(tt.want, dryRunCalls(e.out.String())); d != "" {
				t.Errorf("calls (-want +got):\n%s", d)
			}
			if n := e.Mutating(); n != 0 {
				t.Errorf("%d mutating calls in a dry run", n)
			}
		})
	}
}

func TestCloneValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string // in the error or its hint
	}{
		{"no name", []string{"vm", "web-01"}, "pass --name"},
		{"bad name", []string{"vm", "web-01", "--name", "web_01"}, "DNS name"},
		{"vmid range", []string{"vm", "web-01", "--name", "a", "--vmid", "99"}, "outside 100..999999999"},
		{"vmid taken", []string{"vm", "web-01", "--name", "a", "--vmid", "102"}, "already in use"},
		{"unknown node", []string{"vm", "web-01", "--name", "a", "--target", "pve9"}, "not in the cluster"},
		{"storage without images", []string{"vm", "web-01", "--name", "a", "--storage", "local"}, "does not hold images"},
		{"unknown storage", []string{"vm", "web-01", "--name", "a", "--storage", "local-lvn"}, "local-lvm"},
		{"storage on linked clone", []string{"vm", "ubuntu-2404-cloudinit", "--name", "a", "--storage", "nas"}, "--full"},
		{"linked clone to other node", []string{"vm", "ubuntu-2404-cloudinit", "--name", "a", "--target", "pve2"}, "local storage local-lvm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, lifecycletest.Options{})
			err := e.run(t, NewCmdClone(e.f, e.lc, nil), tt.args...)
			if got := cmdutil.ExitCode(err); got != 2 {
				t.Fatalf("exit code %d (%v), want 2", got, err)
			}
			text := err.Error()
			var h interface{ Hint() string }
			if errorsAs(err, &h) {
				text += " | " + h.Hint()
			}
			if !strings.Contains(text, tt.want) {
				t.Errorf("error %q lacks %q", text, tt.want)
			}
			if e.Mutating() != 0 || len(e.ops(t)) != 0 {
				t.Errorf("a validation failure made %d calls / journal entries", e.Mutating())
			}
		})
	}
}
