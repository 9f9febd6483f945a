package privacy

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/discovery"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/workspace"
)

// BenchmarkBundleLarge builds an anonymized bundle of a 500-guest cluster
// with 1 MB of logs.
func BenchmarkBundleLarge(b *testing.B) {
	sim, err := pvesim.New(pvesim.Options{Scenario: "large", Guests: 500, Seed: 1, TaskDuration: -1})
	if err != nil {
		b.Fatal(err)
	}
	c, err := pve.New(pve.Config{Endpoint: "https://sim.invalid:8006", APIToken: pvesim.DefaultToken, Transport: sim.RoundTripper()})
	if err != nil {
		b.Fatal(err)
	}
	inv, _, err := discovery.Discover(context.Background(), c, discovery.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ws, err := workspace.Init(filepath.Join(b.TempDir(), "big"), workspace.Config{Name: "big", Endpoint: "https://10.0.0.5:8006"}, workspace.InitOptions{})
	if err != nil {
		b.Fatal(err)
	}
	svc := &Service{Workspace: ws, ConfigDir: filepath.Join(b.TempDir(), "cfg"), State: &fakeSource{inv: inv}}
	p, _ := svc.KeyPath()
	_ = os.MkdirAll(filepath.Dir(p), 0o700)
	if err := os.WriteFile(p, []byte(hex.EncodeToString(bytes.Repeat([]byte{1}, 32))), 0o600); err != nil {
		b.Fatal(err)
	}
	var logs bytes.Buffer
	for i := 0; logs.Len() < 1<<20; i++ {
		g := inv.Guests[i%len(inv.Guests)]
		logs.WriteString(`{"time":"2026-03-01T11:00:00Z","level":"INFO","msg":"start ` + g.Name + `","node":"` + g.Node + `","ip":"10.20.30.40","correlation_id":"abc"}` + "\n")
	}
	in := BundleInput{Logs: func(context.Context, time.Time) ([]byte, error) { return logs.Bytes(), nil }, Anonymize: true}
	out := filepath.Join(b.TempDir(), "r.tar.gz")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := svc.Bundle(context.Background(), out, in); err != nil {
			b.Fatal(err)
		}
	}
}
