package pvesim

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
)

func TestLargeScenario(t *testing.T) {
	t.Parallel()
	s, _ := newTestSim(t, Options{Scenario: "large", Nodes: 20, Guests: 10_000, Seed: 3})
	rows := mustOK(t, do(t, s, "GET", "/cluster/resources", url.Values{"type": {"vm"}}), "resources").dataList(t)
	if len(rows) != 10_000 {
		t.Fatalf("got %d vm rows, want 10000", len(rows))
	}
	kinds := map[string]int{}
	names := map[string]bool{}
	for _, r := range rows {
		m := r.(map[string]any)
		kinds[m["type"].(string)]++
		names[m["name"].(string)] = true
	}
	if kinds["qemu"] != 8000 || kinds["lxc"] != 2000 {
		t.Errorf("kinds = %v, want 8000 qemu and 2000 lxc", kinds)
	}
	if len(names) != 10_000 {
		t.Errorf("%d distinct names, want 10000", len(names))
	}
	nodes := mustOK(t, do(t, s, "GET", "/nodes", nil), "nodes").dataList(t)
	if len(nodes) != 20 || nodes[19].(map[string]any)["node"] != "node20" {
		t.Errorf("nodes = %d, last %v", len(nodes), nodes[len(nodes)-1])
	}
	f := s.Fixtures()
	if f.VMID == 0 || f.CTID == 0 || f.TemplateVMID == 0 || f.StoppedVMID == 0 {
		t.Fatalf("fixtures incomplete: %+v", f)
	}
	for _, p := range []string{
		"/nodes/" + f.Node + "/qemu/" + itoaT(f.VMID) + "/config",
		"/nodes/" + f.Node + "/lxc/" + itoaT(f.CTID) + "/config",
		"/nodes/" + f.Node + "/qemu/" + itoaT(f.VMID) + "/agent/network-get-interfaces",
	} {
		mustOK(t, do(t, s, http.MethodGet, p, nil), p)
	}
}

func TestLargeDefaults(t *testing.T) {
	t.Parallel()
	s, _ := newTestSim(t, Options{Scenario: "large"})
	if f := s.Fixtures(); f.Guests != 100 || len(f.Nodes) != 3 {
		t.Fatalf("defaults: %d guests on %d nodes, want 100 on 3", f.Guests, len(f.Nodes))
	}
}

func itoaT(n int) string { return strconv.Itoa(n) }

func BenchmarkNewLarge10k(b *testing.B) {
	for b.Loop() {
		if _, err := New(Options{Scenario: "large", Nodes: 20, Guests: 10_000}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkClusterResources10k(b *testing.B) {
	s, err := New(Options{Scenario: "large", Nodes: 20, Guests: 10_000})
	if err != nil {
		b.Fatal(err)
	}
	rt := s.RoundTripper()
	b.ReportAllocs()
	for b.Loop() {
		req, _ := http.NewRequest("GET", "https://x/api2/json/cluster/resources?type=vm", nil)
		req.Header.Set("Authorization", "PVEAPIToken="+DefaultToken)
		res, err := rt.RoundTrip(req)
		if err != nil || res.StatusCode != 200 {
			b.Fatalf("%v %v", err, res)
		}
		res.Body.Close()
	}
}
