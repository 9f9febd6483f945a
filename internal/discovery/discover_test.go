package discovery

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

func TestDiscoverHomelab(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pvesim.Options{Seed: 1})
	fx := f.sim.Fixtures()
	var phases []string
	opts := testOptions()
	opts.Progress = func(p Progress) {
		if len(phases) == 0 || phases[len(phases)-1] != p.Phase {
			phases = append(phases, p.Phase)
		}
		if p.Done > p.Total {
			t.Errorf("progress %s: done %d > total %d", p.Phase, p.Done, p.Total)
		}
	}
	inv, warns, err := Discover(t.Context(), f.client, opts)
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	if len(warns) != 0 {
		t.Errorf("warnings: %v", warns)
	}
	if diff := cmp.Diff([]string{PhaseResources, PhaseGuests, PhaseNodes}, phases); diff != "" {
		t.Errorf("progress phases (-want +got):\n%s", diff)
	}

	if inv.Cluster.Name != "homelab" || inv.Cluster.Version == "" || inv.Cluster.Endpoint != "https://sim.invalid:8006" {
		t.Errorf("cluster = %+v", inv.Cluster)
	}

	// guests
	if len(inv.Guests) != fx.Guests {
		t.Fatalf("%d guests, want %d", len(inv.Guests), fx.Guests)
	}
	byID := map[int]state.Guest{}
	wantAgentCalls := 0
	for _, g := range inv.Guests {
		byID[g.VMID] = g
		if len(g.Config) == 0 || g.Digest == "" {
			t.Errorf("guest %d: config %d keys, digest %q", g.VMID, len(g.Config), g.Digest)
		}
		if g.Name == "" || g.Node == "" || g.MemoryBytes == 0 || g.CPUs == 0 {
			t.Errorf("guest %d incomplete: %+v", g.VMID, g)
		}
		if g.Type == state.TypeVM && g.Status == "running" && agentEnabled(g.Config["agent"]) {
			wantAgentCalls++
			if len(g.AgentIPs) == 0 {
				t.Errorf("guest %d: running with agent but no agent IPs", g.VMID)
			}
		} else if len(g.AgentIPs) != 0 {
			t.Errorf("guest %d: agent IPs %v without a running agent", g.VMID, g.AgentIPs)
		}
		for _, ip := range g.AgentIPs {
			if strings.HasPrefix(ip, "127.") || ip == "::1/128" {
				t.Errorf("guest %d: loopback address %s kept", g.VMID, ip)
			}
		}
	}
	web := byID[fx.VMID]
	if !slices.Contains(web.AgentIPs, "192.168.1.21/24") {
		t.Errorf("vm %d agent IPs = %v, want 192.168.1.21/24 among them", fx.VMID, web.AgentIPs)
	}
	if diff := cmp.Diff([]string{"prod", "web"}, web.Tags); diff != "" {
		t.Errorf("vm %d tags (-want +got):\n%s", fx.VMID, diff)
	}
	if web.Type != state.TypeVM || web.Pool != "prod" || web.Status != "running" || web.Config["cores"] != "2" {
		t.Errorf("vm %d = %+v", fx.VMID, web)
	}
	if g := byID[fx.HAVMID]; g.HAState == "" {
		t.Errorf("vm %d: no HA state", fx.HAVMID)
	}
	if g := byID[fx.TemplateVMID]; !g.Template {
		t.Errorf("vm %d: not a template", fx.TemplateVMID)
	}
	if g := byID[fx.CTID]; g.Type != state.TypeCT || len(g.AgentIPs) != 0 {
		t.Errorf("ct %d = %+v", fx.CTID, g)
	}

	// snapshots
	var snaps []string
	for _, s := range inv.Snapshots {
		snaps = append(snaps, snapshotKey(s))
		if s.Time == nil {
			t.Errorf("%s: no time", snapshotKey(s))
		}
	}
	wantSnaps := []string{"snapshot/101/pre-upgrade", "snapshot/103/before-migration", "snapshot/103/pre-upgrade", "snapshot/200/stable"}
	if diff := cmp.Diff(wantSnaps, snaps); diff != "" {
		t.Errorf("snapshots (-want +got):\n%s", diff)
	}

	// nodes, storages, networks, volumes
	var nodes []string
	for _, n := range inv.Nodes {
		nodes = append(nodes, n.Name)
		if n.Status != "online" || n.SSLFingerprint == "" || n.CPUs == 0 {
			t.Errorf("node %+v", n)
		}
	}
	if diff := cmp.Diff(fx.Nodes, nodes); diff != "" {
		t.Errorf("nodes (-want +got):\n%s", diff)
	}
	if len(inv.Storages) != 3*len(fx.Nodes) {
		t.Errorf("%d storages, want %d", len(inv.Storages), 3*len(fx.Nodes))
	}
	vlan := 0
	for _, n := range inv.Networks {
		if n.Name == fx.VLANBridge {
			vlan++
			if !n.VLANAware || n.Type != "bridge" {
				t.Errorf("network %+v: want a VLAN-aware bridge", n)
			}
		}
		if n.Name == fx.Bridge && (n.CIDR == "" || n.VLANAware || n.Ports == "") {
			t.Errorf("network %+v", n)
		}
	}
	if vlan != len(fx.Nodes) {
		t.Errorf("%d %s bridges, want one per node", vlan, fx.VLANBridge)
	}
	has := func(node, volid, content string) bool {
		return slices.ContainsFunc(inv.Volumes, func(v state.Volume) bool {
			return v.Node == node && v.Volid == volid && v.Content == content
		})
	}
	for _, n := range fx.Nodes {
		if !has(n, fx.ISOVolid, "iso") || !has(n, fx.CTTemplate, "vztmpl") {
			t.Errorf("node %s: iso %s or template %s missing", n, fx.ISOVolid, fx.CTTemplate)
		}
	}
	if !has("", "nas:iso/debian-13.1.0-amd64-netinst.iso", "iso") {
		t.Errorf("shared iso missing from %v", inv.Volumes)
	}
	for _, v := range inv.Volumes {
		if v.Content != "iso" && v.Content != "vztmpl" {
			t.Errorf("volume %+v: want only iso and vztmpl", v)
		}
	}

	// request budget
	isAny := func(suffix string) func(string) bool {
		return func(p string) bool { return strings.HasSuffix(p, suffix) }
	}
	checks := []struct {
		name string
		got  int
		want int
	}{
		{"GET /cluster/resources", f.tap.count("GET", func(p string) bool { return p == "/cluster/resources" }), 1},
		{"GET .../config", f.tap.count("GET", isAny("/config")), fx.Guests},
		{"GET .../snapshot", f.tap.count("GET", isAny("/snapshot")), 3},
		{"GET .../agent/network-get-interfaces", f.tap.count("GET", isAny("/agent/network-get-interfaces")), wantAgentCalls},
		{"GET /nodes/*/network", f.tap.count("GET", isAny("/network")), len(fx.Nodes)},
		// local iso + local vztmpl per node, nas iso once
		{"GET .../content", f.tap.count("GET", isAny("/content")), 2*len(fx.Nodes) + 1},
		{"writes", f.tap.count("POST", isAny("")) + f.tap.count("PUT", isAny("")) + f.tap.count("DELETE", isAny("")), 0},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %d requests, want %d", c.name, c.got, c.want)
		}
	}
}

