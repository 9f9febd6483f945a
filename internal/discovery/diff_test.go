package discovery

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

func baseGuest() state.Guest {
	return state.Guest{
		VMID: 101, Type: state.TypeVM, Node: "pve1", Name: "web-01", Status: "running",
		Tags: []string{"prod", "web"}, Pool: "prod", CPUs: 2, MemoryBytes: 4 << 30, DiskBytes: 32 << 30,
		Config:   map[string]string{"cores": "2", "memory": "4096", "name": "web-01", "net0": "virtio=AA:BB,bridge=vmbr0"},
		Digest:   "aaaa",
		AgentIPs: []string{"192.168.1.21/24"},
	}
}

func inv(guests ...state.Guest) state.Inventory { return state.Inventory{Guests: guests} }

func TestDiff(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ch := func(key, name, kind, field, old, new string) state.Change {
		typ := key[:indexByte(key, '/')]
		return state.Change{SyncID: 7, At: at, ResourceType: typ, ResourceKey: key, Name: name, Kind: kind, Field: field, Old: old, New: new}
	}
	with := func(f func(g *state.Guest)) state.Guest {
		g := baseGuest()
		g.Config = map[string]string{}
		for k, v := range baseGuest().Config {
			g.Config[k] = v
		}
		f(&g)
		return g
	}
	other := with(func(g *state.Guest) { g.VMID, g.Name = 102, "web-02" })
	tests := []struct {
		name        string
		prev, next  state.Inventory
		want        []state.Change
		wantSummary Summary
	}{
		{
			name: "nothing changed",
			prev: inv(baseGuest(), other), next: inv(baseGuest(), other),
			wantSummary: Summary{Unchanged: 2},
		},
		{
			name: "created",
			prev: inv(other), next: inv(baseGuest(), other),
			want:        []state.Change{ch("guest/101", "web-01", state.ChangeCreated, "", "", "")},
			wantSummary: Summary{Added: 1, Unchanged: 1},
		},
		{
			name: "removed",
			prev: inv(baseGuest(), other), next: inv(other),
			want:        []state.Change{ch("guest/101", "web-01", state.ChangeRemoved, "", "", "")},
			wantSummary: Summary{Removed: 1, Unchanged: 1},
		},
		{
			name: "first sync",
			prev: state.Inventory{}, next: inv(other, baseGuest()),
			want: []state.Change{
				ch("guest/101", "web-01", state.ChangeCreated, "", "", ""),
				ch("guest/102", "web-02", state.ChangeCreated, "", "", ""),
			},
			wantSummary: Summary{Added: 2},
		},
		{
			name: "field changes",
			prev: inv(baseGuest()),
			next: inv(with(func(g *state.Guest) {
				g.Status, g.Tags, g.Lock, g.HAState, g.Template = "stopped", []string{"web"}, "backup", "started", true
				g.AgentIPs = nil
			})),
			want: []state.Change{
				ch("guest/101", "web-01", state.ChangeUpdated, "agent_ips", "192.168.1.21/24", ""),
				ch("guest/101", "web-01", state.ChangeUpdated, "ha_state", "", "started"),
				ch("guest/101", "web-01", state.ChangeUpdated, "lock", "", "backup"),
				ch("guest/101", "web-01", state.ChangeUpdated, "status", "running", "stopped"),
				ch("guest/101", "web-01", state.ChangeUpdated, "tags", "prod;web", "web"),
				ch("guest/101", "web-01", state.ChangeUpdated, "template", "false", "true"),
			},
			wantSummary: Summary{Changed: 1},
		},
		{
			name: "config key added, removed, changed",
			prev: inv(baseGuest()),
			next: inv(with(func(g *state.Guest) {
				g.Config["cores"] = "4"
				g.Config["description"] = "front end"
				delete(g.Config, "net0")
				g.Digest = "bbbb"
				g.CPUs = 4
			})),
			want: []state.Change{
				ch("guest/101", "web-01", state.ChangeUpdated, "cpus", "2", "4"),
				ch("guest/101", "web-01", state.ChangeUpdated, "config.cores", "2", "4"),
				ch("guest/101", "web-01", state.ChangeUpdated, "config.description", "", "front end"),
				ch("guest/101", "web-01", state.ChangeUpdated, "config.net0", "virtio=AA:BB,bridge=vmbr0", ""),
			},
			wantSummary: Summary{Changed: 1},
		},
		{
			name: "renamed guest carries the new name",
			prev: inv(baseGuest()),
			next: inv(with(func(g *state.Guest) { g.Name, g.Config["name"] = "web-1", "web-1" })),
			want: []state.Change{
				ch("guest/101", "web-1", state.ChangeUpdated, "name", "web-01", "web-1"),
				ch("guest/101", "web-1", state.ChangeUpdated, "config.name", "web-01", "web-1"),
			},
			wantSummary: Summary{Changed: 1},
		},
		{
			name:        "migration is one changed guest",
			prev:        inv(baseGuest()),
			next:        inv(with(func(g *state.Guest) { g.Node = "pve2"; g.Digest = "cccc"; g.UptimeSeconds = 3 })),
			want:        []state.Change{ch("guest/101", "web-01", state.ChangeUpdated, "node", "pve1", "pve2")},
			wantSummary: Summary{Changed: 1},
		},
		{
			name: "volatile values only",
			prev: inv(baseGuest()),
			next: inv(with(func(g *state.Guest) {
				g.UptimeSeconds, g.MemoryUsedBytes, g.Digest = 99999, 123456, "dddd"
				g.FirstSeen, g.LastSeen = at.Add(-time.Hour), at
				g.Config["lock"] = "backup" // reported by the lock field, which is unchanged here
			})),
			wantSummary: Summary{Unchanged: 1},
		},
		{
			name: "other resources",
			prev: state.Inventory{
				Nodes:     []state.Node{{Name: "pve1", Status: "online", CPUs: 16, UptimeSeconds: 5, CPUUsage: 0.1}},
				Storages:  []state.Storage{{Node: "pve1", Name: "local", Type: "dir", Content: []string{"iso"}, Status: "available", UsedBytes: 1}},
				Networks:  []state.Network{{Node: "pve1", Name: "vmbr1", Type: "bridge"}},
				Volumes:   []state.Volume{{Node: "pve1", Storage: "local", Volid: "local:iso/a.iso", Content: "iso", SizeBytes: 10}},
				Snapshots: []state.Snapshot{{VMID: 101, Name: "old"}, {VMID: 9, Name: "x"}},
			},
			next: state.Inventory{
				Nodes:     []state.Node{{Name: "pve1", Status: "offline", CPUs: 16, UptimeSeconds: 99, CPUUsage: 0.9}},
				Storages:  []state.Storage{{Node: "pve1", Name: "local", Type: "dir", Content: []string{"iso"}, Status: "available", UsedBytes: 2}},
				Networks:  []state.Network{{Node: "pve1", Name: "vmbr1", Type: "bridge", VLANAware: true}},
				Volumes:   []state.Volume{{Storage: "nas", Volid: "nas:iso/b.iso", Content: "iso", SizeBytes: 20}},
				Snapshots: []state.Snapshot{{VMID: 101, Name: "new", Parent: "old"}, {VMID: 9, Name: "x", Description: "d"}},
			},
			want: []state.Change{
				ch("snapshot/9/x", "x", state.ChangeUpdated, "description", "", "d"),
				ch("snapshot/101/new", "new", state.ChangeCreated, "", "", ""),
				ch("snapshot/101/old", "old", state.ChangeRemoved, "", "", ""),
				ch("node/pve1", "pve1", state.ChangeUpdated, "status", "online", "offline"),
				ch("network/pve1/vmbr1", "vmbr1", state.ChangeUpdated, "vlan_aware", "false", "true"),
				ch("volume/nas:iso/b.iso", "nas:iso/b.iso", state.ChangeCreated, "", "", ""),
				ch("volume/pve1/local:iso/a.iso", "local:iso/a.iso", state.ChangeRemoved, "", "", ""),
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, sum := Diff(tc.prev, tc.next, 7, at)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantSummary, sum); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
			// Diff is deterministic and does not depend on input order.
			again, _ := Diff(reversed(tc.prev), reversed(tc.next), 7, at)
			if diff := cmp.Diff(got, again); diff != "" {
				t.Errorf("changes depend on input order (-first +reversed):\n%s", diff)
			}
		})
	}
}

