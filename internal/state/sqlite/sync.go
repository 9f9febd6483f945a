package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// Times are stored as unix nanoseconds; the zero time as NULL.

func nanos(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

func nanosPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return nanos(*t)
}

func fromNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

func fromNanosPtr(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromNanos(n)
	return &t
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// BeginSync records a running sync and returns its id.
func (s *Store) BeginSync(ctx context.Context, startedAt time.Time) (int64, error) {
	if startedAt.IsZero() {
		startedAt = s.now()
	}
	release, err := s.lockWriter(ctx)
	if err != nil {
		return 0, err
	}
	defer release()
	res, err := s.db.ExecContext(ctx, "INSERT INTO sync_runs (started_at, outcome) VALUES (?, ?)", startedAt.UnixNano(), state.OutcomeRunning)
	if err != nil {
		return 0, s.classify(fmt.Errorf("begin sync: %w", err))
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("begin sync: %w", err)
	}
	return id, nil
}

// FailSync records a run that ended in an error; the inventory is untouched.
func (s *Store) FailSync(ctx context.Context, id int64, finishedAt time.Time, cause string) error {
	if finishedAt.IsZero() {
		finishedAt = s.now()
	}
	release, err := s.lockWriter(ctx)
	if err != nil {
		return err
	}
	defer release()
	res, err := s.db.ExecContext(ctx, "UPDATE sync_runs SET finished_at = ?, outcome = ?, error = ? WHERE id = ?",
		finishedAt.UnixNano(), state.OutcomeFailed, cause, id)
	if err != nil {
		return s.classify(fmt.Errorf("record failed sync %d: %w", id, err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("record failed sync %d: %w", id, err)
	} else if n == 0 {
		return errNotFound("sync run", id)
	}
	return nil
}

const runColumns = "id, started_at, finished_at, outcome, error, added, changed, removed, unchanged"

func scanRun(sc interface{ Scan(...any) error }) (state.SyncRun, error) {
	var r state.SyncRun
	var started, finished sql.NullInt64
	if err := sc.Scan(&r.ID, &started, &finished, &r.Outcome, &r.Error, &r.Added, &r.Changed, &r.Removed, &r.Unchanged); err != nil {
		return state.SyncRun{}, err
	}
	r.StartedAt, r.FinishedAt = fromNanos(started), fromNanosPtr(finished)
	return r, nil
}

// LastSync is the newest successful run, or ErrNotFound.
func (s *Store) LastSync(ctx context.Context) (state.SyncRun, error) {
	row := s.db.QueryRowContext(ctx, "SELECT "+runColumns+" FROM sync_runs WHERE outcome = ? ORDER BY id DESC LIMIT 1", state.OutcomeOK)
	r, err := scanRun(row)
	if errors.Is(err, sql.ErrNoRows) {
		return state.SyncRun{}, fmt.Errorf("last sync: %w", state.ErrNotFound)
	}
	if err != nil {
		return state.SyncRun{}, s.classify(fmt.Errorf("last sync: %w", err))
	}
	return r, nil
}

// SyncRuns lists runs, newest first; limit <= 0 lists all.
func (s *Store) SyncRuns(ctx context.Context, limit int) ([]state.SyncRun, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.db.QueryContext(ctx, "SELECT "+runColumns+" FROM sync_runs ORDER BY id DESC LIMIT ?", limit)
	if err != nil {
		return nil, s.classify(fmt.Errorf("list sync runs: %w", err))
	}
	defer func() { _ = rows.Close() }()
	var out []state.SyncRun
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, s.classify(fmt.Errorf("list sync runs: %w", err))
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.classify(fmt.Errorf("list sync runs: %w", err))
	}
	return out, nil
}

// CommitSync writes one successful sync in one IMMEDIATE transaction.
func (s *Store) CommitSync(ctx context.Context, w state.SyncWrite) error {
	release, err := s.lockWriter(ctx)
	if err != nil {
		return err
	}
	defer release()
	tx, err := s.db.BeginTx(ctx, nil) // BEGIN IMMEDIATE (the DSN's _txlock)
	if err != nil {
		return s.classify(fmt.Errorf("commit sync %d: %w", w.Run.ID, err))
	}
	defer func() { _ = tx.Rollback() }()
	if err := s.writeSync(ctx, tx, w); err != nil {
		return s.classify(fmt.Errorf("commit sync %d: %w", w.Run.ID, err))
	}
	if err := tx.Commit(); err != nil {
		return s.classify(fmt.Errorf("commit sync %d: %w", w.Run.ID, err))
	}
	return nil
}

func (s *Store) writeSync(ctx context.Context, tx *sql.Tx, w state.SyncWrite) error {
	var rowStarted int64
	var outcome string
	err := tx.QueryRowContext(ctx, "SELECT started_at, outcome FROM sync_runs WHERE id = ?", w.Run.ID).Scan(&rowStarted, &outcome)
	if errors.Is(err, sql.ErrNoRows) {
		return errNotFound("sync run", w.Run.ID)
	}
	if err != nil {
		return err
	}
	if outcome != state.OutcomeRunning {
		return fmt.Errorf("sync run is already %s: %w", outcome, state.ErrConflict)
	}
	var last sql.NullInt64
	if err := tx.QueryRowContext(ctx, "SELECT max(id) FROM sync_runs WHERE outcome = ?", state.OutcomeOK).Scan(&last); err != nil {
		return err
	}
	if last.Int64 != w.BaseSyncID {
		return fmt.Errorf("computed against sync %d, but sync %d is the latest: %w", w.BaseSyncID, last.Int64, state.ErrConflict)
	}
	started := w.Run.StartedAt
	if started.IsZero() {
		started = time.Unix(0, rowStarted)
	}
	finished := s.now()
	if w.Run.FinishedAt != nil && !w.Run.FinishedAt.IsZero() {
		finished = *w.Run.FinishedAt
	}
	at := started.UnixNano()
	inv := w.Inventory

	for _, q := range []string{"DELETE FROM nodes", "DELETE FROM storages", "DELETE FROM networks", "DELETE FROM volumes", "DELETE FROM snapshots"} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("replace inventory: %s: %w", q, err)
		}
	}
	if err := insertNodes(ctx, tx, inv.Nodes); err != nil {
		return err
	}
	if err := insertStorages(ctx, tx, inv.Storages); err != nil {
		return err
	}
	if err := insertNetworks(ctx, tx, inv.Networks); err != nil {
		return err
	}
	if err := insertVolumes(ctx, tx, inv.Volumes); err != nil {
		return err
	}
	if err := insertSnapshots(ctx, tx, inv.Snapshots); err != nil {
		return err
	}
	if err := upsertGuests(ctx, tx, inv.Guests, w.Unchanged, at); err != nil {
		return err
	}
	if err := insertChanges(ctx, tx, w.Changes, w.Run.ID, at); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE sync_runs SET started_at = ?, finished_at = ?, outcome = ?, error = '',
		added = ?, changed = ?, removed = ?, unchanged = ? WHERE id = ?`,
		at, finished.UnixNano(), state.OutcomeOK, w.Run.Added, w.Run.Changed, w.Run.Removed, w.Run.Unchanged, w.Run.ID); err != nil {
		return fmt.Errorf("finish sync run: %w", err)
	}
	c := inv.Cluster
	if _, err := tx.ExecContext(ctx, `INSERT INTO clusters (id, endpoint, name, version, fingerprint, updated_at) VALUES (1, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET endpoint = excluded.endpoint, name = excluded.name, version = excluded.version,
		fingerprint = excluded.fingerprint, updated_at = excluded.updated_at`,
		c.Endpoint, c.Name, c.Version, c.Fingerprint, at); err != nil {
		return fmt.Errorf("store cluster: %w", err)
	}
	return nil
}

// each prepares query in tx and runs exec for every one of n records.
func each(ctx context.Context, tx *sql.Tx, what, query string, n int, args func(i int) ([]any, error)) (err error) {
	if n == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, query)
	if err != nil {
		return fmt.Errorf("store %s: %w", what, err)
	}
	defer func() { err = errors.Join(err, st.Close()) }()
	for i := range n {
		a, err := args(i)
		if err != nil {
			return fmt.Errorf("store %s: %w", what, err)
		}
		if _, err := st.ExecContext(ctx, a...); err != nil {
			return fmt.Errorf("store %s: %w", what, err)
		}
	}
	return nil
}

// Duplicates within one inventory replace each other (the last one wins).

func insertNodes(ctx context.Context, tx *sql.Tx, nodes []state.Node) error {
	return each(ctx, tx, "nodes", `INSERT OR REPLACE INTO nodes (name, status, cpus, cpu_usage, memory_bytes, memory_used_bytes,
		disk_bytes, disk_used_bytes, uptime_seconds, ssl_fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, len(nodes),
		func(i int) ([]any, error) {
			n := nodes[i]
			return []any{n.Name, n.Status, n.CPUs, n.CPUUsage, n.MemoryBytes, n.MemoryUsedBytes, n.DiskBytes, n.DiskUsedBytes, n.UptimeSeconds, n.SSLFingerprint}, nil
		})
}

func insertStorages(ctx context.Context, tx *sql.Tx, storages []state.Storage) error {
	return each(ctx, tx, "storages", `INSERT OR REPLACE INTO storages (node, name, type, content, shared, status, used_bytes, total_bytes)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, len(storages),
		func(i int) ([]any, error) {
			st := storages[i]
			return []any{st.Node, st.Name, st.Type, encodeStrings(st.Content), boolInt(st.Shared), st.Status, st.UsedBytes, st.TotalBytes}, nil
		})
}

func insertNetworks(ctx context.Context, tx *sql.Tx, networks []state.Network) error {
	return each(ctx, tx, "networks", `INSERT OR REPLACE INTO networks (node, name, type, cidr, gateway, ports, vlan_aware, active)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, len(networks),
		func(i int) ([]any, error) {
			n := networks[i]
			return []any{n.Node, n.Name, n.Type, n.CIDR, n.Gateway, n.Ports, boolInt(n.VLANAware), boolInt(n.Active)}, nil
		})
}

func insertVolumes(ctx context.Context, tx *sql.Tx, volumes []state.Volume) error {
	return each(ctx, tx, "volumes", `INSERT OR REPLACE INTO volumes (node, storage, volid, content, size_bytes) VALUES (?, ?, ?, ?, ?)`, len(volumes),
		func(i int) ([]any, error) {
			v := volumes[i]
			return []any{v.Node, v.Storage, v.Volid, v.Content, v.SizeBytes}, nil
		})
}

func insertSnapshots(ctx context.Context, tx *sql.Tx, snaps []state.Snapshot) error {
	return each(ctx, tx, "snapshots", `INSERT OR REPLACE INTO snapshots (vmid, name, parent, description, "time", vmstate)
		VALUES (?, ?, ?, ?, ?, ?)`, len(snaps),
		func(i int) ([]any, error) {
			sn := snaps[i]
			return []any{sn.VMID, sn.Name, sn.Parent, sn.Description, nanosPtr(sn.Time), boolInt(sn.VMState)}, nil
		})
}

// upsertGuests writes the inventory's guests (first_seen kept from an
// existing row, last_seen = at, removed_at cleared) and marks the stored
// guests the inventory lacks as removed at at.
func upsertGuests(ctx context.Context, tx *sql.Tx, guests []state.Guest, unchanged map[int]bool, at int64) error {
	full, err := touchGuests(ctx, tx, guests, unchanged, at)
	if err != nil {
		return err
	}
	err = each(ctx, tx, "guests", `INSERT INTO guests (vmid, type, node, name, status, tags, pool, template, ha_state, "lock",
		cpus, memory_bytes, disk_bytes, config, digest, agent_ips, first_seen, last_seen, removed_at, uptime_seconds, memory_used_bytes)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)
		ON CONFLICT (vmid) DO UPDATE SET type = excluded.type, node = excluded.node, name = excluded.name,
		status = excluded.status, tags = excluded.tags, pool = excluded.pool, template = excluded.template,
		ha_state = excluded.ha_state, "lock" = excluded."lock", cpus = excluded.cpus, memory_bytes = excluded.memory_bytes,
		disk_bytes = excluded.disk_bytes, config = excluded.config, digest = excluded.digest, agent_ips = excluded.agent_ips,
		last_seen = excluded.last_seen, removed_at = NULL, uptime_seconds = excluded.uptime_seconds,
		memory_used_bytes = excluded.memory_used_bytes`, len(full),
		func(i int) ([]any, error) {
			g := guests[full[i]]
			return []any{g.VMID, g.Type, g.Node, g.Name, g.Status, encodeStrings(g.Tags), g.Pool, boolInt(g.Template), g.HAState, g.Lock,
				g.CPUs, g.MemoryBytes, g.DiskBytes, encodeStringMap(g.Config), g.Digest, encodeStrings(g.AgentIPs),
				at, at, g.UptimeSeconds, g.MemoryUsedBytes}, nil
		})
	if err != nil {
		return err
	}
	vmids := make([]int, len(guests))
	for i, g := range guests {
		vmids[i] = g.VMID
	}
	present, err := jsonText(vmids)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE guests SET removed_at = ?
		WHERE removed_at IS NULL AND vmid NOT IN (SELECT value FROM json_each(?))`, at, present); err != nil {
		return fmt.Errorf("mark removed guests: %w", err)
	}
	return nil
}

// touchGuests updates only the volatile values of the guests hinted as
// unchanged (saving the encoding and rewrite of their config) and returns
// the indexes of the guests that need the full write: the others, and any
// hinted guest that is not stored as present.
func touchGuests(ctx context.Context, tx *sql.Tx, guests []state.Guest, unchanged map[int]bool, at int64) (full []int, err error) {
	if len(unchanged) == 0 {
		full = make([]int, len(guests))
		for i := range guests {
			full[i] = i
		}
		return full, nil
	}
	st, err := tx.PrepareContext(ctx, `UPDATE guests SET last_seen = ?, uptime_seconds = ?, memory_used_bytes = ?, digest = ?
		WHERE vmid = ? AND removed_at IS NULL`)
	if err != nil {
		return nil, fmt.Errorf("store guests: %w", err)
	}
	defer func() { err = errors.Join(err, st.Close()) }()
	for i, g := range guests {
		if !unchanged[g.VMID] {
			full = append(full, i)
			continue
		}
		res, err := st.ExecContext(ctx, at, g.UptimeSeconds, g.MemoryUsedBytes, g.Digest, g.VMID)
		if err != nil {
			return nil, fmt.Errorf("store guests: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			full = append(full, i)
		}
	}
	return full, nil
}

func insertChanges(ctx context.Context, tx *sql.Tx, changes []state.Change, runID, at int64) error {
	return each(ctx, tx, "changes", `INSERT INTO resource_history (sync_id, at, resource_type, resource_key, name, kind, field, old, new)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, len(changes),
		func(i int) ([]any, error) {
			c := changes[i]
			syncID := c.SyncID
			if syncID == 0 {
				syncID = runID
			}
			when := at
			if !c.At.IsZero() {
				when = c.At.UnixNano()
			}
			return []any{syncID, when, c.ResourceType, c.ResourceKey, c.Name, c.Kind, c.Field, c.Old, c.New}, nil
		})
}
