package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// BeginSync records a running sync and returns its id.
func (s *Store) BeginSync(ctx context.Context, startedAt time.Time) (int64, error) {
	if startedAt.IsZero() {
		startedAt = s.now()
	}
	var id int64
	err := s.pool.QueryRow(ctx, `
		INSERT INTO sync_runs (started_at, outcome) VALUES ($1, $2) RETURNING id`,
		startedAt, state.OutcomeRunning).Scan(&id)
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
	tag, err := s.pool.Exec(ctx, `
		UPDATE sync_runs SET finished_at = $2, outcome = $3, error = $4 WHERE id = $1`,
		id, finishedAt, state.OutcomeFailed, cause)
	if err != nil {
		return fmt.Errorf("record failed sync %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("record failed sync %d: %w", id, state.ErrNotFound)
	}
	return nil
}

const syncRunColumns = `id, started_at, finished_at, outcome, error, added, changed, removed, unchanged`

func scanSyncRun(row pgx.Row) (state.SyncRun, error) {
	var r state.SyncRun
	err := row.Scan(&r.ID, &r.StartedAt, &r.FinishedAt, &r.Outcome, &r.Error,
		&r.Added, &r.Changed, &r.Removed, &r.Unchanged)
	r.StartedAt = r.StartedAt.UTC()
	r.FinishedAt = utcPtr(r.FinishedAt)
	return r, err
}

// LastSync is the newest successful run, or state.ErrNotFound.
func (s *Store) LastSync(ctx context.Context) (state.SyncRun, error) {
	r, err := scanSyncRun(s.pool.QueryRow(ctx, `
		SELECT `+syncRunColumns+` FROM sync_runs WHERE outcome = 'ok' ORDER BY id DESC LIMIT 1`))
	if errors.Is(err, pgx.ErrNoRows) {
		return state.SyncRun{}, fmt.Errorf("last sync: %w", state.ErrNotFound)
	}
	if err != nil {
		return state.SyncRun{}, fmt.Errorf("last sync: %w", err)
	}
	return r, nil
}

// SyncRuns lists runs, newest first; limit <= 0 means all.
func (s *Store) SyncRuns(ctx context.Context, limit int) ([]state.SyncRun, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT `+syncRunColumns+` FROM sync_runs ORDER BY id DESC LIMIT $1`, limitOrAll(limit))
	if err != nil {
		return nil, fmt.Errorf("list sync runs: %w", err)
	}
	runs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (state.SyncRun, error) {
		return scanSyncRun(row)
	})
	if err != nil {
		return nil, fmt.Errorf("list sync runs: %w", err)
	}
	return runs, nil
}

// CommitSync writes everything of one successful sync in one transaction:
// it replaces nodes, storages, networks, volumes and snapshots, upserts the
// guests (marking the ones that disappeared as removed), appends the changes
// and finishes the run. Concurrent commits serialize on the sync_lock row;
// the later one fails with state.ErrConflict.
func (s *Store) CommitSync(ctx context.Context, w state.SyncWrite) error {
	// The sync's time is when it started: what it saw was true then.
	at := w.Run.StartedAt
	if at.IsZero() {
		at = s.now()
	}
	finished := s.now()
	if w.Run.FinishedAt != nil && !w.Run.FinishedAt.IsZero() {
		finished = *w.Run.FinishedAt
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("commit sync: %w", err)
	}
	defer func() { _ = tx.Rollback(ctx) }() // no-op after Commit

	if _, err := tx.Exec(ctx, `SELECT id FROM sync_lock WHERE id = 1 FOR UPDATE`); err != nil {
		return fmt.Errorf("commit sync: lock: %w", err)
	}
	var latest int64
	if err := tx.QueryRow(ctx, `
		SELECT COALESCE(MAX(id), 0) FROM sync_runs WHERE outcome = 'ok'`).Scan(&latest); err != nil {
		return fmt.Errorf("commit sync: %w", err)
	}
	if latest != w.BaseSyncID {
		return fmt.Errorf("commit sync based on sync %d, but sync %d was recorded since: %w",
			w.BaseSyncID, latest, state.ErrConflict)
	}

	runID, err := finishRun(ctx, tx, w.Run, finished)
	if err != nil {
		return err
	}
	inv := w.Inventory
	steps := []struct {
		what string
		fn   func() error
	}{
		{"cluster", func() error { return writeCluster(ctx, tx, inv.Cluster, at) }},
		{"nodes", func() error { return replaceNodes(ctx, tx, inv.Nodes) }},
		{"guests", func() error { return upsertGuests(ctx, tx, inv.Guests, w.Unchanged, at) }},
		{"storages", func() error { return replaceStorages(ctx, tx, inv.Storages) }},
		{"networks", func() error { return replaceNetworks(ctx, tx, inv.Networks) }},
		{"volumes", func() error { return replaceVolumes(ctx, tx, inv.Volumes) }},
		{"snapshots", func() error { return replaceSnapshots(ctx, tx, inv.Snapshots) }},
		{"history", func() error { return appendChanges(ctx, tx, w.Changes, runID, at) }},
	}
	for _, st := range steps {
		if err := st.fn(); err != nil {
			return fmt.Errorf("commit sync %d: write %s: %w", runID, st.what, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit sync %d: %w", runID, err)
	}
	s.logger.Info("sync committed", "backend", "postgres", "sync_id", runID,
		"guests", len(inv.Guests), "added", w.Run.Added, "changed", w.Run.Changed,
		"removed", w.Run.Removed, "history_rows", len(w.Changes))
	return nil
}

// finishRun marks the run begun by BeginSync as ok; a run BeginSync never
// returned is state.ErrNotFound.
func finishRun(ctx context.Context, tx pgx.Tx, r state.SyncRun, finished time.Time) (int64, error) {
	tag, err := tx.Exec(ctx, `
		UPDATE sync_runs SET finished_at = $2, outcome = 'ok', error = '',
			added = $3, changed = $4, removed = $5, unchanged = $6
		WHERE id = $1`,
		r.ID, finished, r.Added, r.Changed, r.Removed, r.Unchanged)
	if err != nil {
		return 0, fmt.Errorf("commit sync %d: record run: %w", r.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return 0, fmt.Errorf("commit sync %d: run: %w", r.ID, state.ErrNotFound)
	}
	return r.ID, nil
}

func writeCluster(ctx context.Context, tx pgx.Tx, c state.Cluster, at time.Time) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO clusters (id, endpoint, name, version, fingerprint, updated_at)
		VALUES (1, $1, $2, $3, $4, $5)
		ON CONFLICT (id) DO UPDATE SET endpoint = EXCLUDED.endpoint, name = EXCLUDED.name,
			version = EXCLUDED.version, fingerprint = EXCLUDED.fingerprint, updated_at = EXCLUDED.updated_at`,
		c.Endpoint, c.Name, c.Version, c.Fingerprint, at)
	return err
}