func indexByte(s string, b byte) int {
	for i := range len(s) {
		if s[i] == b {
			return i
		}
	}
	return len(s)
}

func reversed(in state.Inventory) state.Inventory {
	rev := func(n int, swap func(i, j int)) {
		for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
			swap(i, j)
		}
	}
	out := in
	out.Guests = append([]state.Guest(nil), in.Guests...)
	rev(len(out.Guests), func(i, j int) { out.Guests[i], out.Guests[j] = out.Guests[j], out.Guests[i] })
	out.Snapshots = append([]state.Snapshot(nil), in.Snapshots...)
	rev(len(out.Snapshots), func(i, j int) { out.Snapshots[i], out.Snapshots[j] = out.Snapshots[j], out.Snapshots[i] })
	return out
}

func TestSummaryString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    Summary
		want string
	}{
		{Summary{Added: 3, Changed: 2, Removed: 1, Unchanged: 9, Duration: 1200 * time.Millisecond}, "+3 new, ~2 changed, -1 removed in 1.2s"},
		{Summary{Duration: 800 * time.Millisecond}, "+0 new, ~0 changed, -0 removed in 0.8s"},
		{Summary{Added: 10000, Duration: 4 * time.Second}, "+10000 new, ~0 changed, -0 removed in 4.0s"},
	}
	for _, tc := range tests {
		if got := tc.s.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
}

func TestCompareKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int // sign
	}{
		{"snapshot/9/a", "snapshot/100/a", -1},
		{"snapshot/100/a", "snapshot/100/b", -1},
		{"node/pve10", "node/pve2", -1}, // not numeric: byte order
		{"volume/a", "volume/a/b", -1},
		{"node/x", "node/x", 0},
	}
	for _, tc := range tests {
		got := compareKeys(tc.a, tc.b)
		if (got < 0) != (tc.want < 0) || (got == 0) != (tc.want == 0) {
			t.Errorf("compareKeys(%q, %q) = %d, want sign %d", tc.a, tc.b, got, tc.want)
		}
	}
}
