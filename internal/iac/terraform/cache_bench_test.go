package terraform

import (
	"testing"
)

// BenchmarkReadCached10kWarm reads the 10,000 guest files of `large` back
// with every file in the cache: hash, look up, decode, merge.
func BenchmarkReadCached10kWarm(b *testing.B) {
	files, err := Generate(large10k(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	m := fileMap(files)
	c := newMapCache()
	if _, err := ReadCached(m, c); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := ReadCached(m, c); err != nil {
			b.Fatal(err)
		}
	}
	if c.puts != 1 {
		b.Fatalf("%d Puts: a warm read stored entries", c.puts)
	}
}

// BenchmarkReadCached10kCold reads the same files with an empty cache:
// Read plus hashing and encoding every file's result for Put.
func BenchmarkReadCached10kCold(b *testing.B) {
	files, err := Generate(large10k(b), Options{})
	if err != nil {
		b.Fatal(err)
	}
	m := fileMap(files)
	var stored int
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		c := newMapCache()
		if _, err := ReadCached(m, c); err != nil {
			b.Fatal(err)
		}
		stored = 0
		for _, v := range c.m {
			stored += len(v)
		}
	}
	b.ReportMetric(float64(stored)/float64(len(m)), "B/entry")
}