// replaceAll deletes every row of table and copies rows in.
func replaceAll(ctx context.Context, tx pgx.Tx, table string, cols []string, n int, row func(i int) []any) error {
	if _, err := tx.Exec(ctx, `DELETE FROM `+pgx.Identifier{table}.Sanitize()); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromSlice(n, func(i int) ([]any, error) {
		return row(i), nil
	}))
	return err
}

func replaceNodes(ctx context.Context, tx pgx.Tx, nodes []state.Node) error {
	return replaceAll(ctx, tx, "nodes",
		[]string{"name", "status", "cpus", "cpu_usage", "memory_bytes", "memory_used_bytes",
			"disk_bytes", "disk_used_bytes", "uptime_seconds", "ssl_fingerprint"},
		len(nodes), func(i int) []any {
			n := nodes[i]
			return []any{n.Name, n.Status, n.CPUs, n.CPUUsage, n.MemoryBytes, n.MemoryUsedBytes,
				n.DiskBytes, n.DiskUsedBytes, n.UptimeSeconds, n.SSLFingerprint}
		})
}

func replaceStorages(ctx context.Context, tx pgx.Tx, ss []state.Storage) error {
	return replaceAll(ctx, tx, "storages",
		[]string{"node", "name", "type", "content", "shared", "status", "used_bytes", "total_bytes"},
		len(ss), func(i int) []any {
			st := ss[i]
			return []any{st.Node, st.Name, st.Type, nonNil(st.Content), st.Shared, st.Status, st.UsedBytes, st.TotalBytes}
		})
}