// blockAgent makes the guest agent of vmid hang until the request gives up.
func blockAgent(vmid string) hook {
	return func(req *http.Request) (*http.Response, error) {
		if strings.Contains(req.URL.Path, "/qemu/"+vmid+"/agent/") {
			<-req.Context().Done()
			return nil, req.Context().Err()
		}
		return nil, nil
	}
}

func TestDiscoverSilentAgent(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pvesim.Options{Seed: 1})
	f.tap.setHook(blockAgent("101"))
	opts := testOptions()
	opts.AgentTimeout = 50 * time.Millisecond
	inv, warns, err := Discover(t.Context(), f.client, opts)
	if err != nil {
		t.Fatalf("Discover: %v", err)
	}
	want := []Warning{{Resource: "guest/101", Message: "guest agent of vm 101 did not answer in 50ms"}}
	if diff := cmp.Diff(want, warns); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	for _, g := range inv.Guests {
		if g.VMID == 101 && len(g.AgentIPs) != 0 {
			t.Errorf("vm 101 agent IPs = %v, want none", g.AgentIPs)
		}
		if g.VMID == 100 && len(g.AgentIPs) == 0 {
			t.Errorf("vm 100 lost its agent IPs")
		}
	}
}

func TestDiscoverCancelled(t *testing.T) {
	t.Parallel()
	f := newFixture(t, pvesim.Options{Seed: 1})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	opts := testOptions()
	opts.Progress = func(p Progress) {
		if p.Phase == PhaseGuests && p.Done == 3 {
			cancel()
		}
	}
	inv, _, err := Discover(ctx, f.client, opts)
	if err == nil {
		t.Fatal("Discover succeeded after cancel")
	}
	if !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("error %q does not name the cancellation", err)
	}
	if len(inv.Guests) != 0 {
		t.Errorf("cancelled Discover returned %d guests", len(inv.Guests))
	}
}

func TestAgentEnabled(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		agent string
		want  bool
	}{
		{"bare 1", "1", true},
		{"bare 0", "0", false},
		{"enabled key", "enabled=1,fstrim_cloned_disks=1", true},
		{"with options", "1,type=virtio", true},
		{"disabled key", "enabled=0", false},
		{"empty", "", false},
		{"garbage", "=,=", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := agentEnabled(tc.agent); got != tc.want {
				t.Errorf("agentEnabled(%q) = %v, want %v", tc.agent, got, tc.want)
			}
		})
	}
}

func TestAgentIPs(t *testing.T) {
	t.Parallel()
	ifaces := []pve.AgentInterface{
		{Name: "lo", IPAddresses: []pve.AgentIP{{Address: "127.0.0.1", Prefix: 8}, {Address: "::1", Prefix: 128}}},
		{Name: "ens18", IPAddresses: []pve.AgentIP{{Address: "192.168.1.21", Prefix: 24}, {Address: "fe80::1%ens18", Prefix: 64}}},
		{Name: "ens19", IPAddresses: []pve.AgentIP{{Address: "10.0.0.5", Prefix: 99}, {Address: "not an ip"}, {Address: "192.168.1.21", Prefix: 24}}},
	}
	want := []string{"10.0.0.5/32", "192.168.1.21/24", "fe80::1/64"}
	if diff := cmp.Diff(want, agentIPs(ifaces)); diff != "" {
		t.Errorf("agentIPs (-want +got):\n%s", diff)
	}
}
