package discovery

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim"
)

// hook runs before a request reaches the simulator; it may block (ctx is
// the request's) or return a non-nil response to answer itself.
type hook func(req *http.Request) (*http.Response, error)

// tapTransport counts requests by method and path and runs hooks.
type tapTransport struct {
	base http.RoundTripper

	mu     sync.Mutex
	counts map[string]int
	hook   hook
}

func (t *tapTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	key := req.Method + " " + strings.TrimPrefix(req.URL.Path, "/api2/json")
	t.mu.Lock()
	if t.counts == nil {
		t.counts = map[string]int{}
	}
	t.counts[key]++
	h := t.hook
	t.mu.Unlock()
	if h != nil {
		if res, err := h(req); res != nil || err != nil {
			return res, err
		}
	}
	return t.base.RoundTrip(req)
}

// count returns how many requests matched method and a path predicate.
func (t *tapTransport) count(method string, match func(path string) bool) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for k, v := range t.counts {
		m, p, _ := strings.Cut(k, " ")
		if m == method && match(p) {
			n += v
		}
	}
	return n
}

func (t *tapTransport) setHook(h hook) {
	t.mu.Lock()
	t.hook = h
	t.mu.Unlock()
}

type fixture struct {
	sim    *pvesim.Sim
	client *pve.Client // through tap
	admin  *pve.Client // straight to the simulator, for changes
	tap    *tapTransport
}

func newFixture(t testing.TB, opts pvesim.Options) *fixture {
	t.Helper()
	return newFixtureTap(t, opts, true)
}

// newFixtureTap builds a fixture; without tap the client talks to the
// simulator directly (benchmarks).
func newFixtureTap(t testing.TB, opts pvesim.Options, withTap bool) *fixture {
	t.Helper()
	sim, err := pvesim.New(opts)
	if err != nil {
		t.Fatalf("pvesim.New: %v", err)
	}
	tap := &tapTransport{base: sim.RoundTripper()}
	var rt http.RoundTripper = tap
	if !withTap {
		rt = sim.RoundTripper()
	}
	client, err := pve.New(pve.Config{Endpoint: "https://sim.invalid:8006", APIToken: pvesim.DefaultToken, Transport: rt})
	if err != nil {
		t.Fatalf("pve.New: %v", err)
	}
	admin, err := pve.New(pve.Config{Endpoint: "https://sim.invalid:8006", APIToken: pvesim.DefaultToken, Transport: sim.RoundTripper()})
	if err != nil {
		t.Fatalf("pve.New: %v", err)
	}
	return &fixture{sim: sim, client: client, admin: admin, tap: tap}
}

// wait waits for a task the admin client started.
func (f *fixture) wait(t testing.TB, upid string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("start task: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := f.admin.WaitTask(ctx, upid, pve.WaitOptions{Interval: 5 * time.Millisecond}); err != nil {
		t.Fatalf("wait for %s: %v", upid, err)
	}
}

// testOptions are fast options for tests.
func testOptions() Options {
	return Options{Concurrency: 8, AgentTimeout: 2 * time.Second}
}