func replaceNetworks(ctx context.Context, tx pgx.Tx, ns []state.Network) error {
	return replaceAll(ctx, tx, "networks",
		[]string{"node", "name", "type", "cidr", "gateway", "ports", "vlan_aware", "active"},
		len(ns), func(i int) []any {
			n := ns[i]
			return []any{n.Node, n.Name, n.Type, n.CIDR, n.Gateway, n.Ports, n.VLANAware, n.Active}
		})
}

func replaceVolumes(ctx context.Context, tx pgx.Tx, vs []state.Volume) error {
	return replaceAll(ctx, tx, "volumes",
		[]string{"node", "storage", "volid", "content", "size_bytes"},
		len(vs), func(i int) []any {
			v := vs[i]
			return []any{v.Node, v.Storage, v.Volid, v.Content, v.SizeBytes}
		})
}

func replaceSnapshots(ctx context.Context, tx pgx.Tx, ss []state.Snapshot) error {
	return replaceAll(ctx, tx, "snapshots",
		[]string{"vmid", "name", "parent", "description", "time", "vmstate"},
		len(ss), func(i int) []any {
			sn := ss[i]
			return []any{sn.VMID, sn.Name, sn.Parent, sn.Description, sn.Time, sn.VMState}
		})
}

var guestColumns = []string{"vmid", "type", "node", "name", "status", "tags", "pool", "template",
	"ha_state", "lock", "cpus", "memory_bytes", "disk_bytes", "config", "digest", "agent_ips",
	"first_seen", "last_seen", "removed_at", "uptime_seconds", "memory_used_bytes"}

