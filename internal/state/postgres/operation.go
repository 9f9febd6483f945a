package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

// RecordOperation appends to the audit journal and returns the id.
func (s *Store) RecordOperation(ctx context.Context, op state.Operation) (int64, error) {
	if op.StartedAt.IsZero() {
		op.StartedAt = s.now()
	}
	params := op.Params
	if params == nil {
		params = map[string]any{}
	}
	var id int64
	err := s.pool.QueryRow(ctx, `
		INSERT INTO operations (started_at, finished_at, os_user, api_identity, action, target, params,
			upid, outcome, error, duration_ms, correlation_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
		op.StartedAt, op.FinishedAt, op.OSUser, op.APIIdentity, op.Action, op.Target, params,
		op.UPID, op.Outcome, op.Error, op.DurationMS, op.CorrelationID).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("record operation %s %s: %w", op.Action, op.Target, err)
	}
	return id, nil
}

// FinishOperation sets the outcome of a journaled operation; the duration is
// computed from its start, and an empty upid keeps the one recorded.
func (s *Store) FinishOperation(ctx context.Context, id int64, finishedAt time.Time, outcome, errText, upid string) error {
	if finishedAt.IsZero() {
		finishedAt = s.now()
	}
	tag, err := s.pool.Exec(ctx, `
		UPDATE operations SET finished_at = $2, outcome = $3, error = $4,
			upid = CASE WHEN $5 = '' THEN upid ELSE $5 END,
			duration_ms = GREATEST(0, (EXTRACT(EPOCH FROM ($2 - started_at)) * 1000)::bigint)
		WHERE id = $1`,
		id, finishedAt, outcome, errText, upid)
	if err != nil {
		return fmt.Errorf("finish operation %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("finish operation %d: %w", id, state.ErrNotFound)
	}
	return nil
}

// Operations lists journal entries, newest first.
func (s *Store) Operations(ctx context.Context, f state.OperationFilter) ([]state.Operation, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.Action != "" {
		add("action = ?", f.Action)
	}
	if f.CorrelationID != "" {
		add("correlation_id = ?", f.CorrelationID)
	}
	if !f.Since.IsZero() {
		add("started_at >= ?", f.Since)
	}
	sql := `SELECT id, started_at, finished_at, os_user, api_identity, action, target, params,
		upid, outcome, error, duration_ms, correlation_id FROM operations`
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, limitOrAll(f.Limit))
	sql += " ORDER BY started_at DESC, id DESC LIMIT $" + strconv.Itoa(len(args))
	ops, err := queryAll(ctx, s.pool, sql, args, func(r pgx.CollectableRow) (state.Operation, error) {
		var op state.Operation
		err := r.Scan(&op.ID, &op.StartedAt, &op.FinishedAt, &op.OSUser, &op.APIIdentity, &op.Action,
			&op.Target, &op.Params, &op.UPID, &op.Outcome, &op.Error, &op.DurationMS, &op.CorrelationID)
		op.StartedAt = op.StartedAt.UTC()
		op.FinishedAt = utcPtr(op.FinishedAt)
		if len(op.Params) == 0 {
			op.Params = nil
		}
		return op, err
	})
	if err != nil {
		return nil, fmt.Errorf("list operations: %w", err)
	}
	return ops, nil
}
