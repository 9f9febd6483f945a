package terraform

import (
	"sync"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
)

var (
	bench10kOnce   sync.Once
	bench10kGuests []iac.Guest
)

// large10k returns the 10,000 guests of `large` (discovered once per run).
func large10k(b *testing.B) []iac.Guest {
	b.Helper()
	bench10kOnce.Do(func() { bench10kGuests = guestsOf(b, pvesim.ScenarioLarge, 10_000) })
	if len(bench10kGuests) != 10_000 {
		b.Fatalf("%d guests", len(bench10kGuests))
	}
	return bench10kGuests
}

func BenchmarkGenerate10k(b *testing.B) {
	guests := large10k(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Generate(guests, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRead10k(b *testing.B) {
	files, err := Generate(large10k(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	m := fileMap(files)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Read(m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckSchema10k(b *testing.B) {
	files, err := Generate(large10k(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	m := fileMap(files)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if errs := CheckSchema(m); len(errs) > 0 {
			b.Fatal(errs[0])
		}
	}
}

// BenchmarkParseConfig10k is the floor of BenchmarkRead10k: bare
// hclsyntax.ParseConfig of the same files, on the same workers, nothing
// read from the trees.
func BenchmarkParseConfig10k(b *testing.B) {
	files, err := Generate(large10k(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		forEach(len(files), func(i int) {
			if _, diags := hclsyntax.ParseConfig(files[i].Content, files[i].Path, hcl.InitialPos); diags.HasErrors() {
				panic(diags)
			}
		})
	}
}