// upsertGuests copies the sync's guests into a temporary table and upserts
// them: first_seen is kept from the stored row (else at), last_seen is at,
// removed_at is cleared. Stored guests absent from the sync are marked
// removed at at; those already removed keep their time. The guests'
// FirstSeen, LastSeen and RemovedAt fields are ignored: the store owns them.
func upsertGuests(ctx context.Context, tx pgx.Tx, guests []state.Guest, unchanged map[int]bool, at time.Time) error {
	full, err := touchGuests(ctx, tx, guests, unchanged, at)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `
		CREATE TEMPORARY TABLE guests_in (LIKE guests INCLUDING DEFAULTS) ON COMMIT DROP`); err != nil {
		return err
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"guests_in"}, guestColumns,
		pgx.CopyFromSlice(len(full), func(i int) ([]any, error) {
			g := guests[full[i]]
			cfg := g.Config
			if cfg == nil {
				cfg = map[string]string{}
			}
			return []any{g.VMID, g.Type, g.Node, g.Name, g.Status, nonNil(g.Tags), g.Pool, g.Template,
				g.HAState, g.Lock, g.CPUs, g.MemoryBytes, g.DiskBytes, cfg, g.Digest, nonNil(g.AgentIPs),
				at, at, nil, g.UptimeSeconds, g.MemoryUsedBytes}, nil
		}))
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO guests (vmid, type, node, name, status, tags, pool, template, ha_state, lock,
			cpus, memory_bytes, disk_bytes, config, digest, agent_ips, first_seen, last_seen,
			removed_at, uptime_seconds, memory_used_bytes)
		SELECT vmid, type, node, name, status, tags, pool, template, ha_state, lock,
			cpus, memory_bytes, disk_bytes, config, digest, agent_ips, first_seen, last_seen,
			NULL, uptime_seconds, memory_used_bytes
		FROM guests_in
		ON CONFLICT (vmid) DO UPDATE SET
			type = EXCLUDED.type, node = EXCLUDED.node, name = EXCLUDED.name,
			status = EXCLUDED.status, tags = EXCLUDED.tags, pool = EXCLUDED.pool,
			template = EXCLUDED.template, ha_state = EXCLUDED.ha_state, lock = EXCLUDED.lock,
			cpus = EXCLUDED.cpus, memory_bytes = EXCLUDED.memory_bytes,
			disk_bytes = EXCLUDED.disk_bytes, config = EXCLUDED.config, digest = EXCLUDED.digest,
			agent_ips = EXCLUDED.agent_ips,
			first_seen = guests.first_seen,
			last_seen = EXCLUDED.last_seen, removed_at = NULL,
			uptime_seconds = EXCLUDED.uptime_seconds, memory_used_bytes = EXCLUDED.memory_used_bytes`); err != nil {
		return err
	}
	present := make([]int32, len(guests))
	for i, g := range guests {
		present[i] = int32(g.VMID) // #nosec G115 -- PVE VMIDs are 100..999999999
	}
	_, err = tx.Exec(ctx, `
		UPDATE guests SET removed_at = $1
		WHERE removed_at IS NULL AND vmid <> ALL($2::integer[])`, at, present)
	return err
}

// touchGuests updates only the volatile values of the guests hinted as
// unchanged, through a temporary table, and returns the indexes of the
// guests that need the full write: the others, and any hinted guest that
// is not stored as present.
func touchGuests(ctx context.Context, tx pgx.Tx, guests []state.Guest, unchanged map[int]bool, at time.Time) ([]int, error) {
	var full, touch []int
	for i, g := range guests {
		if unchanged[g.VMID] {
			touch = append(touch, i)
		} else {
			full = append(full, i)
		}
	}
	if len(touch) == 0 {
		return full, nil
	}
	if _, err := tx.Exec(ctx, `
		CREATE TEMPORARY TABLE guests_touch (vmid integer PRIMARY KEY, digest text, uptime_seconds bigint,
			memory_used_bytes bigint) ON COMMIT DROP`); err != nil {
		return nil, err
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"guests_touch"}, []string{"vmid", "digest", "uptime_seconds", "memory_used_bytes"},
		pgx.CopyFromSlice(len(touch), func(i int) ([]any, error) {
			g := guests[touch[i]]
			return []any{g.VMID, g.Digest, g.UptimeSeconds, g.MemoryUsedBytes}, nil
		})); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `
		UPDATE guests g SET last_seen = $1, digest = t.digest, uptime_seconds = t.uptime_seconds,
			memory_used_bytes = t.memory_used_bytes
		FROM guests_touch t WHERE g.vmid = t.vmid AND g.removed_at IS NULL
		RETURNING g.vmid`, at)
	if err != nil {
		return nil, err
	}
	done, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil, err
	}
	hit := make(map[int]bool, len(done))
	for _, v := range done {
		hit[int(v)] = true
	}
	for _, i := range touch {
		if !hit[guests[i].VMID] {
			full = append(full, i)
		}
	}
	return full, nil
}

func appendChanges(ctx context.Context, tx pgx.Tx, cs []state.Change, runID int64, at time.Time) error {
	if len(cs) == 0 {
		return nil
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"resource_history"},
		[]string{"sync_id", "at", "resource_type", "resource_key", "name", "kind", "field", "old", "new"},
		pgx.CopyFromSlice(len(cs), func(i int) ([]any, error) {
			c := cs[i]
			syncID, when := c.SyncID, c.At
			if syncID == 0 {
				syncID = runID
			}
			if when.IsZero() {
				when = at
			}
			return []any{syncID, when, c.ResourceType, c.ResourceKey, c.Name, c.Kind, c.Field, c.Old, c.New}, nil
		}))
	return err
}

// nonNil stores nil slices as empty arrays (the columns are NOT NULL).
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// limitOrAll turns "0 = no limit" into a LIMIT argument (NULL means ALL).
func limitOrAll(limit int) *int {
	if limit <= 0 {
		return nil
	}
	return &limit
}
