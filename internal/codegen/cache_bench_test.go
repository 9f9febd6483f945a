package codegen

import (
	"testing"

	"github.com/proxmox-mpc/proxmox-mpc/internal/iac/terraform"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// BenchmarkExistingNames10k reads the names of a 10,000-guest workspace
// the way sync and generate do (files from disk, cache in SQLite): "none"
// without a cache, "warm" with every file in it.
func BenchmarkExistingNames10k(b *testing.B) {
	ws, st := benchWorkspace(b, 10_000)
	for _, bc := range []struct {
		name  string
		cache func() terraform.Cache
	}{
		{"none", func() terraform.Cache { return nil }},
		{"warm", func() terraform.Cache { return StoreCache(b.Context(), st, nil) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if _, err := ExistingNames(ws, bc.cache()); err != nil { // fills the cache
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := ExistingNames(ws, bc.cache()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func benchWorkspace(b *testing.B, n int) (*workspace.Workspace, CodeCacheStore) {
	b.Helper()
	ws, st, _ := codeWorkspace(b, n)
	return ws, st
}
