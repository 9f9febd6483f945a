package applycmd

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/codegen"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine/native"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/ansible"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/terraform"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// syncedGuests are the last sync of the tests: two running VMs and a
// running container.
func syncedGuests() []state.Guest {
	return []state.Guest{
		{VMID: 101, Type: state.TypeVM, Name: "web-01", Node: "pve1", Status: "running", Config: map[string]string{"name": "web-01", "cores": "2"}, Digest: "d101"},
		{VMID: 102, Type: state.TypeVM, Name: "db-01", Node: "pve1", Status: "running", Config: map[string]string{"name": "db-01", "cores": "2"}, Digest: "d102"},
		{VMID: 201, Type: state.TypeCT, Name: "dns-01", Node: "pve1", Status: "running", Config: map[string]string{"hostname": "dns-01"}, Digest: "d201"},
	}
}

// guestChange is the plan entry action for g, to be running after it.
func guestChange(g state.Guest, a engine.Action) engine.GuestChange {
	m := iac.FromState(g)
	m.Started = true
	name := terraform.ResourceName(m)
	return engine.GuestChange{Address: terraform.Address(m, name), Kind: m.Kind, VMID: g.VMID, Name: g.Name, Node: g.Node,
		Action: a, Disruption: engine.None, Desired: &m, Digest: g.Digest}
}

// fakeRunner records its calls and prints lines.
type fakeRunner struct {
	mu    sync.Mutex
	calls [][]string
	dirs  []string
	lines []string
	err   error
}

func (f *fakeRunner) run(_ context.Context, dir string, argv []string, line func(string)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, argv)
	f.dirs = append(f.dirs, dir)
	for _, l := range f.lines {
		line(l)
	}
	return f.err
}

