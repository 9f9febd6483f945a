package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// Inventory returns the current inventory (removed guests excluded).
func (s *Store) Inventory(ctx context.Context) (state.Inventory, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return state.Inventory{}, fmt.Errorf("read inventory: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }()

	var inv state.Inventory
	err = tx.QueryRow(ctx, `SELECT endpoint, name, version, fingerprint FROM clusters WHERE id = 1`).
		Scan(&inv.Cluster.Endpoint, &inv.Cluster.Name, &inv.Cluster.Version, &inv.Cluster.Fingerprint)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return state.Inventory{}, fmt.Errorf("read inventory: cluster: %w", err)
	}
	if inv.Nodes, err = queryAll(ctx, tx, `
		SELECT name, status, cpus, cpu_usage, memory_bytes, memory_used_bytes, disk_bytes,
			disk_used_bytes, uptime_seconds, ssl_fingerprint
		FROM nodes ORDER BY name`, nil, func(r pgx.CollectableRow) (state.Node, error) {
		var n state.Node
		err := r.Scan(&n.Name, &n.Status, &n.CPUs, &n.CPUUsage, &n.MemoryBytes, &n.MemoryUsedBytes,
			&n.DiskBytes, &n.DiskUsedBytes, &n.UptimeSeconds, &n.SSLFingerprint)
		return n, err
	}); err != nil {
		return state.Inventory{}, fmt.Errorf("read inventory: nodes: %w", err)
	}
	if inv.Guests, err = queryGuests(ctx, tx, state.GuestFilter{}); err != nil {
		return state.Inventory{}, fmt.Errorf("read inventory: %w", err)
	}
	if inv.Storages, err = queryAll(ctx, tx, `
		SELECT node, name, type, content, shared, status, used_bytes, total_bytes
		FROM storages ORDER BY node, name`, nil, func(r pgx.CollectableRow) (state.Storage, error) {
		var st state.Storage
		err := r.Scan(&st.Node, &st.Name, &st.Type, &st.Content, &st.Shared, &st.Status, &st.UsedBytes, &st.TotalBytes)
		st.Content = nilIfEmpty(st.Content)
		return st, err
	}); err != nil {
		return state.Inventory{}, fmt.Errorf("read inventory: storages: %w", err)
	}
	if inv.Networks, err = queryAll(ctx, tx, `
		SELECT node, name, type, cidr, gateway, ports, vlan_aware, active
		FROM networks ORDER BY node, name`, nil, func(r pgx.CollectableRow) (state.Network, error) {
		var n state.Network
		err := r.Scan(&n.Node, &n.Name, &n.Type, &n.CIDR, &n.Gateway, &n.Ports, &n.VLANAware, &n.Active)
		return n, err
	}); err != nil {
		return state.Inventory{}, fmt.Errorf("read inventory: networks: %w", err)
	}
	if inv.Volumes, err = queryAll(ctx, tx, `
		SELECT node, storage, volid, content, size_bytes
		FROM volumes ORDER BY node, storage, volid`, nil, func(r pgx.CollectableRow) (state.Volume, error) {
		var v state.Volume
		err := r.Scan(&v.Node, &v.Storage, &v.Volid, &v.Content, &v.SizeBytes)
		return v, err
	}); err != nil {
		return state.Inventory{}, fmt.Errorf("read inventory: volumes: %w", err)
	}
	if inv.Snapshots, err = queryAll(ctx, tx, `
		SELECT vmid, name, parent, description, time, vmstate
		FROM snapshots ORDER BY vmid, name`, nil, func(r pgx.CollectableRow) (state.Snapshot, error) {
		var sn state.Snapshot
		err := r.Scan(&sn.VMID, &sn.Name, &sn.Parent, &sn.Description, &sn.Time, &sn.VMState)
		sn.Time = utcPtr(sn.Time)
		return sn, err
	}); err != nil {
		return state.Inventory{}, fmt.Errorf("read inventory: snapshots: %w", err)
	}
	return inv, nil
}

// Guests lists guests by filter, ordered by vmid.
func (s *Store) Guests(ctx context.Context, f state.GuestFilter) ([]state.Guest, error) {
	gs, err := queryGuests(ctx, s.pool, f)
	if err != nil {
		return nil, err
	}
	return gs, nil
}

// querier is what pgxpool.Pool and pgx.Tx have in common for reads.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func queryAll[T any](ctx context.Context, q querier, sql string, args []any, scan pgx.RowToFunc[T]) ([]T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func queryGuests(ctx context.Context, q querier, f state.GuestFilter) ([]state.Guest, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if !f.IncludeRemoved {
		where = append(where, "removed_at IS NULL")
	}
	if f.Type != "" {
		add("type = ?", f.Type)
	}
	if f.VMID != 0 {
		add("vmid = ?", f.VMID)
	}
	if f.Name != "" {
		add("name = ?", f.Name)
	}
	sql := `SELECT ` + strings.Join(guestColumns, ", ") + ` FROM guests`
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY vmid"
	gs, err := queryAll(ctx, q, sql, args, func(r pgx.CollectableRow) (state.Guest, error) {
		var g state.Guest
		err := r.Scan(&g.VMID, &g.Type, &g.Node, &g.Name, &g.Status, &g.Tags, &g.Pool, &g.Template,
			&g.HAState, &g.Lock, &g.CPUs, &g.MemoryBytes, &g.DiskBytes, &g.Config, &g.Digest, &g.AgentIPs,
			&g.FirstSeen, &g.LastSeen, &g.RemovedAt, &g.UptimeSeconds, &g.MemoryUsedBytes)
		g.Tags = nilIfEmpty(g.Tags)
		g.AgentIPs = nilIfEmpty(g.AgentIPs)
		if len(g.Config) == 0 {
			g.Config = nil
		}
		g.FirstSeen = g.FirstSeen.UTC()
		g.LastSeen = g.LastSeen.UTC()
		g.RemovedAt = utcPtr(g.RemovedAt)
		return g, err
	})
	if err != nil {
		return nil, fmt.Errorf("list guests: %w", err)
	}
	return gs, nil
}

// History lists changes, oldest first. With a limit, it returns the newest
// limit changes, still oldest first.
func (s *Store) History(ctx context.Context, f state.HistoryFilter) ([]state.Change, error) {
	var where []string
	var args []any
	if f.ResourceKey != "" {
		args = append(args, f.ResourceKey)
		where = append(where, "resource_key = $"+strconv.Itoa(len(args)))
	}
	if f.SyncID != 0 {
		args = append(args, f.SyncID)
		where = append(where, "sync_id = $"+strconv.Itoa(len(args)))
	}
	args = append(args, limitOrAll(f.Limit))
	sql := `SELECT id, sync_id, at, resource_type, resource_key, name, kind, field, old, new FROM resource_history`
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql = `SELECT sync_id, at, resource_type, resource_key, name, kind, field, old, new FROM (` +
		sql + ` ORDER BY id DESC LIMIT $` + strconv.Itoa(len(args)) + `) h ORDER BY id`
	cs, err := queryAll(ctx, s.pool, sql, args, func(r pgx.CollectableRow) (state.Change, error) {
		var c state.Change
		err := r.Scan(&c.SyncID, &c.At, &c.ResourceType, &c.ResourceKey, &c.Name, &c.Kind, &c.Field, &c.Old, &c.New)
		c.At = c.At.UTC()
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("list history: %w", err)
	}
	return cs, nil
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
