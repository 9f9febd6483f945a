package engine

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/ansible"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// pick returns the first guest of guests that ok accepts.
func pick(t *testing.T, guests []state.Guest, what string, ok func(state.Guest) bool) state.Guest {
	t.Helper()
	for _, g := range guests {
		if ok(g) {
			return g
		}
	}
	t.Fatalf("homelab has no %s", what)
	return state.Guest{}
}

// change is the plan entry action for g, with the desired model FromState
// gives (a VM that is to be started unless stopped says otherwise).
func change(g state.Guest, a Action) GuestChange {
	m := iac.FromState(g)
	return GuestChange{Address: "proxmox_virtual_environment_" + map[string]string{"vm": "vm", "ct": "container"}[g.Type] + "." + g.Name,
		Kind: m.Kind, VMID: g.VMID, Name: g.Name, Node: g.Node, Action: a, Desired: &m}
}

func TestAfterApplyHosts(t *testing.T) {
	t.Parallel()
	synced := scenarioGuests(t, pvesim.ScenarioHomelab, 0)
	running := func(typ string) func(state.Guest) bool {
		return func(g state.Guest) bool { return g.Type == typ && !g.Template && g.Status == "running" }
	}
	vm := pick(t, synced, "running VM", running(state.TypeVM))
	ct := pick(t, synced, "running container", running(state.TypeCT))
	tmpl := pick(t, synced, "template", func(g state.Guest) bool { return g.Template })
	other := pick(t, synced, "second running VM", func(g state.Guest) bool { return running(state.TypeVM)(g) && g.VMID != vm.VMID })
	created := change(state.Guest{VMID: 990, Type: state.TypeVM, Name: "new-01", Node: "pve1"}, Create)
	created.Desired.Started = true
	stopped := change(other, Update)
	stopped.Desired.Started = false
	inv, err := inventoryOf(synced)
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name      string
		changes   []GuestChange
		applied   func(string) bool
		inventory map[string]bool
		want      PlaybookHosts
	}{
		{name: "empty plan"},
		{
			name:    "update and replace run, delete is not touched",
			changes: []GuestChange{change(vm, Update), change(ct, Replace), change(other, Delete)},
			want:    PlaybookHosts{Hosts: sorted(vm.Name, ct.Name)},
		},
		{
			name:    "a created guest is skipped: the inventory does not know it yet",
			changes: []GuestChange{created, change(vm, Update)},
			want: PlaybookHosts{Hosts: []string{vm.Name},
				Skipped: []PlaybookSkip{{Address: created.Address, VMID: 990, Name: "new-01", Reason: SkipNotSynced}}},
		},
		{
			name:    "a guest whose steps failed is skipped",
			changes: []GuestChange{change(vm, Update), change(ct, Update)},
			applied: func(a string) bool { return a != change(ct, Update).Address },
			want: PlaybookHosts{Hosts: []string{vm.Name},
				Skipped: []PlaybookSkip{{Address: change(ct, Update).Address, VMID: ct.VMID, Name: ct.Name, Reason: SkipNotApplied}}},
		},
		{
			name:    "templates and guests to be stopped are skipped",
			changes: []GuestChange{change(tmpl, Update), stopped},
			want: PlaybookHosts{Skipped: []PlaybookSkip{
				{Address: change(tmpl, Update).Address, VMID: tmpl.VMID, Name: tmpl.Name, Reason: SkipTemplate},
				{Address: stopped.Address, VMID: other.VMID, Name: other.Name, Reason: SkipStopped},
			}},
		},
		{
			name:      "checked against the generated inventory",
			changes:   []GuestChange{change(vm, Update), change(ct, Update)},
			inventory: inv,
			want:      PlaybookHosts{Hosts: sorted(vm.Name, ct.Name)},
		},
		{
			name:      "a host the inventory lacks is skipped",
			changes:   []GuestChange{change(vm, Update), change(ct, Update)},
			inventory: map[string]bool{vm.Name: true},
			want: PlaybookHosts{Hosts: []string{vm.Name},
				Skipped: []PlaybookSkip{{Address: change(ct, Update).Address, VMID: ct.VMID, Name: ct.Name, Reason: SkipNoInventory}}},
		},
		{
			name:    "one host once",
			changes: []GuestChange{change(vm, Update), change(vm, Update)},
			want:    PlaybookHosts{Hosts: []string{vm.Name}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := AfterApplyHosts(PlaybookInput{Plan: Plan{Changes: tc.changes}, Applied: tc.applied, Synced: synced, Inventory: tc.inventory})
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("AfterApplyHosts (-want +got):\n%s", d)
			}
		})
	}
}

