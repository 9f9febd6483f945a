package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// GeneratedFiles lists what the last code generation wrote, by path.
func (s *Store) GeneratedFiles(ctx context.Context) ([]state.GeneratedFile, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT path, sha256, content, generated_at FROM generated_files ORDER BY path")
	if err != nil {
		return nil, s.classify(fmt.Errorf("list generated files: %w", err))
	}
	defer func() { _ = rows.Close() }()
	var out []state.GeneratedFile
	for rows.Next() {
		var f state.GeneratedFile
		var at int64
		if err := rows.Scan(&f.Path, &f.SHA256, &f.Content, &at); err != nil {
			return nil, fmt.Errorf("list generated files: %w", err)
		}
		f.GeneratedAt = time.Unix(0, at).UTC()
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, s.classify(fmt.Errorf("list generated files: %w", err))
	}
	return out, nil
}

// RecordGeneratedFiles stores files (replacing same paths) and forgets the
// paths in removed, in one transaction.
func (s *Store) RecordGeneratedFiles(ctx context.Context, files []state.GeneratedFile, removed []string) error {
	release, err := s.lockWriter(ctx)
	if err != nil {
		return err
	}
	defer release()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.classify(fmt.Errorf("record generated files: %w", err))
	}
	defer func() { _ = tx.Rollback() }()
	if err := each(ctx, tx, "generated files", `INSERT INTO generated_files (path, sha256, content, generated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (path) DO UPDATE SET sha256 = excluded.sha256, content = excluded.content, generated_at = excluded.generated_at`,
		len(files), func(i int) ([]any, error) {
			f := files[i]
			at := f.GeneratedAt
			if at.IsZero() {
				at = s.now()
			}
			content := f.Content
			if content == nil {
				content = []byte{}
			}
			return []any{f.Path, f.SHA256, content, at.UnixNano()}, nil
		}); err != nil {
		return s.classify(err)
	}
	if err := each(ctx, tx, "generated files", "DELETE FROM generated_files WHERE path = ?", len(removed),
		func(i int) ([]any, error) { return []any{removed[i]}, nil }); err != nil {
		return s.classify(err)
	}
	if err := tx.Commit(); err != nil {
		return s.classify(fmt.Errorf("record generated files: %w", err))
	}
	return nil
}
