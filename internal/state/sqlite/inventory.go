package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// Inventory returns the current inventory (removed guests excluded), read
// in one transaction so it is one sync's picture.
func (s *Store) Inventory(ctx context.Context) (state.Inventory, error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return state.Inventory{}, s.classify(fmt.Errorf("read inventory: %w", err))
	}
	defer func() { _ = tx.Rollback() }()
	inv, err := readInventory(ctx, tx)
	if err != nil {
		return state.Inventory{}, s.classify(fmt.Errorf("read inventory: %w", err))
	}
	return inv, nil
}

func readInventory(ctx context.Context, tx *sql.Tx) (state.Inventory, error) {
	var inv state.Inventory
	err := tx.QueryRowContext(ctx, "SELECT endpoint, name, version, fingerprint FROM clusters WHERE id = 1").
		Scan(&inv.Cluster.Endpoint, &inv.Cluster.Name, &inv.Cluster.Version, &inv.Cluster.Fingerprint)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return inv, fmt.Errorf("cluster: %w", err)
	}
	if inv.Nodes, err = query(ctx, tx, `SELECT name, status, cpus, cpu_usage, memory_bytes, memory_used_bytes, disk_bytes,
		disk_used_bytes, uptime_seconds, ssl_fingerprint FROM nodes ORDER BY name`, nil,
		func(sc scanner) (state.Node, error) {
			var n state.Node
			err := sc.Scan(&n.Name, &n.Status, &n.CPUs, &n.CPUUsage, &n.MemoryBytes, &n.MemoryUsedBytes, &n.DiskBytes,
				&n.DiskUsedBytes, &n.UptimeSeconds, &n.SSLFingerprint)
			return n, err
		}); err != nil {
		return inv, fmt.Errorf("nodes: %w", err)
	}
	if inv.Guests, err = queryGuests(ctx, tx, state.GuestFilter{}); err != nil {
		return inv, err
	}
	if inv.Storages, err = query(ctx, tx, `SELECT node, name, type, content, shared, status, used_bytes, total_bytes
		FROM storages ORDER BY node, name`, nil,
		func(sc scanner) (state.Storage, error) {
			var st state.Storage
			var content string
			if err := sc.Scan(&st.Node, &st.Name, &st.Type, &content, &st.Shared, &st.Status, &st.UsedBytes, &st.TotalBytes); err != nil {
				return st, err
			}
			var err error
			st.Content, err = decodeStrings([]byte(content))
			return st, err
		}); err != nil {
		return inv, fmt.Errorf("storages: %w", err)
	}
	if inv.Networks, err = query(ctx, tx, `SELECT node, name, type, cidr, gateway, ports, vlan_aware, active
		FROM networks ORDER BY node, name`, nil,
		func(sc scanner) (state.Network, error) {
			var n state.Network
			err := sc.Scan(&n.Node, &n.Name, &n.Type, &n.CIDR, &n.Gateway, &n.Ports, &n.VLANAware, &n.Active)
			return n, err
		}); err != nil {
		return inv, fmt.Errorf("networks: %w", err)
	}
	if inv.Volumes, err = query(ctx, tx, `SELECT node, storage, volid, content, size_bytes FROM volumes ORDER BY node, storage, volid`, nil,
		func(sc scanner) (state.Volume, error) {
			var v state.Volume
			err := sc.Scan(&v.Node, &v.Storage, &v.Volid, &v.Content, &v.SizeBytes)
			return v, err
		}); err != nil {
		return inv, fmt.Errorf("volumes: %w", err)
	}
	if inv.Snapshots, err = query(ctx, tx, `SELECT vmid, name, parent, description, "time", vmstate FROM snapshots ORDER BY vmid, name`, nil,
		func(sc scanner) (state.Snapshot, error) {
			var sn state.Snapshot
			var at sql.NullInt64
			err := sc.Scan(&sn.VMID, &sn.Name, &sn.Parent, &sn.Description, &at, &sn.VMState)
			sn.Time = fromNanosPtr(at)
			return sn, err
		}); err != nil {
		return inv, fmt.Errorf("snapshots: %w", err)
	}
	return inv, nil
}

