// Package discovery reads a live Proxmox VE cluster (through pve) into the
// state store: one /cluster/resources call, then per-guest and per-node
// reads with bounded concurrency, a field-level diff against the stored
// inventory, and one transactional commit per sync.
package discovery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/proxmox-mpc/proxmox-mpc/internal/observe"
	"github.com/proxmox-mpc/proxmox-mpc/internal/pve"
	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// Defaults for Options.
const (
	DefaultConcurrency  = 16
	DefaultAgentTimeout = 3 * time.Second
	// DefaultAgentMaxAge is how long the guest-agent addresses of a VM
	// that has neither restarted nor changed its config are trusted
	// before its agent is asked again.
	DefaultAgentMaxAge = 10 * time.Minute

	// readRetries is how many more times a transient per-resource read
	// failure is tried (on top of the client's own GET retries).
	readRetries = 2
	retryBase   = 50 * time.Millisecond
)

// Progress phases.
const (
	PhaseResources = "resources"
	PhaseGuests    = "guests"
	PhaseNodes     = "nodes"
	PhaseWriting   = "writing"
)

// Options tune a discovery run.
type Options struct {
	Concurrency  int           // parallel reads; default 16
	AgentTimeout time.Duration // per guest-agent probe; default 3s
	// SkipAgents reads no guest-agent addresses (a plan needs configs, not
	// addresses); AgentIPs stay empty.
	SkipAgents bool
	// AgentMaxAge bounds the reuse of the previous sync's agent addresses
	// for a VM that is still running on the same node since then (uptime
	// grew) with the same config digest: its agent is not asked again
	// until the addresses are older than this. 0 means the default;
	// negative means always ask (sync --refresh-agents).
	AgentMaxAge time.Duration
	Logger      *slog.Logger
	Now         func() time.Time
	Progress    func(Progress) // optional; called from one goroutine at a time
}

// Progress reports how far a phase is.
type Progress struct {
	Phase       string // "resources", "guests", "nodes", "writing"
	Done, Total int
}

// Warning is something a sync noticed but did not fail on: a silent guest
// agent, a guest that vanished while the sync ran.
type Warning struct {
	Resource string // "guest/101", "node/pve1", ...
	Message  string
}

func (w Warning) String() string { return w.Resource + ": " + w.Message }

