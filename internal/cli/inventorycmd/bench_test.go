package inventorycmd

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
)

// BenchmarkInventoryList10k is `proxmox-mpc inventory --list` over a SQLite
// store holding a sync of 10,000 guests: reading every guest with its
// config from the store and printing the JSON (opening the store is not
// counted).
func BenchmarkInventoryList10k(b *testing.B) {
	st := syncedStore(b, 10_000)
	ios, _, _, _ := iostreams.Test()
	ios.Out = io.Discard
	f := &cmdutil.Factory{IOStreams: ios, StateInventory: func(context.Context) (*inventory.Service, error) {
		return inventory.NewFromState(st, slog.New(slog.DiscardHandler)), nil
	}}
	b.ReportAllocs()
	for b.Loop() {
		cmd := NewCmdInventory(f, stateGuests(f, st), nil)
		cmd.SetArgs([]string{"--list"})
		if err := cmd.ExecuteContext(b.Context()); err != nil {
			b.Fatal(err)
		}
	}
}
