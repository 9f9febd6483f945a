package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// copyFrom is how many entries make CodeCachePut COPY them through a
// temporary table rather than send one upsert each in a batch.
const copyFrom = 64

// CodeCacheGet returns the code cache values stored for hashes and marks
// them used now (only those not used within state.CodeCacheTouch, so a
// warm read writes nothing). Failing to record the use is logged, not
// returned: the values are good, and the cost is an entry pruned early.
func (s *Store) CodeCacheGet(ctx context.Context, hashes []string) (map[string][]byte, error) {
	out := map[string][]byte{}
	if len(hashes) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, "SELECT hash, data, used_at FROM code_cache WHERE hash = ANY($1)", hashes)
	if err != nil {
		return nil, fmt.Errorf("read code cache: %w", err)
	}
	now := s.now()
	stale := now.Add(-state.CodeCacheTouch)
	var touch []string
	var (
		hash   string
		data   []byte
		usedAt time.Time
	)
	_, err = pgx.ForEachRow(rows, []any{&hash, &data, &usedAt}, func() error {
		out[hash] = data
		data = nil // Scan reuses a non-nil slice
		if usedAt.Before(stale) {
			touch = append(touch, hash)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read code cache: %w", err)
	}
	if len(touch) > 0 {
		if _, err := s.pool.Exec(ctx, "UPDATE code_cache SET used_at = $1 WHERE hash = ANY($2) AND used_at < $1", now, touch); err != nil {
			s.logger.Warn("code cache: record use", slog.Int("entries", len(touch)), slog.Any("err", err))
		}
	}
	return out, nil
}

// CodeCachePut stores values by hash as used at usedAt (zero: now) and
// removes the entries not used since usedAt - state.CodeCacheTTL, in one
// transaction: many entries are copied into a temporary table and
// upserted from there, a few sent as a batch.
func (s *Store) CodeCachePut(ctx context.Context, entries map[string][]byte, usedAt time.Time) error {
	if usedAt.IsZero() {
		usedAt = s.now()
	}
	hashes := make([]string, 0, len(entries))
	for h := range entries {
		hashes = append(hashes, h)
	}
	slices.Sort(hashes)
	data := func(h string) []byte {
		if d := entries[h]; d != nil {
			return d
		}
		return []byte{}
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		if len(hashes) >= copyFrom {
			if _, err := tx.Exec(ctx, "CREATE TEMPORARY TABLE code_cache_in (hash TEXT NOT NULL, data BYTEA NOT NULL) ON COMMIT DROP"); err != nil {
				return err
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"code_cache_in"}, []string{"hash", "data"},
				pgx.CopyFromSlice(len(hashes), func(i int) ([]any, error) { return []any{hashes[i], data(hashes[i])}, nil })); err != nil {
				return err
			}
			b.Queue(`INSERT INTO code_cache (hash, data, used_at) SELECT hash, data, $1 FROM code_cache_in
				ON CONFLICT (hash) DO UPDATE SET data = EXCLUDED.data, used_at = EXCLUDED.used_at`, usedAt)
		} else {
			for _, h := range hashes {
				b.Queue(`INSERT INTO code_cache (hash, data, used_at) VALUES ($1, $2, $3)
					ON CONFLICT (hash) DO UPDATE SET data = EXCLUDED.data, used_at = EXCLUDED.used_at`, h, data(h), usedAt)
			}
		}
		b.Queue("DELETE FROM code_cache WHERE used_at < $1", usedAt.Add(-state.CodeCacheTTL))
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("store code cache: %w", err)
	}
	return nil
}
