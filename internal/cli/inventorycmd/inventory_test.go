package inventorycmd

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/diag"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/ansible"
	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/lifecycle/lifecycletest"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state/statetest"
)

func TestNewCmdInventoryParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		want    Options
		wantErr string
	}{
		{name: "list", args: []string{"--list"}, want: Options{List: true}},
		{name: "host", args: []string{"--host", "web-01"}, want: Options{Host: "web-01", HostSet: true}},
		{name: "host equals", args: []string{"--host=db-01"}, want: Options{Host: "db-01", HostSet: true}},
		{name: "empty host name", args: []string{"--host", ""}, want: Options{HostSet: true}},
		{name: "neither", args: nil, wantErr: "use exactly one of --list and --host NAME"},
		{name: "both", args: []string{"--list", "--host", "x"}, wantErr: "use exactly one of --list and --host NAME"},
		{name: "argument", args: []string{"--list", "web-01"}, wantErr: "inventory takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, _, _ := iostreams.Test()
			var got *Options
			cmd := NewCmdInventory(&cmdutil.Factory{IOStreams: ios}, nil, func(_ context.Context, o *Options) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(io.Discard)
			cmd.SetErr(io.Discard)
			err := cmd.Execute()
			if tt.wantErr != "" {
				var fe *cmdutil.FlagError
				if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want FlagError %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tt.want, *got, cmpopts.IgnoreFields(Options{}, "IO", "Guests")); d != "" {
				t.Errorf("options (-want +got):\n%s", d)
			}
		})
	}
}

// openStore is an empty SQLite store in a temporary directory (through
// lifecycletest: front ends may not import the state drivers).
func openStore(t testing.TB) state.Store {
	t.Helper()
	return lifecycletest.New(t, lifecycletest.Options{}).Journal
}

// syncedStore holds one sync of n sample guests.
func syncedStore(t testing.TB, n int) state.Store {
	t.Helper()
	st := openStore(t)
	statetest.Sync(t, st, statetest.Epoch(), statetest.SampleInventory(n), nil)
	return st
}

// run executes the command against the store like app would, and returns
// stdout, stderr and the error.
func run(t *testing.T, st state.Store, args ...string) (string, string, error) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	f := &cmdutil.Factory{
		IOStreams: ios,
		StateInventory: func(context.Context) (*inventory.Service, error) {
			return inventory.NewFromState(st, slog.New(slog.DiscardHandler)), nil
		},
	}
	cmd := NewCmdInventory(f, stateGuests(f, st), nil)
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	err := cmd.ExecuteContext(t.Context())
	return out.String(), errOut.String(), err
}

func TestInventoryFromStore(t *testing.T) {
	t.Parallel()
	st := syncedStore(t, 60)
	guests, err := st.Guests(t.Context(), state.GuestFilter{})
	if err != nil {
		t.Fatal(err)
	}
	list, err := ansible.List(guests, ansible.Options{})
	if err != nil {
		t.Fatal(err)
	}
	one := ansible.HostName(guests[3], guests)
	hostVars, err := ansible.Host(guests, one, ansible.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"list", []string{"--list"}, string(list) + "\n"},
		{"host", []string{"--host", one}, string(hostVars) + "\n"},
		{"unknown host", []string{"--host", "no-such-guest"}, "{}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, errOut, err := run(t, st, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			if out != tt.want {
				t.Errorf("stdout:\n%s\nwant:\n%s", out, tt.want)
			}
			if errOut != "" {
				t.Errorf("stderr is not empty: %q", errOut)
			}
			if !json.Valid([]byte(out)) {
				t.Errorf("stdout is not JSON: %s", out)
			}
		})
	}

	// What the store holds is what Ansible gets: every guest of the sync.
	var parsed struct {
		Meta struct {
			Hostvars map[string]struct {
				VMID int `json:"proxmox_vmid"`
			} `json:"hostvars"`
		} `json:"_meta"`
	}
	if err := json.Unmarshal(list, &parsed); err != nil {
		t.Fatal(err)
	}
	var gotIDs, wantIDs []int
	for _, v := range parsed.Meta.Hostvars {
		gotIDs = append(gotIDs, v.VMID)
	}
	for _, g := range guests {
		wantIDs = append(wantIDs, g.VMID)
	}
	if d := cmp.Diff(wantIDs, gotIDs, cmpopts.SortSlices(func(a, b int) bool { return a < b })); d != "" {
		t.Errorf("hosts by VMID (-store +inventory):\n%s", d)
	}
}

func TestInventoryEmptyStore(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	for _, args := range [][]string{{"--list"}, {"--host", "web-01"}} {
		out, _, err := run(t, st, args...)
		if err == nil {
			t.Fatalf("%v: no error from an empty store; stdout %q", args, out)
		}
		if out != "" {
			t.Errorf("%v: stdout %q, want nothing", args, out)
		}
		var h diag.Hinter
		if !errors.As(err, &h) || !strings.Contains(h.Hint(), "proxmox-mpc sync") {
			t.Errorf("%v: err %v has no hint to run proxmox-mpc sync", args, err)
		}
	}
}

// TestInventoryLeavesOutRemovedGuests: a guest gone at the last sync is not
// in the inventory.
func TestInventoryLeavesOutRemovedGuests(t *testing.T) {
	t.Parallel()
	st := syncedStore(t, 20)
	inv := statetest.SampleInventory(20)
	gone := inv.Guests[5]
	inv.Guests = append(inv.Guests[:5:5], inv.Guests[6:]...)
	statetest.Sync(t, st, statetest.Epoch().Add(time.Hour), inv, nil)
	out, _, err := run(t, st, "--list")
	if err != nil {
		t.Fatal(err)
	}
	want, err := ansible.List(inv.Guests, ansible.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want)+"\n" {
		t.Errorf("--list after guest %d was removed:\n%s\nwant\n%s", gone.VMID, out, want)
	}
	if strings.Contains(out, gone.Name) {
		t.Errorf("removed guest %s is still listed", gone.Name)
	}
}

// stateGuests reads the guests as app's wiring does: from the store of
// f.StateInventory, after its check that a sync was recorded (which gives
// the "run proxmox-mpc sync first" error on an empty store).
func stateGuests(f *cmdutil.Factory, st state.Store) func(context.Context) ([]state.Guest, error) {
	return func(ctx context.Context) ([]state.Guest, error) {
		svc, err := f.StateInventory(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := svc.LastSync(ctx); err != nil {
			return nil, err
		}
		return st.Guests(ctx, state.GuestFilter{})
	}
}
