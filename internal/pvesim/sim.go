// Package pvesim is an in-memory Proxmox VE cluster that answers on the real
// API paths (/api2/json/...) with the real wire formats: {"data":...}
// envelopes, errors in the status line and the "message" field, 0/1
// booleans, UPID tasks that run for a while and then stop, config digests,
// pending changes, tickets with CSRF tokens and API tokens.
//
// It is the test double the whole product stands on, so it does not import
// the pve client: it is an independent oracle checked against the official
// schema (../shared/pve-api/apidoc.json).
//
// All state lives behind one sync.RWMutex. Task effects are applied lazily:
// a task is "running" until Options.Now passes its end time, and the first
// request that sees the task finished applies its effect, so every endpoint
// sees the change at the same moment.
package pvesim

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/pvesim/apischema"
)

// DefaultToken is accepted when Options.Tokens and Options.Users are both empty.
const DefaultToken = "root@pam!sim=7f3a5d2c-4b1e-4c8a-9d6f-2a1b3c4d5e6f" //nolint:gosec // G101: the public demo token of an in-memory simulator, not a credential

// Scenario names accepted by Options.Scenario.
const (
	ScenarioHomelab = "homelab"
	ScenarioLarge   = "large"
)

// DefaultTaskDuration is how long a task runs when Options.TaskDuration is 0.
const DefaultTaskDuration = 300 * time.Millisecond

// Options configures a simulator. The zero value is the homelab scenario
// with DefaultToken.
type Options struct {
	Scenario string // "homelab" (default) | "large"
	Nodes    int    // large: number of nodes (default 3)
	Guests   int    // large: number of guests (default 100)
	Seed     int64  // deterministic generation and fault injection

	Tokens []string          // accepted API tokens "USER@REALM!TOKENID=SECRET"
	Users  map[string]string // "root@pam" → password, for ticket auth
	// Auditors lists user ids or token ids ("ci@pve", "ci@pve!ro") that only
	// get the PVEAuditor role: reads work, writes answer 403.
	Auditors []string
	// AuthFailDelay delays 401 answers to bad tokens and logins, as PVE does
	// with 3 s. Default 0.
	AuthFailDelay time.Duration

	Latency, Jitter time.Duration // added per request (sleep honouring the request context)
	FailRate        float64       // fraction of requests answered 500/502/503
	ResetRate       float64       // fraction of requests whose connection is dropped
	TaskFailRate    float64       // fraction of tasks that end with an error exitstatus
	TaskDuration    time.Duration // simulated run time of a task (default 300ms); negative = finish at once
	Now             func() time.Time
	Logger          *slog.Logger
}

// Route is one method and schema-style path the simulator serves.
type Route struct {
	Method string
	Path   string // relative to /api2/json, with placeholders: /nodes/{node}/qemu/{vmid}/config
}

// Fixtures names objects that exist in the generated cluster, for tests.
type Fixtures struct {
	ClusterName  string
	Node         string // first node
	OtherNode    string // a second node (migration target)
	Nodes        []string
	Storage      string // lvmthin storage for images/rootdir on every node
	ISOStorage   string // dir storage with iso and vztmpl
	Bridge       string
	VLANBridge   string
	Pool         string
	VMID         int    // a running qemu VM with the guest agent enabled, on Node
	StoppedVMID  int    // a stopped qemu VM on Node
	CTID         int    // a running container on Node
	TemplateVMID int    // a cloud-init qemu template on Node
	Snapshot     string // a snapshot of VMID
	UPID         string // a finished task on Node
	ISOVolid     string
	CTTemplate   string // an LXC template volid (vztmpl)
	HAVMID       int    // an HA-managed guest (homelab only; 0 otherwise)
	Guests       int    // number of guests generated
}

// Sim is the simulator. It is an http.Handler; create it with New.
type Sim struct {
	opts    Options
	log     *slog.Logger
	now     func() time.Time
	taskDur time.Duration
	// validate checks params against the official schema; ok is false when
	// the schema does not know the method and path.
	validate func(method, path string, params map[string]string) (errs map[string]string, ok bool)
	routes   []*route
	auth     authConfig

	faultMu  sync.Mutex
	faultRNG *rand.Rand

	mu sync.RWMutex
	c  *cluster // guarded by mu

	fixtures Fixtures
}

