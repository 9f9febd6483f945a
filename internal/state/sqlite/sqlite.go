// Package sqlite is the default state.Store: one SQLite file per workspace
// (.proxmox-mpc/state.db), through the pure-Go modernc.org/sqlite driver.
// The schema is versioned with goose migrations embedded in the binary and
// applied on Open.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	sqlitedrv "modernc.org/sqlite"

	"github.com/proxmox-mpc/proxmox-mpc/internal/state"
)

//go:embed migrations/*.sql
var embedded embed.FS

// gooseTable is goose's version table (goose.DefaultTablename).
const gooseTable = "goose_db_version"

// DefaultBusyTimeout is how long a write waits for another process's lock.
const DefaultBusyTimeout = 5 * time.Second

// Option configures Open.
type Option func(*options)

type options struct {
	log         *slog.Logger
	busyTimeout time.Duration
	now         func() time.Time
	migrations  fs.FS
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.log = l
		}
	}
}

// WithBusyTimeout sets how long a write waits for another process holding
// the database's write lock before it fails with state.ErrLocked.
func WithBusyTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.busyTimeout = d
		}
	}
}

// WithNow sets the clock used for times the caller did not give.
func WithNow(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

// withMigrations replaces the embedded migrations (tests only): fsys holds
// the .sql files at its root.
func withMigrations(fsys fs.FS) Option {
	return func(o *options) { o.migrations = fsys }
}

// Store is the SQLite state.Store. It is safe for concurrent use; writes of
// one Store are serialized in process, writes of several processes by
// SQLite's lock and the busy timeout.
type Store struct {
	db     *sql.DB
	path   string
	log    *slog.Logger
	now    func() time.Time
	busy   time.Duration
	schema int64
	// writer serializes this Store's write transactions, so goroutines
	// queue here (honouring ctx) instead of spinning in SQLite's busy handler.
	writer chan struct{}
}

var _ state.Store = (*Store)(nil)

// Open opens (creating when missing) the state database at path and brings
// its schema up to date. It refuses, leaving the file untouched, a file
// that is not a proxmox-mpc SQLite database or is damaged (state.ErrCorrupt)
// and one written by a newer proxmox-mpc (state.ErrSchemaTooNew).
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := options{
		log:         slog.New(slog.DiscardHandler),
		busyTimeout: DefaultBusyTimeout,
		now:         time.Now,
	}
	for _, opt := range opts {
		opt(&o)
	}
	if path == "" {
		return nil, errors.New("open state database: empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open state database %s: %w", path, err)
	}
	migrations := o.migrations
	if migrations == nil {
		if migrations, err = fs.Sub(embedded, "migrations"); err != nil {
			return nil, fmt.Errorf("open state database: migrations: %w", err)
		}
	}
	known, err := newestMigration(migrations)
	if err != nil {
		return nil, err
	}

	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("open state database: %w", err)
	}
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		f, err := os.OpenFile(abs, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("create state database: %w", err)
		}
		if f != nil {
			if err := f.Close(); err != nil {
				return nil, fmt.Errorf("create state database: %w", err)
			}
		}
	case err != nil:
		return nil, fmt.Errorf("open state database: %w", err)
	case fi.IsDir():
		return nil, &CorruptError{Path: abs, Err: errors.New("is a directory")}
	case fi.Size() > 0:
		if err := probe(ctx, abs, o.busyTimeout, known); err != nil {
			return nil, err
		}
	}

	db, err := sql.Open("sqlite", dsn(abs, o.busyTimeout, false))
	if err != nil {
		return nil, fmt.Errorf("open state database %s: %w", abs, err)
	}
	s := &Store{
		db:     db,
		path:   abs,
		log:    o.log.With(slog.String("subsys", "state")),
		now:    o.now,
		busy:   o.busyTimeout,
		writer: make(chan struct{}, 1),
	}
	if err := s.migrate(ctx, migrations, known); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// dsn is modernc's file: URI with the connection pragmas, which the driver
// runs on every new connection. Writers BEGIN IMMEDIATE (_txlock), so two
// syncs serialize on the write lock instead of failing at commit.
func dsn(path string, busy time.Duration, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	if readOnly {
		q.Set("mode", "ro")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Set("_txlock", "immediate")
	}
	p := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(filepath.ToSlash(path))
	return "file:" + p + "?" + q.Encode()
}

