package codegen

import (
	"context"
	"testing"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/discovery"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// largeGuests reads n guests of the simulator's large scenario the way sync does.
func largeGuests(b *testing.B, n int) []state.Guest {
	b.Helper()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	sim, err := pvesim.New(pvesim.Options{Scenario: "large", Nodes: 20, Guests: n, TaskDuration: -1, Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	client, err := pve.New(pve.Config{Endpoint: "https://sim.invalid:8006", APIToken: pvesim.DefaultToken, Transport: sim.RoundTripper()})
	if err != nil {
		b.Fatal(err)
	}
	inv, _, err := discovery.Discover(context.Background(), client, discovery.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return inv.Guests
}

// BenchmarkFiles10k: all of a workspace's code (Terraform, Ansible and the
// tests) for 10,000 guests. The IaC target: HCL + Ansible < 1 s.
func BenchmarkFiles10k(b *testing.B) {
	guests := largeGuests(b, 10000)
	b.ReportAllocs()
	for b.Loop() {
		files, err := Files(guests, nil)
		if err != nil {
			b.Fatal(err)
		}
		if len(files) < 10000 {
			b.Fatalf("%d files", len(files))
		}
	}
}