func (o Options) withDefaults() Options {
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.AgentTimeout <= 0 {
		o.AgentTimeout = DefaultAgentTimeout
	}
	if o.AgentMaxAge == 0 {
		o.AgentMaxAge = DefaultAgentMaxAge
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// discovered is one run's result plus what Sync needs to reconcile it with
// the previous inventory.
type discovered struct {
	inv      state.Inventory
	warnings []Warning
	// agentFailed holds the VMIDs whose agent probe failed: their agent
	// IPs are unknown this time, not gone.
	agentFailed map[int]bool
}

// Discover reads the whole cluster. It fails when any read that the
// inventory depends on still fails after retries: a partial inventory is
// never returned as if complete. Guests that vanish while it runs and
// guest agents that do not answer are reported as warnings.
func Discover(ctx context.Context, c *pve.Client, opts Options) (state.Inventory, []Warning, error) {
	d, err := discover(ctx, c, opts.withDefaults(), nil)
	if err != nil {
		return state.Inventory{}, nil, err
	}
	return d.inv, d.warnings, nil
}

// agentMemo is what the previous sync knew about guest agents: the guests
// as stored and when those addresses were read.
type agentMemo struct {
	guests map[int]*state.Guest
	asOf   time.Time // when the previous successful sync finished
}

// newAgentMemo indexes prev; the zero memo reuses nothing.
func newAgentMemo(prev state.Inventory, asOf time.Time) agentMemo {
	m := agentMemo{guests: make(map[int]*state.Guest, len(prev.Guests)), asOf: asOf}
	for i := range prev.Guests {
		m.guests[prev.Guests[i].VMID] = &prev.Guests[i]
	}
	return m
}

// reuse returns the stored agent addresses of a running VM when they are
// still trustworthy: the VM ran on the same node without a restart since
// they were read (its uptime only grew), its config digest is the same,
// the addresses were known, and they are younger than maxAge.
//
// Age: time is cut into windows of maxAge, and addresses are reused only
// when the previous sync finished in the same window as this one. By
// induction every reused address was probed in the current window, so no
// address is ever older than maxAge, and every agent is asked again at
// least once per window — without storing a probe time per guest.
func (m agentMemo) reuse(r pve.Resource, digest string, now time.Time, maxAge time.Duration) ([]string, bool) {
	if maxAge <= 0 || m.asOf.IsZero() || now.Before(m.asOf) || !now.Truncate(maxAge).Equal(m.asOf.Truncate(maxAge)) {
		return nil, false
	}
	o := m.guests[int(r.VMID)]
	if o == nil || o.Status != "running" || o.Node != r.Node || len(o.AgentIPs) == 0 ||
		digest == "" || o.Digest != digest || int64(r.Uptime) < o.UptimeSeconds {
		return nil, false
	}
	return o.AgentIPs, true
}

// reporter serialises Progress calls.
type reporter struct {
	mu sync.Mutex
	fn func(Progress)
}

func (r *reporter) report(phase string, done, total int) {
	if r.fn == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fn(Progress{Phase: phase, Done: done, Total: total})
}

// warnings collects warnings from many goroutines.
type warnings struct {
	mu   sync.Mutex
	list []Warning
}

func (w *warnings) add(resource, format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, Warning{Resource: resource, Message: fmt.Sprintf(format, args...)})
}

// discover reads the cluster. memo, when not nil, is called once after the
// resource list arrived and may block until the stored inventory is read;
// it decides which agent probes can be skipped.
func discover(ctx context.Context, c *pve.Client, opts Options, memo func() (agentMemo, error)) (*discovered, error) {
	log := opts.Logger.With(observe.KeySubsys, "discovery")
	rep := &reporter{fn: opts.Progress}
	now := opts.Now()
	start := time.Now()

	rep.report(PhaseResources, 0, 1)
	rows, err := readRetry(ctx, func(ctx context.Context) ([]pve.Resource, error) {
		return c.ClusterResources(ctx, "")
	})
	if err != nil {
		return nil, err
	}
	rep.report(PhaseResources, 1, 1)
	var nodeRows, guestRows, storageRows []pve.Resource
	for _, r := range rows {
		switch r.Type {
		case "node":
			nodeRows = append(nodeRows, r)
		case "qemu", "lxc":
			guestRows = append(guestRows, r)
		case "storage":
			storageRows = append(storageRows, r)
		}
	}
	slices.SortFunc(guestRows, func(a, b pve.Resource) int { return int(a.VMID - b.VMID) })
	log.Debug("discovery phase done", "phase", PhaseResources, "guests", len(guestRows), "nodes", len(nodeRows),
		"storages", len(storageRows), observe.KeyDurationMS, time.Since(start).Milliseconds())

	d := &discovered{agentFailed: map[int]bool{}}
	var warn warnings
	var known agentMemo
	if memo != nil {
		if known, err = memo(); err != nil {
			return nil, err
		}
	}

	phaseStart := time.Now()
	guests, snaps, err := readGuests(ctx, c, opts, rep, &warn, d.agentFailed, known, guestRows, now)
	if err != nil {
		return nil, err
	}
	log.Debug("discovery phase done", "phase", PhaseGuests, "guests", len(guests), "snapshots", len(snaps),
		observe.KeyDurationMS, time.Since(phaseStart).Milliseconds())

	phaseStart = time.Now()
	nodes, err := readNodes(ctx, c, opts, rep, &warn, nodeRows, storageRows)
	if err != nil {
		return nil, err
	}
	log.Debug("discovery phase done", "phase", PhaseNodes, "nodes", len(nodes.nodes), "networks", len(nodes.networks),
		"volumes", len(nodes.volumes), observe.KeyDurationMS, time.Since(phaseStart).Milliseconds())

	d.inv = state.Inventory{
		Cluster:   nodes.cluster,
		Nodes:     nodes.nodes,
		Guests:    guests,
		Storages:  nodes.storages,
		Networks:  nodes.networks,
		Volumes:   nodes.volumes,
		Snapshots: snaps,
	}
	d.inv.Cluster.Endpoint = c.Endpoint()
	d.inv.Cluster.Fingerprint = c.PeerFingerprint()
	sortInventory(&d.inv)
	slices.SortStableFunc(warn.list, func(a, b Warning) int { return strings.Compare(a.Resource, b.Resource) })
	d.warnings = warn.list
	return d, nil
}

// guestResult is what one guest's reads produced.
type guestResult struct {
	guest       state.Guest
	snaps       []state.Snapshot
	gone        bool
	agentFailed bool
}

func readGuests(ctx context.Context, c *pve.Client, opts Options, rep *reporter, warn *warnings,
	agentFailed map[int]bool, known agentMemo, rows []pve.Resource, now time.Time) ([]state.Guest, []state.Snapshot, error) {
	results := make([]guestResult, len(rows))
	total := len(rows)
	var mu sync.Mutex
	done := 0
	rep.report(PhaseGuests, 0, total)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opts.Concurrency)
	for i := range rows {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			res, err := readGuest(gctx, c, opts, warn, known, rows[i], now)
			if err != nil {
				return err
			}
			results[i] = res
			mu.Lock()
			done++
			n := done
			mu.Unlock()
			rep.report(PhaseGuests, n, total)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}
	// The loop stops early only when gctx is done; Wait then returns the
	// error that cancelled it, or the parent's cancellation below.
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("read guests: %w", err)
	}
	guests := make([]state.Guest, 0, len(results))
	var snaps []state.Snapshot
	for _, r := range results {
		if r.gone {
			continue
		}
		guests = append(guests, r.guest)
		snaps = append(snaps, r.snaps...)
		if r.agentFailed {
			agentFailed[r.guest.VMID] = true
		}
	}
	return guests, snaps, nil
}

