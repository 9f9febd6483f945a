package health

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/proxmox-mpc/proxmox-mpc/internal/diag"
	"github.com/proxmox-mpc/proxmox-mpc/internal/inventory"
)

// serverFacts is what the server answered, before it is judged.
type serverFacts struct {
	// notConfigured: no server is configured; the checks are skipped.
	notConfigured error
	// setupErr: the connection settings are unusable (no call was made).
	setupErr error
	setupDur time.Duration

	identity string
	conn     *inventory.ConnectionReport
	connErr  error
	connDur  time.Duration

	nodes    []inventory.Node
	nodesErr error
	nodesDur time.Duration

	storages    []inventory.Storage
	storagesErr error
	storagesDur time.Duration

	guests    []inventory.Guest
	guestsErr error
	guestsDur time.Duration

	refused func(error) bool
}

var errNoServer = errors.New("no server to check")

func gatherServer(ctx context.Context, d Deps, connect func(context.Context) (server, error)) serverFacts {
	f := serverFacts{refused: d.Refused}
	if connect == nil {
		f.notConfigured = errNoServer
		return f
	}
	ctx, cancel := context.WithTimeout(ctx, d.ServerTimeout)
	defer cancel()
	var srv server
	var err error
	f.setupDur = timed(d.Now, func() { srv, err = connect(ctx) })
	if err != nil {
		if d.NotConfigured(err) || errors.Is(err, errOffline) {
			f.notConfigured = err
		} else {
			f.setupErr = err
		}
		return f
	}
	f.identity = srv.Identity()
	var g errgroup.Group
	g.Go(func() error {
		f.connDur = timed(d.Now, func() { f.conn, f.connErr = srv.TestConnection(ctx) })
		return nil
	})
	g.Go(func() error {
		f.nodesDur = timed(d.Now, func() { f.nodes, f.nodesErr = srv.Nodes(ctx) })
		return nil
	})
	g.Go(func() error {
		f.storagesDur = timed(d.Now, func() { f.storages, f.storagesErr = srv.Storages(ctx, "") })
		return nil
	})
	g.Go(func() error {
		f.guestsDur = timed(d.Now, func() { f.guests, f.guestsErr = srv.Guests(ctx, inventory.GuestQuery{}) })
		return nil
	})
	_ = g.Wait() // errors are kept per call
	return f
}

// unreachable: the server never gave an answer the checks can use.
func (f *serverFacts) unreachable() bool {
	return f.notConfigured != nil || f.setupErr != nil || (f.connErr != nil && !f.refused(f.connErr))
}

func (f *serverFacts) skipReason() string {
	switch {
	case f.notConfigured != nil:
		return "skipped: no server configured"
	case f.setupErr != nil:
		return "skipped: the connection settings are unusable (see server)"
	}
	return "skipped: the server did not answer (see server)"
}

func failed(name, group string, err error, dur time.Duration) Check {
	d := diag.FromError(err)
	detail := d.Summary
	if d.Detail != "" {
		detail += ": " + oneLine(d.Detail)
	}
	return Check{Name: name, Group: group, Status: Red, Detail: detail, Hint: d.Hint, Duration: dur}
}

func skipped(name, group string, err error) Check {
	d := diag.FromError(err)
	return Check{Name: name, Group: group, Status: Skipped, Detail: "skipped: " + d.Summary, Hint: d.Hint}
}

func (f *serverFacts) serverCheck() Check {
	const name = "server"
	switch {
	case errors.Is(f.notConfigured, errNoServer):
		return Check{Name: name, Group: GroupServer, Status: Skipped, Detail: "skipped: no server configured"}
	case f.notConfigured != nil:
		return skipped(name, GroupServer, f.notConfigured)
	case f.setupErr != nil:
		return failed(name, GroupServer, f.setupErr, f.setupDur)
	case f.connErr != nil && f.refused(f.connErr):
		return Check{Name: name, Group: GroupServer, Status: Green, Duration: f.connDur,
			Detail: fmt.Sprintf("answered in %s, refusing the credentials (see auth)", latencyText(f.connDur))}
	case f.connErr != nil:
		return failed(name, GroupServer, f.connErr, f.connDur)
	}
	r := f.conn
	latency := time.Duration(r.LatencyMS * float64(time.Millisecond))
	parts := []string{fmt.Sprintf("%s answered in %s", r.Endpoint, latencyText(latency))}
	if r.Version != "" {
		v := "PVE " + r.Version
		if r.Release != "" && !strings.HasPrefix(r.Version, r.Release) {
			v += " (release " + r.Release + ")"
		}
		parts = append(parts, v)
	}
	if r.Cluster != "" {
		parts = append(parts, fmt.Sprintf("cluster %s, %s", r.Cluster, plural(r.Nodes, "node")))
	} else {
		parts = append(parts, "standalone node")
	}
	c := Check{Name: name, Group: GroupServer, Status: Green, Detail: strings.Join(parts, " · "), Duration: f.connDur}
	if latency > slowLatency {
		c.Status = Yellow
		c.Hint = "a round trip over 1 s makes every command slow; check the network path to the server"
	}
	if r.TLSMode == "insecure" {
		c.Status = Yellow
		c.Detail += " · TLS verification off"
		c.Hint = "pin the certificate instead of --insecure: `proxmox-mpc test-connection --fingerprint " + orPlaceholder(r.Fingerprint) + "`"
	}
	return c
}