// TestAfterApplyHostsNames: hosts are named as the inventory names them —
// a name two guests share becomes <name>-<vmid>.
func TestAfterApplyHostsNames(t *testing.T) {
	t.Parallel()
	synced := []state.Guest{
		{VMID: 101, Type: state.TypeVM, Name: "web", Node: "pve1", Status: "running", Config: map[string]string{"name": "web"}},
		{VMID: 102, Type: state.TypeVM, Name: "web", Node: "pve1", Status: "running", Config: map[string]string{"name": "web"}},
		{VMID: 103, Type: state.TypeVM, Name: "bad name!", Node: "pve1", Status: "running", Config: map[string]string{}},
	}
	inv, err := inventoryOf(synced)
	if err != nil {
		t.Fatal(err)
	}
	var changes []GuestChange
	for _, g := range synced {
		changes = append(changes, change(g, Update))
	}
	got := AfterApplyHosts(PlaybookInput{Plan: Plan{Changes: changes}, Synced: synced, Inventory: inv})
	want := PlaybookHosts{Hosts: []string{"vm-103", "web-101", "web-102"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("AfterApplyHosts (-want +got):\n%s", d)
	}
}

func TestPlaybookArgs(t *testing.T) {
	t.Parallel()
	long := make([]string, 0, MaxLimitArg/8)
	for len(strings.Join(long, ",")) <= MaxLimitArg {
		long = append(long, "host-000")
	}
	cases := []struct {
		name     string
		hosts    []string
		wantArgs []string
		wantFits bool
	}{
		{"one", []string{"web-01"}, []string{"-i", "ansible/inventory.yml", "ansible/playbooks/after-apply.yml", "--limit", "web-01"}, true},
		{"several", []string{"db-01", "web-01"}, []string{"-i", "ansible/inventory.yml", "ansible/playbooks/after-apply.yml", "--limit", "db-01,web-01"}, true},
		{"too long for one argument", long, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			limit, fits := PlaybookLimit(tc.hosts)
			if fits != tc.wantFits {
				t.Fatalf("PlaybookLimit fits = %v, want %v", fits, tc.wantFits)
			}
			if !fits {
				return
			}
			if d := cmp.Diff(tc.wantArgs, PlaybookArgs(limit)); d != "" {
				t.Errorf("PlaybookArgs (-want +got):\n%s", d)
			}
		})
	}
}

func TestInventoryHosts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		src     string
		want    []string
		wantErr error // errors.Is; nil with errText = any error
		errText string
	}{
		{name: "empty", src: ""},
		{name: "null", src: "~\n"},
		{name: "flat", src: "all:\n  hosts:\n    a:\n    b:\n      ansible_host: 10.0.0.2\n", want: []string{"a", "b"}},
		{name: "children", src: "all:\n  children:\n    web:\n      hosts:\n        w1:\n      children:\n        deep:\n          hosts: {w2: null}\n    db:\n      hosts:\n        d1: {}\n", want: []string{"d1", "w1", "w2"}},
		{name: "groups beside all", src: "web:\n  hosts:\n    w1:\nungrouped:\n", want: []string{"w1"}},
		{name: "ranges", src: "all:\n  hosts:\n    web[01:10]:\n", wantErr: ErrInventoryPatterns},
		{name: "not a mapping", src: "- a\n- b\n", errText: "not a mapping of groups"},
		{name: "hosts a list", src: "all:\n  hosts: [a, b]\n", errText: "hosts is a mapping"},
		{name: "not yaml", src: "all: [\n", errText: "read ansible/inventory.yml"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := InventoryHosts([]byte(tc.src))
			switch {
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("error = %v, want %v", err, tc.wantErr)
				}
				return
			case tc.errText != "":
				if err == nil || !strings.Contains(err.Error(), tc.errText) {
					t.Fatalf("error = %v, want one containing %q", err, tc.errText)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			names := make([]string, 0, len(got))
			for n := range got {
				names = append(names, n)
			}
			slices.Sort(names)
			if d := cmp.Diff(tc.want, names, cmpEmpty); d != "" {
				t.Errorf("hosts (-want +got):\n%s", d)
			}
		})
	}
}

// TestInventoryHostsGenerated: every host ansible.HostName names is in
// the inventory sync generates for the same guests, and nothing else.
func TestInventoryHostsGenerated(t *testing.T) {
	t.Parallel()
	for _, sc := range []struct {
		name string
		n    int
	}{{pvesim.ScenarioHomelab, 0}, {pvesim.ScenarioLarge, 300}} {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			guests := scenarioGuests(t, sc.name, sc.n)
			got, err := inventoryOf(guests)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]bool{}
			for _, g := range guests {
				want[ansible.HostName(g, guests)] = true
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("inventory hosts (-want +got):\n%s", d)
			}
		})
	}
}

func FuzzInventoryHosts(f *testing.F) {
	for _, s := range []string{"", "all:\n  hosts:\n    a:\n", "all:\n  children:\n    x: &g\n      children:\n        y: *g\n", "a: [", "x:\n  hosts:\n    web[1:2]:\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		hosts, err := InventoryHosts(data)
		if err != nil && hosts != nil {
			t.Errorf("hosts %v with error %v", hosts, err)
		}
		if err == nil && hosts == nil {
			t.Error("nil hosts without an error")
		}
	})
}

var cmpEmpty = cmp.Comparer(func(a, b []string) bool { return slices.Equal(a, b) })

func sorted(s ...string) []string {
	slices.Sort(s)
	return s
}

// inventoryOf is the host set of the inventory sync writes for guests.
func inventoryOf(guests []state.Guest) (map[string]bool, error) {
	files, err := ansible.Generate(guests, ansible.Options{})
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if f.Path == ansible.InventoryPath {
			return InventoryHosts(f.Content)
		}
	}
	return nil, errors.New("no inventory generated")
}

func BenchmarkAfterApplyHosts10k(b *testing.B) {
	synced := scenarioGuests(b, pvesim.ScenarioLarge, 10_000)
	var changes []GuestChange
	for _, g := range synced {
		if len(changes) == 50 {
			break
		}
		if !g.Template && g.Status == "running" {
			changes = append(changes, change(g, Update))
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if got := AfterApplyHosts(PlaybookInput{Plan: Plan{Changes: changes}, Synced: synced}); len(got.Hosts) != len(changes) {
			b.Fatalf("%d hosts, want %d", len(got.Hosts), len(changes))
		}
	}
}