func guestKind(typ string) (pve.GuestKind, string) {
	if typ == "lxc" {
		return pve.KindCT, state.TypeCT
	}
	return pve.KindVM, state.TypeVM
}

func readGuest(ctx context.Context, c *pve.Client, opts Options, warn *warnings, known agentMemo,
	r pve.Resource, now time.Time) (guestResult, error) {
	vmid := int(r.VMID)
	kind, typ := guestKind(r.Type)
	key := "guest/" + strconv.Itoa(vmid)
	cfg, err := readRetry(ctx, func(ctx context.Context) (*pve.GuestConfig, error) {
		return c.GuestConfig(ctx, r.Node, kind, vmid)
	})
	if errors.Is(err, pve.ErrNotFound) {
		warn.add(key, "%s %d vanished during the sync", typ, vmid)
		return guestResult{gone: true}, nil
	}
	if err != nil {
		return guestResult{}, err
	}
	res := guestResult{guest: guestRecord(r, cfg, now)}
	g := &res.guest

	if kind == pve.KindVM && r.Status == "running" && !opts.SkipAgents && agentEnabled(cfg.Values["agent"]) {
		if ips, ok := known.reuse(r, g.Digest, now, opts.AgentMaxAge); ok {
			g.AgentIPs = slices.Clone(ips)
		} else if err := readAgent(ctx, c, opts, warn, &res, r.Node, vmid); err != nil {
			return guestResult{}, err
		}
	}

	if _, ok := cfg.Values["parent"]; ok {
		list, err := readRetry(ctx, func(ctx context.Context) ([]pve.Snapshot, error) {
			return c.Snapshots(ctx, r.Node, kind, vmid)
		})
		if errors.Is(err, pve.ErrNotFound) {
			warn.add(key, "%s %d vanished during the sync", typ, vmid)
			return guestResult{gone: true}, nil
		}
		if err != nil {
			return guestResult{}, err
		}
		for _, s := range list {
			if s.Name == "current" {
				continue
			}
			res.snaps = append(res.snaps, snapshotRecord(vmid, s))
		}
	}
	return res, nil
}