// ansibleWorkspace makes a workspace folder with the inventory sync
// writes for guests and, when playbook is not "", the after-apply playbook.
func ansibleWorkspace(t *testing.T, guests []state.Guest, playbook string) string {
	t.Helper()
	root := t.TempDir()
	files, err := ansible.Generate(guests, ansible.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		writeFile(t, filepath.Join(root, "ansible", f.Path), f.Content)
	}
	if playbook != "" {
		writeFile(t, filepath.Join(root, filepath.FromSlash(engine.AfterApplyPlaybook)), []byte(playbook))
	}
	return root
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRunAfterApply(t *testing.T) {
	t.Parallel()
	synced := syncedGuests()
	web, db, dns := synced[0], synced[1], synced[2]
	created := guestChange(state.Guest{VMID: 150, Type: state.TypeVM, Name: "new-01", Node: "pve1", Status: "running", Config: map[string]string{"name": "new-01"}}, engine.Create)
	const playbook = "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: msg=hi\n"
	found := func(string) (string, error) { return "/usr/bin/ansible-playbook", nil }
	missing := func(string) (string, error) { return "", exec.ErrNotFound }

	cases := []struct {
		name       string
		playbook   string // "" = no after-apply.yml
		noInv      bool   // remove the inventory
		noAnsible  bool
		lookPath   func(string) (string, error)
		changes    []engine.GuestChange
		res        native.Result
		runErr     error
		wantArgv   []string // nil: not run
		wantErrOut []string // lines expected on stderr, in order
		wantOp     *state.Operation
		wantErr    string
	}{
		{
			name: "no playbook: off", changes: []engine.GuestChange{guestChange(web, engine.Update)}, lookPath: found,
		},
		{
			name: "--no-ansible", playbook: playbook, noAnsible: true, changes: []engine.GuestChange{guestChange(web, engine.Update)}, lookPath: found,
		},
		{
			name: "ansible-playbook not on PATH", playbook: playbook, changes: []engine.GuestChange{guestChange(web, engine.Update)}, lookPath: missing,
			wantErrOut: []string{"! ansible/playbooks/after-apply.yml is there, but ansible-playbook is not on PATH: the playbook was not run (install ansible, or pass --no-ansible)"},
		},
		{
			name: "changed guests run, created one skipped", playbook: playbook, lookPath: found,
			changes:  []engine.GuestChange{created, guestChange(web, engine.Update), guestChange(dns, engine.Replace), guestChange(db, engine.Delete)},
			wantArgv: []string{"/usr/bin/ansible-playbook", "-i", "ansible/inventory.yml", "ansible/playbooks/after-apply.yml", "--limit", "dns-01,web-01"},
			wantErrOut: []string{
				"! ansible: skipped new-01 (proxmox_virtual_environment_vm.new_01): " + engine.SkipNotSynced,
				"ansible: running ansible/playbooks/after-apply.yml on 2 hosts: dns-01, web-01",
				"PLAY [all]", "ok: [web-01]",
				"✓ ansible: ansible/playbooks/after-apply.yml done on 2 hosts (1.0s)",
			},
			wantOp: &state.Operation{Action: JournalAnsible, Target: "dns-01,web-01", Outcome: state.OutcomeOK, DurationMS: 1000,
				Params: map[string]any{"playbook": engine.AfterApplyPlaybook, "hosts": 2, "skipped": 1}},
		},
		{
			name: "a guest whose apply failed is skipped", playbook: playbook, lookPath: found,
			changes:  []engine.GuestChange{guestChange(web, engine.Update), guestChange(db, engine.Update)},
			res:      native.Result{Failed: []native.Step{{Address: guestChange(db, engine.Update).Address, Action: native.ActionUpdate}}, Err: errors.New("1 failed")},
			wantArgv: []string{"/usr/bin/ansible-playbook", "-i", "ansible/inventory.yml", "ansible/playbooks/after-apply.yml", "--limit", "web-01"},
			wantErrOut: []string{
				"! ansible: skipped db-01 (proxmox_virtual_environment_vm.db_01): " + engine.SkipNotApplied,
				"ansible: running ansible/playbooks/after-apply.yml on 1 hosts: web-01",
			},
			wantOp: &state.Operation{Action: JournalAnsible, Target: "web-01", Outcome: state.OutcomeOK, DurationMS: 1000,
				Params: map[string]any{"playbook": engine.AfterApplyPlaybook, "hosts": 1, "skipped": 1}},
		},
		{
			name: "only a created guest: nothing to run", playbook: playbook, lookPath: found,
			changes:    []engine.GuestChange{created},
			wantErrOut: []string{"! ansible: skipped new-01", "ansible: no host to run ansible/playbooks/after-apply.yml on"},
		},
		{
			name: "the playbook fails", playbook: playbook, lookPath: found, runErr: errors.New("exit status 2"),
			changes:    []engine.GuestChange{guestChange(web, engine.Update)},
			wantArgv:   []string{"/usr/bin/ansible-playbook", "-i", "ansible/inventory.yml", "ansible/playbooks/after-apply.yml", "--limit", "web-01"},
			wantErrOut: []string{"X ansible: ansible/playbooks/after-apply.yml failed on web-01 (1.0s): exit status 2"},
			wantOp: &state.Operation{Action: JournalAnsible, Target: "web-01", Outcome: state.OutcomeFailed, Error: "exit status 2", DurationMS: 1000,
				Params: map[string]any{"playbook": engine.AfterApplyPlaybook, "hosts": 1, "skipped": 0}},
			wantErr: "the apply is done, but the after-apply playbook failed: ansible-playbook: exit status 2",
		},
		{
			name: "no inventory", playbook: playbook, noInv: true, lookPath: found,
			changes: []engine.GuestChange{guestChange(web, engine.Update)},
			wantErr: "the apply is done, but the after-apply playbook failed: ansible/inventory.yml is missing: run `proxmox-mpc sync` to write it",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := ansibleWorkspace(t, synced, tc.playbook)
			if tc.noInv {
				if err := os.Remove(filepath.Join(root, "ansible", "inventory.yml")); err != nil {
					t.Fatal(err)
				}
			}
			ios, _, _, errOut := iostreams.Test()
			fr := &fakeRunner{err: tc.runErr, lines: []string{"PLAY [all]", "ok: [web-01]"}}
			j := &memJournal{}
			opts := &Options{IO: ios, Now: ticking(), NoAnsible: tc.noAnsible,
				Journal: func(context.Context) (Journal, error) { return j, nil },
				AfterApply: &AfterApply{
					Root:     func(context.Context) (string, error) { return root, nil },
					Synced:   func(context.Context) ([]state.Guest, error) { return synced, nil },
					LookPath: tc.lookPath, Run: fr.run,
				}}
			err := runAfterApply(context.Background(), opts, engine.Plan{Changes: tc.changes}, tc.res)
			if tc.wantErr == "" && err != nil {
				t.Fatalf("runAfterApply: %v", err)
			}
			if tc.wantErr != "" {
				var ae *AfterApplyError
				if !errors.As(err, &ae) || err.Error() != tc.wantErr {
					t.Fatalf("error = %v, want AfterApplyError %q", err, tc.wantErr)
				}
				if ae.Hint() == "" {
					t.Error("no hint")
				}
			}
			if tc.wantArgv == nil {
				if len(fr.calls) != 0 {
					t.Errorf("ran %v, want no run", fr.calls)
				}
			} else {
				if d := cmp.Diff([][]string{tc.wantArgv}, fr.calls); d != "" {
					t.Errorf("runs (-want +got):\n%s", d)
				}
				if fr.dirs[0] != root {
					t.Errorf("ran in %s, want the workspace root %s", fr.dirs[0], root)
				}
			}
			assertLinesInOrder(t, errOut.String(), tc.wantErrOut)
			if tc.wantErrOut == nil && errOut.Len() > 0 {
				t.Errorf("stderr = %q, want nothing", errOut.String())
			}
			var want []state.Operation
			if tc.wantOp != nil {
				want = []state.Operation{*tc.wantOp}
			}
			var got []state.Operation
			for i, op := range j.ops {
				op.FinishedAt, op.OSUser = nil, ""
				got = append(got, op)
				if j.ops[i].FinishedAt == nil {
					t.Errorf("journal entry %d not finished", i)
				}
			}
			if d := cmp.Diff(want, got, ignoreStart); d != "" {
				t.Errorf("journal (-want +got):\n%s", d)
			}
		})
	}
}

