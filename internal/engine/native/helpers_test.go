package native

import (
	"context"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/discovery"
	"github.com/proxmox-mpc/proxmox-mpc/internal/engine"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iac"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state/sqlite"
)

// tap counts requests by "METHOD /path" and can answer instead of the
// simulator.
type tap struct {
	base http.RoundTripper
	mu   sync.Mutex
	n    map[string]int
	hook func(req *http.Request) (*http.Response, error)
}

func (t *tap) RoundTrip(req *http.Request) (*http.Response, error) {
	t.mu.Lock()
	t.n[req.Method+" "+strings.TrimPrefix(req.URL.Path, "/api2/json")]++
	h := t.hook
	t.mu.Unlock()
	if h != nil {
		if res, err := h(req); res != nil || err != nil {
			return res, err
		}
	}
	return t.base.RoundTrip(req)
}

func (t *tap) count(key string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n[key]
}

type fixture struct {
	sim     *pvesim.Sim
	client  *pve.Client // the one under test, through tap
	admin   *pve.Client // straight to the simulator
	tap     *tap
	journal state.Store
}

func newFixture(t testing.TB, opts pvesim.Options) *fixture {
	t.Helper()
	sim, err := pvesim.New(opts)
	if err != nil {
		t.Fatalf("pvesim.New: %v", err)
	}
	tp := &tap{base: sim.RoundTripper(), n: map[string]int{}}
	client, err := pve.New(pve.Config{Endpoint: "https://sim.invalid:8006", APIToken: pvesim.DefaultToken, Transport: tp})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := pve.New(pve.Config{Endpoint: "https://sim.invalid:8006", APIToken: pvesim.DefaultToken, Transport: sim.RoundTripper()})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return &fixture{sim: sim, client: client, admin: admin, tap: tp, journal: st}
}

func (f *fixture) deps() Deps {
	return Deps{Client: f.client, Journal: f.journal, Identity: "root@pam!sim", OSUser: "tester"}
}

func fastOpts() Options {
	return Options{PollInterval: 2 * time.Millisecond, CorrelationID: "test"}
}

// live reads every guest as sync does.
func (f *fixture) live(t testing.TB) map[int]state.Guest {
	t.Helper()
	inv, _, err := discovery.Discover(context.Background(), f.admin, discovery.Options{})
	if err != nil {
		t.Fatalf("discover: %v", err)
	}
	out := map[int]state.Guest{}
	for _, g := range inv.Guests {
		out[g.VMID] = g
	}
	return out
}

// guest reads one guest as sync does.
func (f *fixture) guest(t testing.TB, vmid int) state.Guest {
	t.Helper()
	g, ok := f.live(t)[vmid]
	if !ok {
		t.Fatalf("guest %d does not exist", vmid)
	}
	return g
}

func (f *fixture) wait(t testing.TB, upid string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("start task: %v", err)
	}
	if _, err := f.admin.WaitTask(context.Background(), upid, pve.WaitOptions{Interval: 2 * time.Millisecond}); err != nil {
		t.Fatalf("wait for %s: %v", upid, err)
	}
}

// ops returns the journal entries of the test's correlation id.
func (f *fixture) ops(t testing.TB) []state.Operation {
	t.Helper()
	ops, err := f.journal.Operations(context.Background(), state.OperationFilter{CorrelationID: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return ops
}

func address(g iac.Guest) string {
	if g.Kind == iac.KindCT {
		return "proxmox_virtual_environment_container.g" + itoa(g.VMID)
	}
	return "proxmox_virtual_environment_vm.g" + itoa(g.VMID)
}

func itoa(n int) string { return strconv.Itoa(n) }

// createChange plans the creation of desired.
func createChange(d iac.Guest) engine.GuestChange {
	return engine.GuestChange{Address: address(d), Kind: d.Kind, VMID: d.VMID, Node: d.Node, Name: d.Name, Action: engine.Create, Disruption: engine.None, Desired: &d}
}

// updateChange plans desired over live.
func updateChange(d iac.Guest, live state.Guest) engine.GuestChange {
	return engine.GuestChange{Address: address(d), Kind: d.Kind, VMID: d.VMID, Node: live.Node, Name: d.Name, Action: engine.Update, Disruption: engine.Hotplug, Digest: live.Digest, Desired: &d, Live: &live}
}

// newVM is a small VM model to create.
func newVM(vmid int, node string) iac.Guest {
	return iac.Guest{
		Kind: iac.KindVM, Node: node, VMID: vmid, Name: "new-" + itoa(vmid), Tags: []string{"web"},
		VM: &iac.VM{
			BIOS: "seabios", SCSIHardware: "virtio-scsi-single", OSType: "l26", Tablet: true, ACPI: true,
			CPU:    iac.VMCPU{Cores: 2, Sockets: 1, Type: "x86-64-v2-AES"},
			Memory: iac.VMMemory{DedicatedMiB: 2048},
			Disks:  []iac.Disk{{Interface: "scsi0", Datastore: "local-lvm", SizeGiB: 8, Cache: "none", Discard: "on", AIO: "io_uring", IOThread: true, Backup: true, Replicate: true}},
			NICs:   []iac.NIC{{Model: "virtio", Bridge: "vmbr0"}},
		},
	}
}
