package mcp

import (
	"context"
	"fmt"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

func manyGuests(n int) []state.Guest {
	gs := make([]state.Guest, n)
	for i := range gs {
		gs[i] = state.Guest{VMID: 100 + i, Type: "vm", Node: fmt.Sprintf("pve%d", i%8), Name: fmt.Sprintf("guest-%05d", i),
			Status: "running", Tags: []string{"bench"}, CPUs: 2, MemoryBytes: 2 << 30, AgentIPs: []string{fmt.Sprintf("10.%d.%d.%d/16", i/65536%256, i/256%256, i%256)}}
	}
	return gs
}

// BenchmarkListGuests10k is list_guests over 10,000 guests from a fake
// store, end to end through the in-memory transport (target: < 50 ms).
func BenchmarkListGuests10k(b *testing.B) {
	for _, c := range []struct {
		privacy bool
		limit   int
	}{{false, 0}, {true, 0}, {false, 2000}, {true, 2000}} {
		privacy := c.privacy
		b.Run(fmt.Sprintf("privacy=%v/limit=%d", privacy, c.limit), func(b *testing.B) {
			gs := manyGuests(10000)
			cs := connect(b, Deps{Guests: func(context.Context) ([]state.Guest, error) { return gs, nil }}, Options{NoPrivacy: !privacy})
			ctx := context.Background()
			for b.Loop() {
				res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: "list_guests", Arguments: map[string]any{"limit": c.limit, "tag": "bench"}})
				if err != nil || res.IsError {
					b.Fatal(err, res)
				}
			}
		})
	}
}

// BenchmarkReady is New + connect + initialize, in-process (target: < 100 ms).
func BenchmarkReady(b *testing.B) {
	deps := newFake().deps()
	ctx := context.Background()
	for b.Loop() {
		srv := New(deps, Options{})
		st, ct := sdk.NewInMemoryTransports()
		ss, err := srv.SDK().Connect(ctx, st, nil)
		if err != nil {
			b.Fatal(err)
		}
		cs, err := sdk.NewClient(&sdk.Implementation{Name: "bench", Version: "1"}, nil).Connect(ctx, ct, nil)
		if err != nil {
			b.Fatal(err)
		}
		cs.Close()
		ss.Wait()
	}
}