var ignoreStart = cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".StartedAt" }, cmp.Ignore())

// assertLinesInOrder checks that each of want starts a line of out, in
// that order.
func assertLinesInOrder(t *testing.T, out string, want []string) {
	t.Helper()
	lines := strings.Split(out, "\n")
	i := 0
	for _, w := range want {
		for i < len(lines) && !strings.HasPrefix(lines[i], w) {
			i++
		}
		if i == len(lines) {
			t.Errorf("stderr lacks (in order) %q:\n%s", w, out)
			return
		}
		i++
	}
}

func TestAppliedFrom(t *testing.T) {
	t.Parallel()
	res := native.Result{
		Succeeded:  []native.Step{{Address: "a"}, {Address: "b"}, {Address: "c"}},
		Failed:     []native.Step{{Address: "b"}},
		NotStarted: []native.Step{{Address: "d"}},
	}
	applied := appliedFrom(res)
	for addr, want := range map[string]bool{"a": true, "b": false, "c": true, "d": false} {
		if got := applied(addr); got != want {
			t.Errorf("applied(%s) = %v, want %v", addr, got, want)
		}
	}
}

// TestPreventDestroyApply: apply refuses a plan that replaces a guest
// whose code has prevent_destroy, before asking and before applying.
func TestPreventDestroyApply(t *testing.T) {
	t.Parallel()
	web := syncedGuests()[0]
	guarded := guestChange(web, engine.Replace)
	guarded.Desired.PreventDestroy = true
	guarded.Disruption, guarded.File = engine.DataLoss, "terraform/web-01.tf"
	free := guestChange(web, engine.Replace)
	free.Disruption = engine.DataLoss
	deleted := guestChange(web, engine.Delete)
	deleted.Desired = nil
	cases := []struct {
		name    string
		change  engine.GuestChange
		wantErr string // "" = applied
	}{
		{"replace with prevent_destroy", guarded, "proxmox_virtual_environment_vm.web_01 has lifecycle.prevent_destroy = true in terraform/web-01.tf: refusing to replace (destroy and create again) it, nothing was applied (remove prevent_destroy from its lifecycle block first)"},
		{"replace without", free, ""},
		{"delete: its code is gone, nothing to check", deleted, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := engine.Save(&buf, engine.Plan{Changes: []engine.GuestChange{tc.change}, CodeHash: "h"}); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "web.plan")
			writeFile(t, path, buf.Bytes())
			ios, _, _, _ := iostreams.Test()
			applied := false
			opts := &Options{IO: ios, Now: ticking(), Yes: true, PlanFile: path, Parallelism: 1,
				Source: func(context.Context, bool) (*engine.Inputs, error) {
					return &engine.Inputs{CodeHash: "h", Live: []state.Guest{web}}, nil
				},
				Apply: func(context.Context, engine.Plan, native.Options, func(native.Event)) (native.Result, error) {
					applied = true
					return native.Result{}, nil
				}}
			err := applyRun(context.Background(), opts)
			if tc.wantErr == "" {
				if err != nil || !applied {
					t.Fatalf("applyRun = %v, applied %v; want applied", err, applied)
				}
				return
			}
			var pe *PreventDestroyError
			if !errors.As(err, &pe) || err.Error() != tc.wantErr {
				t.Fatalf("applyRun error = %v, want %q", err, tc.wantErr)
			}
			if !strings.Contains(pe.Hint(), "terraform/web-01.tf") {
				t.Errorf("hint %q does not name the file", pe.Hint())
			}
			if applied {
				t.Error("applied despite prevent_destroy")
			}
		})
	}
}

