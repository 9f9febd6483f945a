package sqlite

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// CodeCacheGet returns the code cache values stored for hashes and marks
// them used now (only those not used within state.CodeCacheTouch, so a
// warm read writes nothing). Failing to record the use is logged, not
// returned: the values are good, and the cost is an entry pruned early.
func (s *Store) CodeCacheGet(ctx context.Context, hashes []string) (map[string][]byte, error) {
	out := map[string][]byte{}
	if len(hashes) == 0 {
		return out, nil
	}
	list, err := jsonText(hashes)
	if err != nil {
		return nil, fmt.Errorf("read code cache: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, "SELECT hash, data, used_at FROM code_cache WHERE hash IN (SELECT value FROM json_each(?))", list)
	if err != nil {
		return nil, s.classify(fmt.Errorf("read code cache: %w", err))
	}
	defer func() { _ = rows.Close() }()
	now := s.now()
	stale := now.Add(-state.CodeCacheTouch).UnixNano()
	var touch []string
	for rows.Next() {
		var (
			hash   string
			data   []byte
			usedAt int64
		)
		if err := rows.Scan(&hash, &data, &usedAt); err != nil {
			return nil, fmt.Errorf("read code cache: %w", err)
		}
		out[hash] = data
		if usedAt < stale {
			touch = append(touch, hash)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.classify(fmt.Errorf("read code cache: %w", err))
	}
	if len(touch) > 0 {
		if err := s.touchCodeCache(ctx, touch, now); err != nil {
			s.log.Warn("code cache: record use", slog.Int("entries", len(touch)), slog.Any("err", err))
		}
	}
	return out, nil
}

func (s *Store) touchCodeCache(ctx context.Context, hashes []string, at time.Time) error {
	list, err := jsonText(hashes)
	if err != nil {
		return err
	}
	release, err := s.lockWriter(ctx)
	if err != nil {
		return err
	}
	defer release()
	if _, err := s.db.ExecContext(ctx, "UPDATE code_cache SET used_at = ? WHERE hash IN (SELECT value FROM json_each(?)) AND used_at < ?",
		at.UnixNano(), list, at.UnixNano()); err != nil {
		return s.classify(err)
	}
	return nil
}

// CodeCachePut stores values by hash as used at usedAt (zero: now) and
// removes the entries not used since usedAt - state.CodeCacheTTL, in one
// transaction through one prepared statement.
func (s *Store) CodeCachePut(ctx context.Context, entries map[string][]byte, usedAt time.Time) error {
	if usedAt.IsZero() {
		usedAt = s.now()
	}
	hashes := make([]string, 0, len(entries))
	for h := range entries {
		hashes = append(hashes, h)
	}
	slices.Sort(hashes)
	release, err := s.lockWriter(ctx)
	if err != nil {
		return err
	}
	defer release()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.classify(fmt.Errorf("store code cache: %w", err))
	}
	defer func() { _ = tx.Rollback() }()
	at := usedAt.UnixNano()
	if err := each(ctx, tx, "code cache", `INSERT INTO code_cache (hash, data, used_at) VALUES (?, ?, ?)
		ON CONFLICT (hash) DO UPDATE SET data = excluded.data, used_at = excluded.used_at`,
		len(hashes), func(i int) ([]any, error) {
			data := entries[hashes[i]]
			if data == nil {
				data = []byte{}
			}
			return []any{hashes[i], data, at}, nil
		}); err != nil {
		return s.classify(err)
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM code_cache WHERE used_at < ?", usedAt.Add(-state.CodeCacheTTL).UnixNano()); err != nil {
		return s.classify(fmt.Errorf("prune code cache: %w", err))
	}
	if err := tx.Commit(); err != nil {
		return s.classify(fmt.Errorf("store code cache: %w", err))
	}
	return nil
}
