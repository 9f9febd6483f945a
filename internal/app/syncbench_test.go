package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
)

// BenchmarkSync10k: whole-process `proxmox-mpc sync` of `large` (20 nodes,
// 10,000 guests, simulator +2 ms per request over HTTPS, served from this
// test process), first into an empty store ("full"), then again with
// nothing changed ("unchanged"). Targets: full < 5 s and < 250 MB RSS,
// unchanged < 3 s. PostgreSQL runs when PMC_TEST_POSTGRES_URL is set
// (scripts/with-postgres.sh). The naive one-request-at-a-time sync is
// measured by discovery's BenchmarkSyncNaive.
//
//	./scripts/with-postgres.sh go test ./internal/app -run '^$' -bench Sync10k -benchtime 3x
func BenchmarkSync10k(b *testing.B) {
	bin := buildBinary(b)
	srv, fp := largeSim(b, 10000)
	backends := map[string]func(b *testing.B) string{
		"sqlite": func(b *testing.B) string { return filepath.Join(b.TempDir(), "state.db") },
	}
	if u := os.Getenv("PMC_TEST_POSTGRES_URL"); u != "" {
		backends["postgres"] = func(b *testing.B) string { return freshSchemaURL(b, u) }
	}
	for _, name := range []string{"sqlite", "postgres"} {
		fresh, ok := backends[name]
		if !ok {
			continue
		}
		env := func(stateURL string) []string {
			return []string{"PROXMOX_VE_ENDPOINT=" + srv.URL, "PROXMOX_VE_API_TOKEN=" + pvesim.DefaultToken, "HOME=" + b.TempDir(), "PMC_STATE_URL=" + stateURL}
		}
		b.Run(name+"/full", func(b *testing.B) {
			var rss int64
			var total time.Duration
			for b.Loop() {
				b.StopTimer()
				e := env(fresh(b))
				b.StartTimer()
				d, r := runProcess(b, bin, e, "sync", "--fingerprint", fp)
				total += d
				rss = max(rss, r)
			}
			b.ReportMetric(float64(rss)/(1<<20), "MB-rss")
		})
		b.Run(name+"/unchanged", func(b *testing.B) {
			e := env(fresh(b))
			runProcess(b, bin, e, "sync", "--fingerprint", fp)
			var rss int64
			b.ResetTimer()
			for b.Loop() {
				_, r := runProcess(b, bin, e, "sync", "--fingerprint", fp)
				rss = max(rss, r)
			}
			b.ReportMetric(float64(rss)/(1<<20), "MB-rss")
		})
	}
}

// freshSchemaURL makes a throwaway schema on the test server and returns
// a URL whose search_path points at it.
func freshSchemaURL(b *testing.B, base string) string {
	b.Helper()
	var r [6]byte
	_, _ = rand.Read(r[:])
	schema := "pmc_b_" + hex.EncodeToString(r[:])
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = conn.Close(ctx) }()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		c, err := pgx.Connect(ctx, base)
		if err == nil {
			_, _ = c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
			_ = c.Close(ctx)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		b.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
