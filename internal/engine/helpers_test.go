package engine

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/discovery"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/terraform"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// scenarioGuests discovers a simulated cluster and returns its guests.
func scenarioGuests(tb testing.TB, scenario string, guests int) []state.Guest {
	tb.Helper()
	now := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	sim, err := pvesim.New(pvesim.Options{Scenario: scenario, Guests: guests, TaskDuration: -1, Now: func() time.Time { return now }})
	if err != nil {
		tb.Fatalf("pvesim.New: %v", err)
	}
	client, err := pve.New(pve.Config{Endpoint: "https://sim.invalid:8006", APIToken: pvesim.DefaultToken, Transport: sim.RoundTripper()})
	if err != nil {
		tb.Fatalf("pve.New: %v", err)
	}
	inv, _, err := discovery.Discover(context.Background(), client, discovery.Options{})
	if err != nil {
		tb.Fatalf("discover %s: %v", scenario, err)
	}
	return inv.Guests
}

// syncedCode is the terraform/ code sync generates for guests, read back,
// and the hash of its files.
func syncedCode(tb testing.TB, guests []state.Guest) (*terraform.Code, string) {
	tb.Helper()
	models := make([]iac.Guest, len(guests))
	for i, g := range guests {
		models[i] = iac.FromState(g)
	}
	files, err := terraform.Generate(models, terraform.Options{})
	if err != nil {
		tb.Fatalf("terraform.Generate: %v", err)
	}
	tf := map[string][]byte{}
	for _, f := range files {
		tf[f.Path] = f.Content
	}
	code, err := terraform.Read(tf)
	if err != nil {
		tb.Fatalf("terraform.Read: %v", err)
	}
	return code, HashFiles(tf)
}

// golden compares got with testdata/<name>.golden, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, d)
	}
}
