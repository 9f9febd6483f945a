package engine

import (
	"context"
	"encoding/json"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/discovery"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/terraform"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

func driftGuest() state.Guest {
	return state.Guest{VMID: 100, Type: "vm", Node: "pve1", Name: "web", Status: "running", Config: map[string]string{
		"name": "web", "cores": "2", "memory": "2048", "ostype": "l26", "scsihw": "virtio-scsi-pci",
		"net0": "virtio=BC:24:11:00:00:01,bridge=vmbr0", "scsi0": "local-lvm:vm-100-disk-0,size=16G",
	}}
}

type driftRow struct {
	VMID              int
	Field             string
	Server, Code, Syn string
	Side              DriftSide
}

func TestCompareDrift(t *testing.T) {
	t.Parallel()
	with := func(g state.Guest, key, val string) state.Guest {
		c := make(map[string]string, len(g.Config))
		for k, v := range g.Config {
			c[k] = v
		}
		c[key] = val
		g.Config = c
		return g
	}
	base := driftGuest()
	other := state.Guest{VMID: 101, Type: "vm", Node: "pve1", Name: "new", Config: map[string]string{"name": "new"}}
	tests := []struct {
		name               string
		code, live, synced []state.Guest
		want               []driftRow
	}{
		{name: "none", code: []state.Guest{base}, live: []state.Guest{base}, synced: []state.Guest{base}, want: []driftRow{}},
		{name: "server", code: []state.Guest{base}, live: []state.Guest{with(base, "cores", "4")}, synced: []state.Guest{base},
			want: []driftRow{{100, "cpu.cores", "4", "2", "2", DriftServer}}},
		{name: "code", code: []state.Guest{with(base, "cores", "8")}, live: []state.Guest{base}, synced: []state.Guest{base},
			want: []driftRow{{100, "cpu.cores", "2", "8", "2", DriftCode}}},
		{name: "conflict", code: []state.Guest{with(base, "cores", "8")}, live: []state.Guest{with(base, "cores", "4")}, synced: []state.Guest{base},
			want: []driftRow{{100, "cpu.cores", "4", "8", "2", DriftConflict}}},
		{name: "both alike", code: []state.Guest{with(base, "cores", "4")}, live: []state.Guest{with(base, "cores", "4")}, synced: []state.Guest{base},
			want: []driftRow{}},
		{name: "moved", code: []state.Guest{base}, live: []state.Guest{func() state.Guest { g := base; g.Node = "pve2"; return g }()}, synced: []state.Guest{base},
			want: []driftRow{{100, "node_name", `"pve2"`, `"pve1"`, `"pve1"`, DriftMoved}}},
		{name: "deleted on server", code: []state.Guest{base}, synced: []state.Guest{base},
			want: []driftRow{{100, GuestField, "", "present", "present", DriftServer}}},
		{name: "created on server", code: []state.Guest{base}, live: []state.Guest{base, other}, synced: []state.Guest{base},
			want: []driftRow{{101, GuestField, "present", "", "", DriftServer}}},
		{name: "removed from code", live: []state.Guest{base}, synced: []state.Guest{base},
			want: []driftRow{{100, GuestField, "present", "", "present", DriftCode}}},
		{name: "new in code", code: []state.Guest{base},
			want: []driftRow{{100, GuestField, "", "present", "", DriftCode}}},
		{name: "not synced", code: []state.Guest{base}, live: []state.Guest{with(base, "cores", "4")},
			want: []driftRow{{100, "cpu.cores", "4", "2", "", DriftUnknown}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var code = mustCode(t, tt.code)
			rep := CompareDrift(DriftInputs{Code: code, Live: tt.live, Synced: tt.synced})
			got := []driftRow{}
			for _, d := range rep.Drifts {
				got = append(got, driftRow{d.VMID, d.Field, d.Server, d.Code, d.Sync, d.Side})
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("drift (-want +got):\n%s", d)
			}
		})
	}
}

func mustCode(tb testing.TB, guests []state.Guest) *terraform.Code {
	tb.Helper()
	if len(guests) == 0 {
		return &terraform.Code{}
	}
	code, _ := syncedFiles(tb, guests)
	return code
}

// TestCompareDrift_sim changes a guest through the API and migrates
// another one on the simulator after a sync: one server-side change, one
// benign move, nothing else.
func TestCompareDrift_sim(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sim, err := pvesim.New(pvesim.Options{Scenario: "homelab", TaskDuration: -1})
	if err != nil {
		t.Fatal(err)
	}
	client, err := pve.New(pve.Config{Endpoint: "https://sim.invalid:8006", APIToken: pvesim.DefaultToken, Transport: sim.RoundTripper()})
	if err != nil {
		t.Fatal(err)
	}
	synced, _, err := discovery.Discover(ctx, client, discovery.Options{SkipAgents: true})
	if err != nil {
		t.Fatal(err)
	}
	code, _ := syncedFiles(t, synced.Guests)
	if rep := CompareDrift(DriftInputs{Code: code, Live: synced.Guests, Synced: synced.Guests}); len(rep.Drifts) != 0 {
		t.Fatalf("drift right after a sync: %+v", rep.Drifts)
	}
	nodes := map[string]bool{}
	for _, n := range synced.Nodes {
		nodes[n.Name] = true
	}
	var changed, moved *state.Guest
	for i := range synced.Guests {
		g := &synced.Guests[i]
		switch {
		case g.Template || g.HAState != "":
		case changed == nil && g.Type == state.TypeVM:
			changed = g
		case moved == nil && g.Type == state.TypeVM && g.Status == "stopped" && len(nodes) > 1:
			moved = g
		}
	}
	if changed == nil || moved == nil {
		t.Fatalf("the scenario has no VM to change (%v) or no stopped VM to migrate (%v)", changed != nil, moved != nil)
	}
	upid, err := client.UpdateConfig(ctx, changed.Node, pve.KindVM, changed.VMID, url.Values{"description": {"changed by hand"}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.WaitTask(ctx, upid, pve.WaitOptions{}); err != nil {
		t.Fatal(err)
	}
	want := []driftRow{{changed.VMID, "description", `"changed by hand"`, "", "", DriftServer}}
	{
		target := ""
		for n := range nodes {
			if n != moved.Node && (target == "" || n < target) {
				target = n
			}
		}
		upid, err := client.Migrate(ctx, moved.Node, pve.KindVM, moved.VMID, url.Values{"target": {target}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.WaitTask(ctx, upid, pve.WaitOptions{}); err != nil {
			t.Fatal(err)
		}
		want = append(want, driftRow{moved.VMID, "node_name", `"` + target + `"`, `"` + moved.Node + `"`, `"` + moved.Node + `"`, DriftMoved})
	}
	live, _, err := discovery.Discover(ctx, client, discovery.Options{SkipAgents: true})
	if err != nil {
		t.Fatal(err)
	}
	rep := CompareDrift(DriftInputs{Code: code, Live: live.Guests, Synced: synced.Guests})
	got := []driftRow{}
	for _, d := range rep.Drifts {
		r := driftRow{d.VMID, d.Field, d.Server, d.Code, d.Sync, d.Side}
		if d.Field == "description" {
			r.Code, r.Syn = "", "" // the scenario's own description, whatever it is
		}
		got = append(got, r)
	}
	if d := cmp.Diff(want, got); d != "" {
		js, _ := json.MarshalIndent(rep.Drifts, "", " ")
		t.Errorf("drift (-want +got):\n%s\n%s", d, js)
	}
}
