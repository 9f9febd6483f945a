package engine

import (
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
)

// BenchmarkDiff10k: 10,000 guests, code read from the generated files,
// live from the same scenario with 50 guests edited on the server.
func BenchmarkDiff10k(b *testing.B) {
	live := scenarioGuests(b, pvesim.ScenarioLarge, 10_000)
	code, hash := syncedCode(b, live)
	edited := 0
	for i := range live {
		if edited == 50 {
			break
		}
		if i%100 != 0 || live[i].Template {
			continue
		}
		conf := make(map[string]string, len(live[i].Config))
		for k, v := range live[i].Config {
			conf[k] = v
		}
		cores, _ := strconv.Atoi(conf["cores"])
		conf["cores"] = strconv.Itoa(cores + 2)
		live[i].Config = conf
		edited++
	}
	all := func(int) bool { return true }
	b.ReportAllocs()
	b.ResetTimer()
	var plan Plan
	cpu0 := cpuTime()
	for b.Loop() {
		plan = Diff(code.Guests, live, DiffOptions{Managed: all, Files: code.Files, CodeHash: hash})
	}
	b.StopTimer()
	// CPU time per Diff (all threads): on a busy machine the wall time
	// says more about the neighbours than about Diff.
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	if len(plan.Changes) != edited {
		b.Fatalf("%d changes, want %d", len(plan.Changes), edited)
	}
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
