package guest

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/lifecycle/lifecycletest"
)

func TestSetStoppedApplies(t *testing.T) {
	t.Parallel()
	e := newEnv(t, lifecycletest.Options{})
	if err := e.run(t, NewCmdSet(e.f, e.lc, nil), "vm", "dev-sandbox", "--cores", "4", "--memory", "8G", "--tags", "a,b,a", "--onboot=true"); err != nil {
		t.Fatalf("set: %v\n%s", err, e.errOut)
	}
	g, _ := e.guest(t, "vm", 109)
	if g.CPUs != 4 || g.MemoryBytes != 8<<30 || !cmp.Equal(g.Tags, []string{"a", "b"}) {
		t.Errorf("after set: cpus %v memory %d tags %v", g.CPUs, g.MemoryBytes, g.Tags)
	}
	if strings.Contains(e.errOut.String(), "Pending") {
		t.Errorf("stderr %q: a stopped guest has nothing pending", e.errOut)
	}
	ops := e.ops(t)
	if len(ops) != 1 || ops[0].Action != "set" || ops[0].Outcome != "ok" || ops[0].Params["digest"] == "" || ops[0].Params["onboot"] != "1" {
		t.Errorf("journal = %+v, want one ok set with digest and onboot", ops)
	}
}

func TestSetRunningReportsPending(t *testing.T) {
	t.Parallel()
	e := newEnv(t, lifecycletest.Options{})
	if err := e.run(t, NewCmdSet(e.f, e.lc, nil), "vm", "web-01", "--cores", "4", "--description", "new front end"); err != nil {
		t.Fatalf("set: %v\n%s", err, e.errOut)
	}
	for _, want := range []string{"Pending:", "cores: 2 → 4"} {
		if !strings.Contains(e.errOut.String(), want) {
			t.Errorf("stderr %q lacks %q", e.errOut, want)
		}
	}
	if strings.Contains(e.errOut.String(), "description:") {
		t.Errorf("stderr %q: the description applies at once", e.errOut)
	}
	g, _ := e.guest(t, "vm", 101)
	pending, err := e.Lifecycle.Pending(t.Context(), g, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 || pending[0].Key != "cores" || pending[0].Pending != "4" {
		t.Errorf("pending = %+v, want cores=4", pending)
	}
}

func TestSetDryRun(t *testing.T) {
	t.Parallel()
	e := newEnv(t, lifecycletest.Options{})
	if err := e.run(t, NewCmdSet(e.f, e.lc, nil), "ct", "pihole", "--memory", "1024", "--description", "", "--onboot=false", "--dry-run"); err != nil {
		t.Fatalf("%v\n%s", err, e.errOut)
	}
	calls := dryRunCalls(e.out.String())
	re := regexp.MustCompile(`^PUT /nodes/pve1/lxc/200/config delete=description digest=[0-9a-f]+ memory=1024 onboot=0$`)
	if len(calls) != 1 || !re.MatchString(calls[0]) {
		t.Errorf("calls = %q, want %s", calls, re)
	}
	if e.Mutating() != 0 {
		t.Error("a dry run made a mutating call")
	}
}

func TestSetValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
	}{
		{"nothing", []string{"vm", "web-01"}},
		{"cores zero", []string{"vm", "web-01", "--cores", "0"}},
		{"memory tiny", []string{"vm", "web-01", "--memory", "8"}},
		{"memory not size", []string{"vm", "web-01", "--memory", "lots"}},
		{"memory fraction of MiB", []string{"vm", "web-01", "--memory", "1000K"}},
		{"bad tag", []string{"vm", "web-01", "--tags", "ok,-bad"}},
		{"template sizes", []string{"vm", "ubuntu-2404-cloudinit", "--cores", "2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, lifecycletest.Options{})
			err := e.run(t, NewCmdSet(e.f, e.lc, nil), tt.args...)
			if got := cmdutil.ExitCode(err); got != 2 {
				t.Fatalf("exit code %d (%v), want 2", got, err)
			}
			if e.Mutating() != 0 || len(e.ops(t)) != 0 {
				t.Error("a validation failure made a call or a journal entry")
			}
		})
	}
}
