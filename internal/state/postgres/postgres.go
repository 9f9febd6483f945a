// Package postgres is the PostgreSQL implementation of state.Store, for teams
// that share one state database (`--state-url postgres://...`). It speaks to
// the server through pgx; the schema is versioned with goose migrations
// embedded in the binary and applied when the store opens.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a state.Store on a PostgreSQL database. It is safe for
// concurrent use; concurrent CommitSyncs serialize on a lock row.
type Store struct {
	pool     *pgxpool.Pool
	location string // the URL with its password redacted
	logger   *slog.Logger
	now      func() time.Time
}

var _ state.Store = (*Store)(nil)

// Option configures Open.
type Option func(*Store)

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(s *Store) {
		if l != nil {
			s.logger = l
		}
	}
}

// WithNow sets the clock used for timestamps the caller did not give.
func WithNow(now func() time.Time) Option {
	return func(s *Store) {
		if now != nil {
			s.now = now
		}
	}
}

// SchemaTooNewError is returned by Open when the database was migrated by a
// newer proxmox-mpc than this binary. It wraps state.ErrSchemaTooNew.
type SchemaTooNewError struct {
	Location      string // redacted URL
	DBVersion     int64
	BinaryVersion int64
}

func (e *SchemaTooNewError) Error() string {
	return fmt.Sprintf("postgres state database %s has schema version %d, this binary knows up to version %d: %v",
		e.Location, e.DBVersion, e.BinaryVersion, state.ErrSchemaTooNew)
}

// Unwrap lets errors.Is(err, state.ErrSchemaTooNew) match.
func (e *SchemaTooNewError) Unwrap() error { return state.ErrSchemaTooNew }

// Hint tells the user what to do.
func (e *SchemaTooNewError) Hint() string {
	return fmt.Sprintf("upgrade proxmox-mpc: the database was migrated to schema version %d by a newer release "+
		"(this binary knows up to %d); the database was not changed", e.DBVersion, e.BinaryVersion)
}

// Open connects to the PostgreSQL database at rawURL, applies pending
// migrations (each in its own transaction) and returns the store. The URL's
// password never appears in errors or logs.
func Open(ctx context.Context, rawURL string, opts ...Option) (*Store, error) {
	s := &Store{
		location: redactURL(rawURL),
		logger:   slog.New(slog.DiscardHandler),
		now:      time.Now,
	}
	for _, o := range opts {
		o(s)
	}
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		// pgx's parse errors redact passwords only on a best-effort basis.
		var pe *pgconn.ParseConfigError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("open postgres state %s: invalid connection url", s.location)
		}
		return nil, fmt.Errorf("open postgres state %s: %w", s.location, err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres state %s: %w", s.location, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to postgres state %s: %w", s.location, err)
	}
	s.pool = pool
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// migrate refuses a schema newer than this binary, then applies pending
// migrations under goose's advisory session lock.
func (s *Store) migrate(ctx context.Context) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	// Migrations of one schema serialize on an advisory lock named after
	// the database and schema, so stores in other schemas never wait.
	var where string
	if err := s.pool.QueryRow(ctx, `SELECT current_database() || '.' || COALESCE(current_schema(), '')`).Scan(&where); err != nil {
		return fmt.Errorf("migrate postgres state %s: %w", s.location, err)
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte("proxmox-mpc state migrations " + where))
	db := stdlib.OpenDBFromPool(s.pool)
	defer func() { _ = db.Close() }()
	p, err := newProvider(db, fsys, int64(h.Sum64()))
	if err != nil {
		return err
	}
	dbVersion, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("read schema version of postgres state %s: %w", s.location, err)
	}
	binVersion := maxVersion(p)
	if dbVersion > binVersion {
		return &SchemaTooNewError{Location: s.location, DBVersion: dbVersion, BinaryVersion: binVersion}
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate postgres state %s: %w", s.location, err)
	}
	for _, r := range results {
		s.logger.Info("state schema migrated", "backend", "postgres", "version", r.Source.Version,
			"duration_ms", r.Duration.Milliseconds())
	}
	return nil
}

func newProvider(db *sql.DB, fsys fs.FS, lockID int64) (*goose.Provider, error) {
	// retry every second for up to 5 minutes (a long migration elsewhere)
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(lockID), lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	return p, nil
}

func maxVersion(p *goose.Provider) int64 {
	var v int64
	for _, src := range p.ListSources() {
		v = max(v, src.Version)
	}
	return v
}

// SchemaVersion is the newest schema version this binary knows.
func SchemaVersion() int64 {
	entries, err := fs.ReadDir(migrations, "migrations")
	if err != nil {
		return 0
	}
	var v int64
	for _, e := range entries {
		if n, err := goose.NumericComponent(e.Name()); err == nil {
			v = max(v, n)
		}
	}
	return v
}

// Close releases the connection pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Info reports backend, redacted location, schema version and database size.
func (s *Store) Info(ctx context.Context) (state.Info, error) {
	info := state.Info{Backend: "postgres", Location: s.location}
	err := s.pool.QueryRow(ctx, `
		SELECT COALESCE((SELECT MAX(version_id) FROM goose_db_version WHERE is_applied), 0),
		       pg_database_size(current_database())`).Scan(&info.SchemaVersion, &info.SizeBytes)
	if err != nil {
		return state.Info{}, fmt.Errorf("postgres state %s info: %w", s.location, err)
	}
	return info, nil
}

// Check verifies that the database holds this binary's schema in full.
func (s *Store) Check(ctx context.Context) error {
	var version int64
	var locks int
	err := s.pool.QueryRow(ctx, `
		SELECT COALESCE((SELECT MAX(version_id) FROM goose_db_version WHERE is_applied), 0),
		       (SELECT count(*) FROM sync_lock)`).Scan(&version, &locks)
	if err != nil {
		return fmt.Errorf("check postgres state %s: %w: %w", s.location, state.ErrCorrupt, err)
	}
	if want := SchemaVersion(); version != want || locks != 1 {
		return fmt.Errorf("check postgres state %s: schema version %d (want %d), %d lock rows (want 1): %w",
			s.location, version, want, locks, state.ErrCorrupt)
	}
	var missing []string
	rows, err := s.pool.Query(ctx, `
		SELECT t FROM unnest($1::text[]) AS t WHERE to_regclass(t) IS NULL`,
		[]string{"clusters", "nodes", "guests", "storages", "networks", "volumes", "snapshots",
			"sync_runs", "resource_history", "operations", "generated_files", "code_cache"})
	if err != nil {
		return fmt.Errorf("check postgres state %s: %w", s.location, err)
	}
	defer rows.Close()
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return fmt.Errorf("check postgres state %s: %w", s.location, err)
		}
		missing = append(missing, t)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("check postgres state %s: %w", s.location, err)
	}
	if len(missing) > 0 {
		return fmt.Errorf("check postgres state %s: tables %v missing: %w", s.location, missing, state.ErrCorrupt)
	}
	return nil
}

// redactURL returns rawURL with any password masked, for errors and logs.
func redactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme == "" {
		return "(unparsable postgres url)"
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
