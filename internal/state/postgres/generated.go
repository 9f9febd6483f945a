package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// GeneratedFiles lists what the last code generation wrote, by path.
func (s *Store) GeneratedFiles(ctx context.Context) ([]state.GeneratedFile, error) {
	rows, err := s.pool.Query(ctx, "SELECT path, sha256, content, generated_at FROM generated_files ORDER BY path")
	if err != nil {
		return nil, fmt.Errorf("list generated files: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (state.GeneratedFile, error) {
		var f state.GeneratedFile
		err := row.Scan(&f.Path, &f.SHA256, &f.Content, &f.GeneratedAt)
		f.GeneratedAt = f.GeneratedAt.UTC()
		return f, err
	})
	if err != nil {
		return nil, fmt.Errorf("list generated files: %w", err)
	}
	return out, nil
}

// RecordGeneratedFiles stores files (replacing same paths) and forgets the
// paths in removed, in one transaction.
func (s *Store) RecordGeneratedFiles(ctx context.Context, files []state.GeneratedFile, removed []string) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, f := range files {
			at := f.GeneratedAt
			if at.IsZero() {
				at = s.now()
			}
			content := f.Content
			if content == nil {
				content = []byte{}
			}
			b.Queue(`INSERT INTO generated_files (path, sha256, content, generated_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (path) DO UPDATE SET sha256 = EXCLUDED.sha256, content = EXCLUDED.content,
				generated_at = EXCLUDED.generated_at`, f.Path, f.SHA256, content, at)
		}
		if len(removed) > 0 {
			b.Queue("DELETE FROM generated_files WHERE path = ANY($1)", removed)
		}
		if b.Len() == 0 {
			return nil
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("record generated files: %w", err)
		}
		return nil
	})
}