type scanner interface{ Scan(...any) error }

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// query runs q and scans every row with scan.
func query[T any](ctx context.Context, db querier, q string, args []any, scan func(scanner) (T, error)) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer func() { _ = rows.Close() }()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Guests lists guests by filter, ordered by vmid.
func (s *Store) Guests(ctx context.Context, f state.GuestFilter) ([]state.Guest, error) {
	gs, err := queryGuests(ctx, s.db, f)
	if err != nil {
		return nil, s.classify(err)
	}
	return gs, nil
}

func queryGuests(ctx context.Context, db querier, f state.GuestFilter) ([]state.Guest, error) {
	var where []string
	var args []any
	if !f.IncludeRemoved {
		where = append(where, "removed_at IS NULL")
	}
	if f.Type != "" {
		where, args = append(where, "type = ?"), append(args, f.Type)
	}
	if f.VMID != 0 {
		where, args = append(where, "vmid = ?"), append(args, f.VMID)
	}
	if f.Name != "" {
		where, args = append(where, "name = ?"), append(args, f.Name)
	}
	q := `SELECT vmid, type, node, name, status, tags, pool, template, ha_state, "lock", cpus, memory_bytes, disk_bytes,
		config, digest, agent_ips, first_seen, last_seen, removed_at, uptime_seconds, memory_used_bytes FROM guests`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY vmid"
	gs, err := query(ctx, db, q, args, scanGuest)
	if err != nil {
		return nil, fmt.Errorf("read guests: %w", err)
	}
	return gs, nil
}

func scanGuest(sc scanner) (state.Guest, error) {
	var g state.Guest
	var tags, config, ips []byte
	var first, last, removed sql.NullInt64
	if err := sc.Scan(&g.VMID, &g.Type, &g.Node, &g.Name, &g.Status, &tags, &g.Pool, &g.Template, &g.HAState, &g.Lock,
		&g.CPUs, &g.MemoryBytes, &g.DiskBytes, &config, &g.Digest, &ips, &first, &last, &removed,
		&g.UptimeSeconds, &g.MemoryUsedBytes); err != nil {
		return g, err
	}
	g.FirstSeen, g.LastSeen, g.RemovedAt = fromNanos(first), fromNanos(last), fromNanosPtr(removed)
	var errT, errC, errI error
	g.Tags, errT = decodeStrings(tags)
	g.Config, errC = decodeStringMap(config)
	g.AgentIPs, errI = decodeStrings(ips)
	if err := errors.Join(errT, errC, errI); err != nil {
		return g, fmt.Errorf("guest %d: %w", g.VMID, err)
	}
	return g, nil
}

// History lists changes, oldest first. With a Limit it returns the newest
// Limit changes (still oldest first).
func (s *Store) History(ctx context.Context, f state.HistoryFilter) ([]state.Change, error) {
	var where []string
	var args []any
	if f.ResourceKey != "" {
		where, args = append(where, "resource_key = ?"), append(args, f.ResourceKey)
	}
	if f.SyncID != 0 {
		where, args = append(where, "sync_id = ?"), append(args, f.SyncID)
	}
	inner := "SELECT id, sync_id, at, resource_type, resource_key, name, kind, field, old, new FROM resource_history"
	if len(where) > 0 {
		inner += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = -1
	}
	q := "SELECT sync_id, at, resource_type, resource_key, name, kind, field, old, new FROM (" +
		inner + " ORDER BY at DESC, id DESC LIMIT ?) ORDER BY at, id"
	args = append(args, limit)
	cs, err := query(ctx, s.db, q, args, func(sc scanner) (state.Change, error) {
		var c state.Change
		var at sql.NullInt64
		err := sc.Scan(&c.SyncID, &at, &c.ResourceType, &c.ResourceKey, &c.Name, &c.Kind, &c.Field, &c.Old, &c.New)
		c.At = fromNanos(at)
		return c, err
	})
	if err != nil {
		return nil, s.classify(fmt.Errorf("read history: %w", err))
	}
	return cs, nil
}