// TestPreventDestroyDestroy: destroy refuses a guest whose code has
// prevent_destroy, naming its file, and deletes nothing.
func TestPreventDestroyDestroy(t *testing.T) {
	t.Parallel()
	synced := syncedGuests()
	code := &terraform.Code{Files: map[string]string{}}
	for _, g := range synced {
		m := iac.FromState(g)
		addr := terraform.Address(m, terraform.ResourceName(m))
		m.PreventDestroy = g.Name == "db-01"
		code.Guests = append(code.Guests, terraform.Guest{Address: addr, Guest: m})
		code.Files[addr] = "terraform/" + g.Name + ".tf"
	}
	cases := []struct {
		name    string
		names   []string
		wantErr string
	}{
		{"named", []string{"db-01"}, "proxmox_virtual_environment_vm.db_01 has lifecycle.prevent_destroy = true in terraform/db-01.tf: refusing to destroy it, nothing was destroyed (remove prevent_destroy from its lifecycle block first)"},
		{"all", nil, "proxmox_virtual_environment_vm.db_01 has lifecycle.prevent_destroy = true in terraform/db-01.tf"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ios, _, _, _ := iostreams.Test()
			applied := false
			opts := &DestroyOptions{Names: tc.names,
				Code: func(context.Context) (*codegen.Editor, error) {
					return &codegen.Editor{Workspace: &workspace.Workspace{Root: t.TempDir(), Config: workspace.Config{Name: "lab"}}}, nil
				},
				Options: Options{IO: ios, Now: ticking(), Yes: true, Parallelism: 1,
					Source: func(context.Context, bool) (*engine.Inputs, error) {
						return &engine.Inputs{Code: code, Live: synced, Managed: func(int) bool { return true }}, nil
					},
					Apply: func(context.Context, engine.Plan, native.Options, func(native.Event)) (native.Result, error) {
						applied = true
						return native.Result{}, nil
					}}}
			err := destroyRun(context.Background(), opts)
			var pe *PreventDestroyError
			if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), tc.wantErr) {
				t.Fatalf("destroyRun error = %v, want %q", err, tc.wantErr)
			}
			if applied {
				t.Error("destroyed despite prevent_destroy")
			}
		})
	}
}

