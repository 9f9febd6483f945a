package ansible

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/discovery"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// scenarioGuests discovers a simulated cluster and returns its guests as a
// sync would store them.
func scenarioGuests(tb testing.TB, opts pvesim.Options) []state.Guest {
	tb.Helper()
	opts.TaskDuration = -1
	sim, err := pvesim.New(opts)
	if err != nil {
		tb.Fatalf("pvesim.New: %v", err)
	}
	client, err := pve.New(pve.Config{Endpoint: "https://sim.invalid:8006", APIToken: pvesim.DefaultToken, Transport: sim.RoundTripper()})
	if err != nil {
		tb.Fatalf("pve.New: %v", err)
	}
	inv, _, err := discovery.Discover(tb.Context(), client, discovery.Options{})
	if err != nil {
		tb.Fatalf("discover: %v", err)
	}
	if len(inv.Guests) == 0 {
		tb.Fatal("the scenario has no guests")
	}
	return inv.Guests
}

func homelab(tb testing.TB) []state.Guest {
	tb.Helper()
	return scenarioGuests(tb, pvesim.Options{Scenario: pvesim.ScenarioHomelab})
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs (-want +got; go test -update rewrites it):\n%s", path, d)
	}
}
