package iac

import (
	"context"
	"testing"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/discovery"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// scenarioGuests discovers a simulated cluster and returns its guests.
func scenarioGuests(t testing.TB, scenario string, guests int) []state.Guest {
	t.Helper()
	// A fixed clock keeps generated values (meta ctime) stable for golden files.
	now := time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)
	sim, err := pvesim.New(pvesim.Options{Scenario: scenario, Guests: guests, TaskDuration: -1, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatalf("pvesim.New: %v", err)
	}
	client, err := pve.New(pve.Config{Endpoint: "https://sim.invalid:8006", APIToken: pvesim.DefaultToken, Transport: sim.RoundTripper()})
	if err != nil {
		t.Fatalf("pve.New: %v", err)
	}
	inv, _, err := discovery.Discover(context.Background(), client, discovery.Options{})
	if err != nil {
		t.Fatalf("discover %s: %v", scenario, err)
	}
	return inv.Guests
}
