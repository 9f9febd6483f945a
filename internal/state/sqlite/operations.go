package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// RecordOperation appends to the audit journal and returns the id. A zero
// StartedAt is now.
func (s *Store) RecordOperation(ctx context.Context, op state.Operation) (int64, error) {
	if op.StartedAt.IsZero() {
		op.StartedAt = s.now()
	}
	params, err := jsonText(op.Params)
	if err != nil {
		return 0, fmt.Errorf("record operation %s: params: %w", op.Action, err)
	}
	release, err := s.lockWriter(ctx)
	if err != nil {
		return 0, err
	}
	defer release()
	res, err := s.db.ExecContext(ctx, `INSERT INTO operations (started_at, finished_at, os_user, api_identity, action, target,
		params, upid, outcome, error, duration_ms, correlation_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		op.StartedAt.UnixNano(), nanosPtr(op.FinishedAt), op.OSUser, op.APIIdentity, op.Action, op.Target,
		params, op.UPID, op.Outcome, op.Error, op.DurationMS, op.CorrelationID)
	if err != nil {
		return 0, s.classify(fmt.Errorf("record operation %s: %w", op.Action, err))
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, fmt.Errorf("record operation %s: %w", op.Action, err)
	}
	return id, nil
}

// FinishOperation sets the outcome of a journaled operation and its
// duration; an empty upid keeps the recorded one.
func (s *Store) FinishOperation(ctx context.Context, id int64, finishedAt time.Time, outcome, errText, upid string) error {
	if finishedAt.IsZero() {
		finishedAt = s.now()
	}
	release, err := s.lockWriter(ctx)
	if err != nil {
		return err
	}
	defer release()
	res, err := s.db.ExecContext(ctx, `UPDATE operations SET finished_at = ?, outcome = ?, error = ?,
		upid = CASE WHEN ? = '' THEN upid ELSE ? END, duration_ms = (? - started_at) / 1000000 WHERE id = ?`,
		finishedAt.UnixNano(), outcome, errText, upid, upid, finishedAt.UnixNano(), id)
	if err != nil {
		return s.classify(fmt.Errorf("finish operation %d: %w", id, err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("finish operation %d: %w", id, err)
	} else if n == 0 {
		return errNotFound("operation", id)
	}
	return nil
}

// Operations lists journal entries, newest first.
func (s *Store) Operations(ctx context.Context, f state.OperationFilter) ([]state.Operation, error) {
	var where []string
	var args []any
	if f.Action != "" {
		where, args = append(where, "action = ?"), append(args, f.Action)
	}
	if f.CorrelationID != "" {
		where, args = append(where, "correlation_id = ?"), append(args, f.CorrelationID)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "started_at >= ?"), append(args, f.Since.UnixNano())
	}
	q := `SELECT id, started_at, finished_at, os_user, api_identity, action, target, params, upid, outcome, error,
		duration_ms, correlation_id FROM operations`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = -1
	}
	q += " ORDER BY started_at DESC, id DESC LIMIT ?"
	args = append(args, limit)
	ops, err := query(ctx, s.db, q, args, func(sc scanner) (state.Operation, error) {
		var op state.Operation
		var started, finished sql.NullInt64
		var params []byte
		if err := sc.Scan(&op.ID, &started, &finished, &op.OSUser, &op.APIIdentity, &op.Action, &op.Target, &params,
			&op.UPID, &op.Outcome, &op.Error, &op.DurationMS, &op.CorrelationID); err != nil {
			return op, err
		}
		op.StartedAt, op.FinishedAt = fromNanos(started), fromNanosPtr(finished)
		if err := json.Unmarshal(params, &op.Params); err != nil {
			return op, fmt.Errorf("operation %d params: %w", op.ID, err)
		}
		return op, nil
	})
	if err != nil {
		return nil, s.classify(fmt.Errorf("read operations: %w", err))
	}
	return ops, nil
}
