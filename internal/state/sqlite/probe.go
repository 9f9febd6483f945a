package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// sqliteMagic starts every SQLite 3 database file.
const sqliteMagic = "SQLite format 3\x00"

// probe inspects an existing, non-empty file before anything may write to
// it: the SQLite header, the file's length against the header, the schema
// and goose's version. It reads only (the read-only connection may create
// the -shm file a WAL database needs), so a refused file stays untouched.
func probe(ctx context.Context, path string, busy time.Duration, known int64) error {
	if err := checkHeader(path); err != nil {
		return &CorruptError{Path: path, Err: err}
	}
	db, err := sql.Open("sqlite", dsn(path, busy, true))
	if err != nil {
		return fmt.Errorf("open state database %s: %w", path, err)
	}
	defer func() { _ = db.Close() }()

	rows, err := db.QueryContext(ctx, "SELECT name FROM sqlite_master WHERE type = 'table'")
	if err != nil {
		return classify(path, busy, fmt.Errorf("read schema: %w", err))
	}
	tables := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			_ = rows.Close()
			return classify(path, busy, fmt.Errorf("read schema: %w", err))
		}
		tables[name] = true
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return classify(path, busy, fmt.Errorf("read schema: %w", err))
	}
	if !tables[gooseTable] {
		if len(tables) > 0 {
			return &CorruptError{Path: path, Err: fmt.Errorf("an SQLite database with %d tables but no %s table", len(tables), gooseTable)}
		}
		return nil // an empty database: migrate it
	}
	var v int64
	if err := db.QueryRowContext(ctx, "SELECT coalesce(max(version_id), 0) FROM "+gooseTable).Scan(&v); err != nil {
		return classify(path, busy, fmt.Errorf("read schema version: %w", err))
	}
	if v > known {
		return &SchemaTooNewError{Path: path, Version: v, Known: known}
	}
	return nil
}

// checkHeader rejects a file that is not SQLite 3, and one shorter than its
// header says (truncated), unless a write-ahead log may still hold pages.
func checkHeader(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	var h [100]byte
	if _, err := io.ReadFull(f, h[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return fmt.Errorf("%d bytes, shorter than an SQLite header", fi.Size())
		}
		return err
	}
	if !bytes.Equal(h[:16], []byte(sqliteMagic)) {
		return errors.New("not an SQLite 3 database (bad header)")
	}
	pageSize := int64(binary.BigEndian.Uint16(h[16:18]))
	if pageSize == 1 {
		pageSize = 65536
	}
	if pageSize < 512 || pageSize&(pageSize-1) != 0 {
		return fmt.Errorf("invalid page size %d in the header", pageSize)
	}
	if wal, err := os.Stat(path + "-wal"); err == nil && wal.Size() > 0 {
		return nil // pages may live in the log; SQLite checks the rest
	}
	if fi.Size()%pageSize != 0 {
		return fmt.Errorf("size %d is not a multiple of the page size %d (truncated?)", fi.Size(), pageSize)
	}
	pages := int64(binary.BigEndian.Uint32(h[28:32]))
	changeCounter := binary.BigEndian.Uint32(h[24:28])
	validFor := binary.BigEndian.Uint32(h[92:96])
	if pages > 0 && changeCounter == validFor && fi.Size() < pages*pageSize {
		return fmt.Errorf("size %d is shorter than the %d pages of %d bytes its header records (truncated)", fi.Size(), pages, pageSize)
	}
	return nil
}