var _ http.Handler = (*Sim)(nil)

// New builds a simulator. It fails on unknown scenarios and negative counts or rates.
func New(opts Options) (*Sim, error) {
	if opts.Scenario == "" {
		opts.Scenario = ScenarioHomelab
	}
	switch {
	case opts.Nodes < 0:
		return nil, fmt.Errorf("pvesim: nodes must not be negative, got %d", opts.Nodes)
	case opts.Guests < 0:
		return nil, fmt.Errorf("pvesim: guests must not be negative, got %d", opts.Guests)
	case opts.Nodes > 999:
		return nil, fmt.Errorf("pvesim: at most 999 nodes, got %d", opts.Nodes)
	case opts.Guests > 1_000_000:
		return nil, fmt.Errorf("pvesim: at most 1000000 guests, got %d", opts.Guests)
	case opts.Latency < 0 || opts.Jitter < 0:
		return nil, errors.New("pvesim: latency and jitter must not be negative")
	}
	for name, r := range map[string]float64{"fail rate": opts.FailRate, "reset rate": opts.ResetRate, "task fail rate": opts.TaskFailRate} {
		if r < 0 || r > 1 {
			return nil, fmt.Errorf("pvesim: %s must be within 0..1, got %v", name, r)
		}
	}
	if opts.FailRate+opts.ResetRate > 1 {
		return nil, errors.New("pvesim: fail rate plus reset rate must not exceed 1")
	}
	s := &Sim{opts: opts, now: opts.Now, log: opts.Logger, taskDur: opts.TaskDuration}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("subsys", "pvesim")
	switch {
	case s.taskDur == 0:
		s.taskDur = DefaultTaskDuration
	case s.taskDur < 0:
		s.taskDur = 0
	}
	auth, err := newAuthConfig(opts)
	if err != nil {
		return nil, err
	}
	s.auth = auth
	s.faultRNG = rand.New(rand.NewPCG(uint64(opts.Seed), 0x5eed_fa17))
	sch, err := apischema.Load()
	if err != nil {
		return nil, fmt.Errorf("pvesim: load api schema: %w", err)
	}
	s.validate = func(method, path string, params map[string]string) (map[string]string, bool) {
		m, _, ok := sch.Lookup(method, path)
		if !ok {
			return nil, false
		}
		return m.ValidateParams(params), true
	}

	now := s.now()
	var c *cluster
	switch opts.Scenario {
	case ScenarioHomelab:
		c, s.fixtures = buildHomelab(opts.Seed, now)
	case ScenarioLarge:
		n, g := opts.Nodes, opts.Guests
		if n == 0 {
			n = 3
		}
		if g == 0 {
			g = 100
		}
		c, s.fixtures = buildLarge(opts.Seed, n, g, now)
	default:
		return nil, fmt.Errorf("pvesim: unknown scenario %q (want homelab or large)", opts.Scenario)
	}
	c.taskRNG = rand.New(rand.NewPCG(uint64(opts.Seed), 0x7a5c_fa11))
	c.taskFailRate = opts.TaskFailRate
	s.c = c
	s.routes = s.buildRoutes()
	return s, nil
}

// Fixtures returns names of objects that exist in the generated cluster.
func (s *Sim) Fixtures() Fixtures {
	f := s.fixtures
	f.Nodes = append([]string(nil), f.Nodes...)
	return f
}

// Routes lists every method and path the simulator serves.
func (s *Sim) Routes() []Route {
	out := make([]Route, 0, len(s.routes))
	for _, r := range s.routes {
		out = append(out, Route{Method: r.method, Path: r.path})
	}
	return out
}

// seedBytes derives deterministic key material from the seed.
func seedBytes(seed int64, label string) []byte {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(seed))
	h := sha256.Sum256(append(b[:], label...))
	return h[:]
}

// sleepCtx sleeps for d or until ctx is done; it reports whether it slept fully.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