func orPlaceholder(fp string) string {
	if fp == "" {
		return "AA:BB:..."
	}
	return fp
}

func latencyText(d time.Duration) string {
	if d < 100*time.Microsecond {
		return "<0.1 ms"
	}
	if d < time.Second {
		return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func (f *serverFacts) authCheck() Check {
	const name = "auth"
	if f.unreachable() {
		return Check{Name: name, Group: GroupAuth, Status: Skipped, Detail: f.skipReason()}
	}
	who := f.identity
	if who == "" {
		who = "the configured identity"
	}
	if f.conn != nil && f.conn.AuthMethod != "" {
		who += " (" + f.conn.AuthMethod + ")"
	}
	dur := max(f.connDur, f.nodesDur, f.storagesDur, f.guestsDur)
	for _, err := range []error{f.connErr, f.nodesErr, f.guestsErr, f.storagesErr} {
		if err == nil {
			continue
		}
		c := failed(name, GroupAuth, err, dur)
		if f.refused(err) {
			c.Detail = who + " was refused: " + c.Detail
		} else {
			c.Detail = who + " cannot read /cluster/resources: " + c.Detail
		}
		return c
	}
	return Check{Name: name, Group: GroupAuth, Status: Green, Duration: dur,
		Detail: fmt.Sprintf("%s reads /cluster/resources (%s, %s, %s)", who,
			plural(len(f.nodes), "node"), plural(len(f.guests), "guest"), plural(len(dedupeStorages(f.storages)), "storage"))}
}

// nodeChecks is one check per node, or one skipped check.
func (f *serverFacts) nodeChecks() []Check {
	switch {
	case f.unreachable():
		return []Check{{Name: "nodes", Group: GroupNodes, Status: Skipped, Detail: f.skipReason()}}
	case f.nodesErr != nil:
		return []Check{{Name: "nodes", Group: GroupNodes, Status: Skipped, Detail: "skipped: the nodes could not be listed (see auth)"}}
	}
	out := make([]Check, 0, len(f.nodes))
	for _, n := range f.nodes {
		c := NodeCheck(n)
		c.Duration = f.nodesDur
		out = append(out, c)
	}
	return out
}

// storageChecks is one check per storage (a shared one once), or one
// skipped check.
func (f *serverFacts) storageChecks() []Check {
	switch {
	case f.unreachable():
		return []Check{{Name: "storage", Group: GroupStorage, Status: Skipped, Detail: f.skipReason()}}
	case f.storagesErr != nil:
		return []Check{{Name: "storage", Group: GroupStorage, Status: Skipped, Detail: "skipped: the storages could not be listed (see auth)"}}
	}
	sts := dedupeStorages(f.storages)
	out := make([]Check, 0, len(sts))
	for _, st := range sts {
		c := StorageCheck(st)
		c.Duration = f.storagesDur
		out = append(out, c)
	}
	return out
}

func (f *serverFacts) guestCheck() Check {
	const name = "guests"
	switch {
	case f.unreachable():
		return Check{Name: name, Group: GroupGuests, Status: Skipped, Detail: f.skipReason()}
	case f.guestsErr != nil:
		return Check{Name: name, Group: GroupGuests, Status: Skipped, Detail: "skipped: the guests could not be listed (see auth)"}
	}
	c := GuestCheck(f.guests)
	c.Duration = f.guestsDur
	return c
}

// dedupeStorages keeps one row of a shared storage (the first node's).
func dedupeStorages(in []inventory.Storage) []inventory.Storage {
	seen := map[string]bool{}
	out := make([]inventory.Storage, 0, len(in))
	for _, st := range in {
		if st.Shared {
			if seen[st.Name] {
				continue
			}
			seen[st.Name] = true
		}
		out = append(out, st)
	}
	return out
}

// level judges a usage fraction against the thresholds.
func level(frac float64) Status {
	switch {
	case frac > CriticalFraction:
		return Red
	case frac > WarnFraction:
		return Yellow
	}
	return Green
}

func worse(a, b Status) Status {
	rank := map[Status]int{Skipped: 0, Green: 1, Yellow: 2, Red: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

func pct(frac float64) string { return fmt.Sprintf("%.0f%%", frac*100) }

// NodeCheck judges one node: offline is red; CPU or memory use above 80%
// is yellow, above 90% red.
func NodeCheck(n inventory.Node) Check {
	c := Check{Name: "node " + n.Name, Group: GroupNodes, Status: Green}
	if n.Status != "online" {
		st := n.Status
		if st == "" {
			st = "unknown"
		}
		c.Status = Red
		c.Detail = st
		c.Hint = "the node does not answer the cluster; check it is powered on and `pvecm status` on a cluster member"
		if st != "offline" {
			c.Status = Yellow
		}
		return c
	}
	var memFrac float64
	if n.MemoryBytes > 0 {
		memFrac = float64(n.MemoryUsedBytes) / float64(n.MemoryBytes)
	}
	cpuSt, memSt := level(n.CPUUsage), level(memFrac)
	c.Status = worse(cpuSt, memSt)
	cpu := "cpu " + pct(n.CPUUsage)
	if n.CPUs > 0 {
		cpu += fmt.Sprintf(" of %d", n.CPUs)
	}
	mem := fmt.Sprintf("memory %s (%s of %s)", pct(memFrac), formatBytes(n.MemoryUsedBytes), formatBytes(n.MemoryBytes))
	c.Detail = cpu + " · " + mem + " · " + plural(n.Guests, "guest")
	switch {
	case memSt != Green && cpuSt != Green:
		c.Hint = "the node is short of CPU and memory; migrate guests to a quieter node (`proxmox-mpc migrate vm NAME --to NODE`)"
	case memSt != Green:
		c.Hint = "the node is short of memory; migrate or shrink guests (`proxmox-mpc migrate vm NAME --to NODE`)"
	case cpuSt != Green:
		c.Hint = "the node's CPU is busy; see which guests use it with `proxmox-mpc get vms --node " + n.Name + " --sort -cpu_usage`"
	}
	return c
}

// StorageCheck judges one storage: not available is yellow; usage above
// 80% yellow, above 90% red.
func StorageCheck(st inventory.Storage) Check {
	name := "storage " + st.Name + " on " + st.Node
	if st.Shared {
		name = "storage " + st.Name + " (shared)"
	}
	c := Check{Name: name, Group: GroupStorage, Status: Green}
	if st.Status != "" && st.Status != "available" {
		c.Status = Yellow
		c.Detail = st.Status
		c.Hint = "the storage is not active; check `pvesm status` on " + st.Node
		return c
	}
	if st.TotalBytes <= 0 {
		c.Detail = "no size reported"
		return c
	}
	frac := float64(st.UsedBytes) / float64(st.TotalBytes)
	c.Status = level(frac)
	c.Detail = fmt.Sprintf("%s used (%s of %s)", pct(frac), formatBytes(st.UsedBytes), formatBytes(st.TotalBytes))
	if c.Status != Green {
		c.Hint = "free space on " + st.Name + ": remove old backups, snapshots or unused disks, or grow the storage"
	}
	return c
}

// GuestCheck counts guests by status; it is always green.
func GuestCheck(gs []inventory.Guest) Check {
	counts := inventory.CountByStatus(gs)
	parts := []string{fmt.Sprintf("%d running", counts["running"]), fmt.Sprintf("%d stopped", counts["stopped"])}
	others := make([]string, 0, len(counts))
	for st := range counts {
		if st != "running" && st != "stopped" && st != "template" {
			others = append(others, st)
		}
	}
	slices.Sort(others)
	for _, st := range others {
		parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
	}
	if n := counts["template"]; n > 0 {
		parts = append(parts, plural(n, "template"))
	}
	return Check{Name: "guests", Group: GroupGuests, Status: Green, Detail: strings.Join(parts, ", ")}
}

// formatBytes writes a size in binary units: "512 B", "1.5 GiB".
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