// newestMigration is the highest version among the migration files.
func newestMigration(fsys fs.FS) (int64, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return 0, fmt.Errorf("state migrations: %w", err)
	}
	var newest int64
	for _, n := range names {
		v, err := goose.NumericComponent(n)
		if err != nil {
			return 0, fmt.Errorf("state migration %s: %w", n, err)
		}
		newest = max(newest, v)
	}
	if newest == 0 {
		return 0, errors.New("state migrations: none embedded")
	}
	return newest, nil
}

// migrate applies pending migrations, each in its own transaction.
func (s *Store) migrate(ctx context.Context, migrations fs.FS, known int64) error {
	p, err := goose.NewProvider(goose.DialectSQLite3, s.db, migrations,
		goose.WithDisableGlobalRegistry(true),
		goose.WithSlog(s.log),
	)
	if err != nil {
		return fmt.Errorf("state migrations: %w", err)
	}
	res, upErr := p.Up(ctx)
	for _, r := range res {
		s.log.Info("state schema migrated", slog.String("file", s.path), slog.Int64("version", r.Source.Version), slog.Duration("took", r.Duration))
	}
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		return s.classify(fmt.Errorf("read schema version: %w", err))
	}
	if upErr != nil {
		// Another process may have applied the same migration meanwhile.
		if v >= known {
			s.log.Debug("state migration raced with another process", slog.Any("err", upErr))
		} else {
			return s.classify(fmt.Errorf("migrate state database %s from version %d: %w", s.path, v, upErr))
		}
	}
	if v > known {
		return &SchemaTooNewError{Path: s.path, Version: v, Known: known}
	}
	s.schema = v
	return nil
}

// Close closes the database.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close state database %s: %w", s.path, err)
	}
	return nil
}

// Info reports backend, location, schema version and size on disk (the
// file plus its write-ahead log).
func (s *Store) Info(ctx context.Context) (state.Info, error) {
	info := state.Info{Backend: "sqlite", Location: s.path}
	if err := s.db.QueryRowContext(ctx, "SELECT coalesce(max(version_id), 0) FROM "+gooseTable).Scan(&info.SchemaVersion); err != nil {
		return state.Info{}, s.classify(fmt.Errorf("read schema version: %w", err))
	}
	for _, p := range []string{s.path, s.path + "-wal"} {
		if fi, err := os.Stat(p); err == nil {
			info.SizeBytes += fi.Size()
		}
	}
	return info, nil
}

// Check runs SQLite's integrity and foreign key checks.
func (s *Store) Check(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return s.classify(fmt.Errorf("integrity check: %w", err))
	}
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			_ = rows.Close()
			return s.classify(fmt.Errorf("integrity check: %w", err))
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return s.classify(fmt.Errorf("integrity check: %w", err))
	}
	fk, err := s.db.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return s.classify(fmt.Errorf("foreign key check: %w", err))
	}
	for fk.Next() {
		var table string
		var rowid sql.NullInt64
		var parent string
		var idx int64
		if err := fk.Scan(&table, &rowid, &parent, &idx); err != nil {
			_ = fk.Close()
			return s.classify(fmt.Errorf("foreign key check: %w", err))
		}
		problems = append(problems, fmt.Sprintf("%s row %d refers to a missing %s", table, rowid.Int64, parent))
	}
	if err := errors.Join(fk.Err(), fk.Close()); err != nil {
		return s.classify(fmt.Errorf("foreign key check: %w", err))
	}
	if len(problems) > 0 {
		if len(problems) > 5 {
			problems = append(problems[:5], fmt.Sprintf("and %d more", len(problems)-5))
		}
		return &CorruptError{Path: s.path, Err: errors.New(strings.Join(problems, "; "))}
	}
	return nil
}

// lockWriter takes this Store's write turn; release gives it back.
func (s *Store) lockWriter(ctx context.Context) (release func(), err error) {
	select {
	case s.writer <- struct{}{}:
		return func() { <-s.writer }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for the state database: %w", ctx.Err())
	}
}

// classify turns SQLite's busy and corruption codes into the state errors.
func (s *Store) classify(err error) error {
	return classify(s.path, s.busy, err)
}

func classify(path string, busy time.Duration, err error) error {
	if err == nil {
		return nil
	}
	var se *sqlitedrv.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() & 0xff {
	case codeBusy, codeLocked:
		return &LockedError{Path: path, Waited: busy, Err: err}
	case codeCorrupt, codeNotADB:
		return &CorruptError{Path: path, Err: err}
	}
	return err
}
