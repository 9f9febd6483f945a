package sqlite

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"
	"time"
)

// codeCache10k is 10,000 entries the size of a guest file's cached read
// (about 1.8 kB each), keyed like terraform.FileHash.
func codeCache10k() (map[string][]byte, []string) {
	entries := make(map[string][]byte, 10_000)
	hashes := make([]string, 0, 10_000)
	for i := range 10_000 {
		sum := sha256.Sum256(fmt.Appendf(nil, "file %d", i))
		h := hex.EncodeToString(sum[:])
		v := make([]byte, 1800)
		for j := range v {
			v[j] = byte(i + j)
		}
		entries[h] = v
		hashes = append(hashes, h)
	}
	return entries, hashes
}

// BenchmarkCodeCache10k: "put" stores 10,000 entries into an empty cache,
// "get" reads them all back (the warm read of a 10,000-guest workspace).
func BenchmarkCodeCache10k(b *testing.B) {
	entries, hashes := codeCache10k()
	b.Run("put", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			s, _ := openTemp(b)
			b.StartTimer()
			if err := s.CodeCachePut(b.Context(), entries, time.Now()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("get", func(b *testing.B) {
		s, _ := openTemp(b)
		if err := s.CodeCachePut(b.Context(), entries, time.Now()); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			got, err := s.CodeCacheGet(b.Context(), hashes)
			if err != nil || len(got) != len(hashes) {
				b.Fatalf("%d entries, %v", len(got), err)
			}
		}
	})
}
