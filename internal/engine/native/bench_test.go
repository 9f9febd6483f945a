package native

import (
	"context"
	"testing"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/engine"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
)

// BenchmarkApply50Creates creates 50 VMs against the simulator with 300 ms
// tasks and 2 ms latency. It reports the apply's wall time and that of one
// create alone (same poll interval): with enough parallelism the apply
// takes less than twice the single create.
func BenchmarkApply50Creates(b *testing.B) {
	opts := Options{Parallelism: 50, PollInterval: 20 * time.Millisecond}
	simOpts := pvesim.Options{TaskDuration: 300 * time.Millisecond, Latency: 2 * time.Millisecond}
	var single, total time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		f := newFixture(b, simOpts)
		node := f.sim.Fixtures().Node
		one := Apply(context.Background(), engine.Plan{Changes: []engine.GuestChange{createChange(newVM(999, node))}}, Deps{Client: f.client}, opts, nil)
		if one.Err != nil {
			b.Fatal(one.Err)
		}
		single += one.Succeeded[0].Elapsed
		var changes []engine.GuestChange
		for j := range 50 {
			changes = append(changes, createChange(newVM(1000+j, node)))
		}
		b.StartTimer()
		start := time.Now()
		res := Apply(context.Background(), engine.Plan{Changes: changes}, Deps{Client: f.client, Journal: f.journal}, opts, nil)
		total += time.Since(start)
		if res.Err != nil || len(res.Succeeded) != 50 {
			b.Fatalf("apply: %v (%d succeeded)", res.Err, len(res.Succeeded))
		}
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/apply")
	b.ReportMetric(float64(single.Milliseconds())/float64(b.N), "ms/single-create")
	b.ReportMetric(float64(total)/float64(single), "apply/single")
}