// readAgent probes one VM's agent into res. Only a cancelled ctx is an
// error; a silent or failing agent is a warning and marks the VM so that
// its previous addresses are kept.
func readAgent(ctx context.Context, c *pve.Client, opts Options, warn *warnings, res *guestResult, node string, vmid int) error {
	key := "guest/" + strconv.Itoa(vmid)
	ips, err := probeAgent(ctx, c, opts.AgentTimeout, node, vmid)
	switch {
	case err == nil:
		res.guest.AgentIPs = ips
	case ctx.Err() != nil:
		return fmt.Errorf("read agent of vm %d: %w", vmid, ctx.Err())
	default:
		res.agentFailed = true
		if errors.Is(err, context.DeadlineExceeded) {
			warn.add(key, "guest agent of vm %d did not answer in %s", vmid, opts.AgentTimeout)
		} else {
			warn.add(key, "guest agent of vm %d: %v", vmid, err)
		}
	}
	return nil
}

// probeAgent asks the guest agent for its addresses, bounded by timeout.
// Agent calls are not retried: a silent agent must not stall the sync.
func probeAgent(ctx context.Context, c *pve.Client, timeout time.Duration, node string, vmid int) ([]string, error) {
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ifaces, err := c.AgentInterfaces(actx, node, vmid)
	if err != nil {
		if actx.Err() != nil && ctx.Err() == nil {
			return nil, fmt.Errorf("agent of vm %d: %w", vmid, context.DeadlineExceeded)
		}
		return nil, err
	}
	return agentIPs(ifaces), nil
}

// agentEnabled reads the agent config option ("1", "enabled=1,fstrim_cloned_disks=1").
func agentEnabled(v string) bool {
	if v == "" {
		return false
	}
	ps, err := pve.ParsePropertyString(v, "enabled")
	if err != nil {
		return false
	}
	e, _ := ps.Get("enabled")
	switch strings.ToLower(strings.TrimSpace(e)) {
	case "1", "on", "yes", "true":
		return true
	}
	return false
}