// TestRunAfterApplyReal runs the real ansible-playbook against an
// inventory of local hosts (ansible_connection=local) and a playbook of
// debug tasks. PMC_REQUIRE_TOOLS=1 makes a missing ansible-playbook a
// failure.
func TestRunAfterApplyReal(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath(engine.PlaybookBinary); err != nil {
		if os.Getenv("PMC_REQUIRE_TOOLS") == "1" {
			t.Fatalf("PMC_REQUIRE_TOOLS=1 and %s is not on PATH: %v", engine.PlaybookBinary, err)
		}
		t.Skipf("%s is not on PATH", engine.PlaybookBinary)
	}
	synced := syncedGuests()
	web, db, dns := synced[0], synced[1], synced[2]
	const inventory = "all:\n  vars:\n    ansible_connection: local\n    ansible_python_interpreter: auto_silent\n  hosts:\n    web-01:\n    db-01:\n    dns-01:\n"
	cases := []struct {
		name      string
		playbook  string
		changes   []engine.GuestChange
		wantLines []string
		notLines  []string
		wantOut   string
		wantOut2  string
		wantErr   bool
	}{
		{
			name:      "ok",
			playbook:  "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: greet\n      debug:\n        msg: \"after-apply on {{ inventory_hostname }}\"\n",
			changes:   []engine.GuestChange{guestChange(web, engine.Update), guestChange(dns, engine.Update)},
			wantLines: []string{"ansible: running", "PLAY [all]", "TASK [greet]", "PLAY RECAP", "✓ ansible: ansible/playbooks/after-apply.yml done on 2 hosts"},
			wantOut:   "after-apply on web-01",
			notLines:  []string{"db-01"},
			wantOut2:  "after-apply on dns-01",
		},
		{
			name:      "a failing task",
			playbook:  "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: broken\n      debug:\n        msg: \"{{ no_such_variable }}\"\n",
			changes:   []engine.GuestChange{guestChange(db, engine.Update)},
			wantLines: []string{"ansible: running", "TASK [broken]", "X ansible: ansible/playbooks/after-apply.yml failed on db-01"},
			wantOut:   "no_such_variable",
			wantErr:   true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			writeFile(t, filepath.Join(root, "ansible", "inventory.yml"), []byte(inventory))
			writeFile(t, filepath.Join(root, filepath.FromSlash(engine.AfterApplyPlaybook)), []byte(tc.playbook))
			ios, _, _, errOut := iostreams.Test()
			j := &memJournal{}
			opts := &Options{IO: ios, Now: ticking(),
				Journal: func(context.Context) (Journal, error) { return j, nil },
				AfterApply: &AfterApply{
					Root:     func(context.Context) (string, error) { return root, nil },
					Synced:   func(context.Context) ([]state.Guest, error) { return synced, nil },
					LookPath: exec.LookPath, Run: ExecRunner,
				}}
			err := runAfterApply(t.Context(), opts, engine.Plan{Changes: tc.changes}, native.Result{})
			out := errOut.String()
			if (err != nil) != tc.wantErr {
				t.Fatalf("runAfterApply = %v, want error %v\n%s", err, tc.wantErr, out)
			}
			assertLinesInOrder(t, out, tc.wantLines)
			for _, s := range []string{tc.wantOut, tc.wantOut2} {
				if s != "" && !strings.Contains(out, s) {
					t.Errorf("stderr lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tc.notLines {
				if strings.Contains(out, s) {
					t.Errorf("stderr has %q (not in --limit):\n%s", s, out)
				}
			}
			if len(j.ops) != 1 || j.ops[0].Action != JournalAnsible || j.ops[0].FinishedAt == nil {
				t.Fatalf("journal = %+v, want one finished %s entry", j.ops, JournalAnsible)
			}
			wantOutcome := state.OutcomeOK
			if tc.wantErr {
				wantOutcome = state.OutcomeFailed
			}
			if j.ops[0].Outcome != wantOutcome {
				t.Errorf("journal outcome %q, want %q", j.ops[0].Outcome, wantOutcome)
			}
		})
	}
}
