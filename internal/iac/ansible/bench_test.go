package ansible

import (
	"testing"

	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// large10k is the large scenario with 10,000 guests on 20 nodes, as a sync
// stores it.
func large10k(b *testing.B) []state.Guest {
	b.Helper()
	return scenarioGuests(b, pvesim.Options{Scenario: pvesim.ScenarioLarge, Nodes: 20, Guests: 10_000, Seed: 1})
}

func BenchmarkList10k(b *testing.B) {
	guests := large10k(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := List(guests, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGenerate10k(b *testing.B) {
	guests := large10k(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Generate(guests, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHost10k(b *testing.B) {
	guests := large10k(b)
	name := HostName(guests[len(guests)/2], guests)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Host(guests, name, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
