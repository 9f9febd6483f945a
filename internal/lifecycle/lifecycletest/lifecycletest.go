// Package lifecycletest builds a lifecycle.Service over the in-process
// simulator with a SQLite journal, for the tests of the front ends (which
// may not import pve or the state drivers themselves).
package lifecycletest

import (
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
	"github.com/proxmox-mpc/proxmox-mpc/internal/lifecycle"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state/sqlite"
)

// Options tune the simulated server.
type Options struct {
	TaskFailRate float64 // fraction of tasks that fail
}

// Env is a simulated cluster with the services over it.
type Env struct {
	Inventory *inventory.Service
	Lifecycle *lifecycle.Service
	Journal   state.Store
	counter   *counter
}

// New starts a homelab simulator whose tasks finish at once, and a
// temporary SQLite journal closed at the end of the test.
func New(t testing.TB, opts Options) *Env {
	t.Helper()
	sim, err := pvesim.New(pvesim.Options{TaskDuration: -1, TaskFailRate: opts.TaskFailRate})
	if err != nil {
		t.Fatal(err)
	}
	rt := &counter{next: sim.RoundTripper(), n: map[string]int{}}
	client, err := pve.New(pve.Config{Endpoint: "https://sim.invalid:8006", APIToken: pvesim.DefaultToken, Transport: rt, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return &Env{
		Inventory: inventory.New(client, nil),
		Lifecycle: lifecycle.New(client, st, nil, lifecycle.Options{Identity: "root@pam!sim", OSUser: "tester", PollInterval: time.Millisecond}),
		Journal:   st,
		counter:   rt,
	}
}

// Mutating counts the POST, PUT and DELETE requests made so far.
func (e *Env) Mutating() int {
	e.counter.mu.Lock()
	defer e.counter.mu.Unlock()
	return e.counter.n["POST"] + e.counter.n["PUT"] + e.counter.n["DELETE"]
}

type counter struct {
	next http.RoundTripper
	mu   sync.Mutex
	n    map[string]int
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n[r.Method]++
	c.mu.Unlock()
	return c.next.RoundTrip(r)
}