// agentIPs lists every non-loopback address as CIDR, sorted and unique.
func agentIPs(ifaces []pve.AgentInterface) []string {
	var out []string
	for _, in := range ifaces {
		for _, a := range in.IPAddresses {
			addr, err := netip.ParseAddr(strings.TrimSpace(a.Address))
			if err != nil || addr.IsLoopback() || addr.IsUnspecified() {
				continue
			}
			bits := int(a.Prefix)
			if bits < 0 || bits > addr.BitLen() {
				bits = addr.BitLen()
			}
			out = append(out, netip.PrefixFrom(addr.WithZone(""), bits).String())
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func splitList(s string, seps string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(seps, r) })
	out := make([]string, 0, len(f))
	for _, x := range f {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func guestRecord(r pve.Resource, cfg *pve.GuestConfig, now time.Time) state.Guest {
	_, typ := guestKind(r.Type)
	name := r.Name
	if name == "" {
		name = cfg.Values["name"]
		if typ == state.TypeCT {
			name = cfg.Values["hostname"]
		}
	}
	return state.Guest{
		VMID:            int(r.VMID),
		Type:            typ,
		Node:            r.Node,
		Name:            name,
		Status:          r.Status,
		Tags:            splitList(r.Tags, ";, "),
		Pool:            r.Pool,
		Template:        bool(r.Template),
		HAState:         r.HAState,
		Lock:            r.Lock,
		CPUs:            float64(r.MaxCPU),
		MemoryBytes:     int64(r.MaxMem),
		DiskBytes:       int64(r.MaxDisk),
		Config:          cfg.Values,
		Digest:          cfg.Digest,
		FirstSeen:       now,
		LastSeen:        now,
		UptimeSeconds:   int64(r.Uptime),
		MemoryUsedBytes: int64(r.Mem),
	}
}

func snapshotRecord(vmid int, s pve.Snapshot) state.Snapshot {
	out := state.Snapshot{
		VMID:        vmid,
		Name:        s.Name,
		Parent:      s.Parent,
		Description: strings.TrimRight(s.Description, "\n"),
		VMState:     bool(s.VMState),
	}
	if s.SnapTime > 0 {
		t := time.Unix(int64(s.SnapTime), 0).UTC()
		out.Time = &t
	}
	return out
}

// nodeResult is what the node phase produced.
type nodeResult struct {
	cluster  state.Cluster
	nodes    []state.Node
	storages []state.Storage
	networks []state.Network
	volumes  []state.Volume
}

// contentJob is one storage content listing.
type contentJob struct {
	node, storage, content string
	shared                 bool
}

func readNodes(ctx context.Context, c *pve.Client, opts Options, rep *reporter, warn *warnings,
	nodeRows, storageRows []pve.Resource) (*nodeResult, error) {
	out := &nodeResult{}
	online := map[string]bool{}
	for _, r := range nodeRows {
		out.nodes = append(out.nodes, state.Node{
			Name:            r.Node,
			Status:          r.Status,
			CPUs:            int(r.MaxCPU),
			CPUUsage:        float64(r.CPU),
			MemoryBytes:     int64(r.MaxMem),
			MemoryUsedBytes: int64(r.Mem),
			DiskBytes:       int64(r.MaxDisk),
			DiskUsedBytes:   int64(r.Disk),
			UptimeSeconds:   int64(r.Uptime),
		})
		if r.Status == "online" {
			online[r.Node] = true
		}
	}
	slices.SortFunc(out.nodes, func(a, b state.Node) int { return strings.Compare(a.Name, b.Name) })

	var jobs []contentJob
	sharedSeen := map[string]bool{}
	slices.SortFunc(storageRows, func(a, b pve.Resource) int {
		return strings.Compare(a.Node+"/"+a.Storage, b.Node+"/"+b.Storage)
	})
	for _, r := range storageRows {
		content := splitList(r.Content, ", ")
		out.storages = append(out.storages, state.Storage{
			Node:       r.Node,
			Name:       r.Storage,
			Type:       r.PluginType,
			Content:    content,
			Shared:     bool(r.Shared),
			Status:     r.Status,
			UsedBytes:  int64(r.Disk),
			TotalBytes: int64(r.MaxDisk),
		})
		if !online[r.Node] || r.Status != "available" {
			continue
		}
		for _, ct := range []string{"iso", "vztmpl"} {
			if !slices.Contains(content, ct) {
				continue
			}
			if r.Shared {
				if sharedSeen[r.Storage+"/"+ct] {
					continue
				}
				sharedSeen[r.Storage+"/"+ct] = true
			}
			jobs = append(jobs, contentJob{node: r.Node, storage: r.Storage, content: ct, shared: bool(r.Shared)})
		}
	}
	var onlineNodes []string
	for _, n := range out.nodes {
		if online[n.Name] {
			onlineNodes = append(onlineNodes, n.Name)
		}
	}

	// 3 cluster-wide reads, one network read per online node, the content jobs.
	total := 3 + len(onlineNodes) + len(jobs)
	var mu sync.Mutex // guards out and done
	done := 0
	step := func() {
		done++
		rep.report(PhaseNodes, done, total)
	}
	rep.report(PhaseNodes, 0, total)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opts.Concurrency)

	// optional: a read that a token may lack the privilege for becomes a
	// warning rather than a failed sync.
	optional := func(resource string, err error) error {
		if errors.Is(err, pve.ErrForbidden) {
			warn.add(resource, "skipped: %v", err)
			return nil
		}
		return err
	}

	g.Go(func() error {
		v, err := readRetry(gctx, c.Version)
		if err != nil {
			return optional("cluster", err)
		}
		mu.Lock()
		defer mu.Unlock()
		out.cluster.Version = v.Version
		step()
		return nil
	})
	g.Go(func() error {
		st, err := readRetry(gctx, c.ClusterStatus)
		if err != nil {
			return optional("cluster", err)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, e := range st {
			if e.Type == "cluster" {
				out.cluster.Name = e.Name
			}
		}
		step()
		return nil
	})
	g.Go(func() error {
		list, err := readRetry(gctx, c.Nodes)
		if err != nil {
			return optional("cluster", err)
		}
		fp := map[string]string{}
		for _, n := range list {
			fp[n.Node] = n.SSLFingerprint
		}
		mu.Lock()
		defer mu.Unlock()
		for i := range out.nodes {
			out.nodes[i].SSLFingerprint = fp[out.nodes[i].Name]
		}
		step()
		return nil
	})
	for _, node := range onlineNodes {
		g.Go(func() error {
			list, err := readRetry(gctx, func(ctx context.Context) ([]pve.NetworkInterface, error) {
				return c.Network(ctx, node)
			})
			if err != nil {
				return optional("node/"+node, err)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, n := range list {
				out.networks = append(out.networks, networkRecord(node, n))
			}
			step()
			return nil
		})
	}
	for _, j := range jobs {
		g.Go(func() error {
			items, err := readRetry(gctx, func(ctx context.Context) ([]pve.StorageItem, error) {
				return c.StorageContent(ctx, j.node, j.storage, j.content)
			})
			if err != nil {
				return optional("storage/"+j.node+"/"+j.storage, err)
			}
			node := j.node
			if j.shared {
				node = ""
			}
			mu.Lock()
			defer mu.Unlock()
			for _, it := range items {
				if it.Content != j.content {
					continue
				}
				out.volumes = append(out.volumes, state.Volume{
					Node: node, Storage: j.storage, Volid: it.Volid, Content: it.Content, SizeBytes: int64(it.Size),
				})
			}
			step()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

func networkRecord(node string, n pve.NetworkInterface) state.Network {
	cidr := n.CIDR
	if cidr == "" && n.Address != "" {
		cidr = n.Address
		if n.Netmask != "" {
			cidr += "/" + string(n.Netmask)
		}
	}
	ports := n.BridgePorts
	if ports == "" {
		ports = n.Slaves
	}
	if ports == "" {
		ports = n.VLANRawDevice
	}
	return state.Network{
		Node:      node,
		Name:      n.Iface,
		Type:      n.Type,
		CIDR:      cidr,
		Gateway:   n.Gateway,
		Ports:     ports,
		VLANAware: bool(n.BridgeVLANAware),
		Active:    bool(n.Active),
	}
}

func sortInventory(inv *state.Inventory) {
	slices.SortFunc(inv.Nodes, func(a, b state.Node) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(inv.Guests, func(a, b state.Guest) int { return a.VMID - b.VMID })
	slices.SortFunc(inv.Storages, func(a, b state.Storage) int { return strings.Compare(storageKey(a), storageKey(b)) })
	slices.SortFunc(inv.Networks, func(a, b state.Network) int { return strings.Compare(networkKey(a), networkKey(b)) })
	slices.SortFunc(inv.Volumes, func(a, b state.Volume) int { return strings.Compare(volumeKey(a), volumeKey(b)) })
	slices.SortFunc(inv.Snapshots, compareSnapshots)
}

func compareSnapshots(a, b state.Snapshot) int {
	if a.VMID != b.VMID {
		return a.VMID - b.VMID
	}
	return strings.Compare(a.Name, b.Name)
}

// transient reports read failures worth another try: 5xx other than
// not-found (PVE answers 500 for lock timeouts) and network errors.
func transient(err error) bool {
	if errors.Is(err, pve.ErrNotFound) || errors.Is(err, context.Canceled) {
		return false
	}
	var ne *pve.NetworkError
	return errors.As(err, &ne) || errors.Is(err, pve.ErrServer)
}

// readRetry runs an idempotent read, retrying transient failures
// readRetries more times with a short backoff.
func readRetry[T any](ctx context.Context, fn func(context.Context) (T, error)) (T, error) {
	var zero T
	for attempt := 0; ; attempt++ {
		v, err := fn(ctx)
		if err == nil {
			return v, nil
		}
		if attempt >= readRetries || !transient(err) || ctx.Err() != nil {
			return zero, err
		}
		t := time.NewTimer(retryBase << attempt)
		select {
		case <-ctx.Done():
			t.Stop()
			return zero, fmt.Errorf("%w (retry cancelled: %w)", err, ctx.Err())
		case <-t.C:
		}
	}
}
