package observe

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// FollowInterval is how often Follow looks for new records.
const FollowInterval = 200 * time.Millisecond

// maxLine bounds one log line; longer lines are skipped.
const maxLine = 4 << 20

// Record is one log line as Query reads it back.
type Record struct {
	Time          time.Time      `json:"time"`
	Level         slog.Level     `json:"level"`
	Msg           string         `json:"msg"`
	CorrelationID string         `json:"correlation_id,omitempty"`
	Operation     string         `json:"operation,omitempty"`
	Subsys        string         `json:"subsys,omitempty"`
	DurationMS    float64        `json:"duration_ms,omitempty"`
	Err           string         `json:"err,omitempty"`
	Attrs         map[string]any `json:"attrs,omitempty"` // every other key
}

// Filter selects records. Zero fields select everything, except Level:
// its zero value is info, so pass slog.LevelDebug to see debug records.
type Filter struct {
	Since       time.Time  // records at or after this time
	Level       slog.Level // minimum level
	Op          string     // operation or subsystem equal to this
	Correlation string     // correlation id equal to this
	Grep        string     // text anywhere in the record, case-insensitive
	Limit       int        // the newest N (0: all)
}

// Match reports whether rec (read from line) passes the filter; Limit
// is not applied.
func (f Filter) match(rec Record, line []byte) bool {
	if !f.Since.IsZero() && rec.Time.Before(f.Since) {
		return false
	}
	if rec.Level < f.Level {
		return false
	}
	if f.Op != "" && rec.Operation != f.Op && rec.Subsys != f.Op {
		return false
	}
	if f.Correlation != "" && rec.CorrelationID != f.Correlation {
		return false
	}
	if f.Grep != "" && !containsFold(line, f.Grep) {
		return false
	}
	return true
}

func containsFold(line []byte, s string) bool {
	return bytes.Contains(bytes.ToLower(line), []byte(strings.ToLower(s)))
}

// parseRecord decodes one JSON line; ok is false for a torn or foreign line.
func parseRecord(line []byte) (Record, bool) {
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		return Record{}, false
	}
	var rec Record
	ts, _ := m[slog.TimeKey].(string)
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return Record{}, false
	}
	rec.Time = t
	lv, _ := m[slog.LevelKey].(string)
	if err := rec.Level.UnmarshalText([]byte(lv)); err != nil {
		return Record{}, false
	}
	rec.Msg, _ = m[slog.MessageKey].(string)
	rec.CorrelationID, _ = m[KeyCorrelationID].(string)
	rec.Operation, _ = m[KeyOperation].(string)
	rec.Subsys, _ = m[KeySubsys].(string)
	rec.DurationMS, _ = m[KeyDurationMS].(float64)
	if e, ok := m[KeyErr]; ok {
		if s, isStr := e.(string); isStr {
			rec.Err = s
		} else {
			rec.Err = fmt.Sprint(e)
		}
	}
	for _, k := range []string{slog.TimeKey, slog.LevelKey, slog.MessageKey, KeyCorrelationID, KeyOperation, KeySubsys, KeyDurationMS, KeyErr} {
		delete(m, k)
	}
	if len(m) > 0 {
		rec.Attrs = m
	}
	return rec, true
}

// Query reads the records of dir that pass f: the rotated files, then the
// current one, sorted by time (newest last), the newest f.Limit of them.
// Lines that do not decode (a torn last line of a crashed writer) are
// skipped. A missing directory has no records.
func Query(dir string, f Filter) ([]Record, error) {
	files, err := rotatedFiles(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return []Record{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list log files: %w", err)
	}
	var out []Record
	keep := func(rec Record) { out = append(out, rec) }
	for _, r := range files {
		// the name is the time of the file's last write
		if !f.Since.IsZero() && r.stamp.Add(time.Second).Before(f.Since) {
			continue
		}
		if err := readFile(filepath.Join(dir, r.name), f, keep); err != nil {
			return nil, err
		}
	}
	if err := readFile(filepath.Join(dir, LogFile), f, keep); err != nil {
		return nil, err
	}
	return newest(out, f.Limit), nil
}

// newest sorts records by time (stable) and keeps the last limit.
func newest(recs []Record, limit int) []Record {
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].Time.Before(recs[j].Time) })
	if limit > 0 && len(recs) > limit {
		recs = recs[len(recs)-limit:]
	}
	if recs == nil {
		recs = []Record{}
	}
	return recs
}

// readFile passes the matching records of one file to keep; a file
// rotated away or pruned meanwhile has none.
func readFile(path string, f Filter, keep func(Record)) error {
	fh, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read log file: %w", err)
	}
	defer func() { _ = fh.Close() }()
	t := tail{f: fh}
	return t.read(f, keep)
}

// tail reads complete lines from a file as it grows.
type tail struct {
	f       *os.File
	pending []byte // a line not yet ended by '\n'
}

// read reads to the current end of the file and passes the matching
// records of the complete lines to keep.
func (t *tail) read(f Filter, keep func(Record)) error {
	br := bufio.NewReaderSize(t.f, 64<<10)
	for {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 {
			if len(t.pending)+len(chunk) <= maxLine {
				t.pending = append(t.pending, chunk...)
			} else {
				t.pending = append(t.pending[:0], "\x00"...) // too long: poisoned, skipped
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err == nil {
			line := bytes.TrimSpace(t.pending)
			if rec, ok := parseRecord(line); ok && f.match(rec, line) {
				keep(rec)
			}
			t.pending = t.pending[:0]
			continue
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		return fmt.Errorf("read log file: %w", err)
	}
}

// Follow passes to fn the records Query would return, then every new
// record that passes f as it is written, checking every FollowInterval,
// across rotations, until ctx ends (it returns ctx.Err()).
func Follow(ctx context.Context, dir string, f Filter, fn func(Record)) error {
	p := filepath.Join(dir, LogFile)
	var t tail
	if fh, err := os.Open(p); err == nil {
		t.f = fh
	}
	defer func() {
		if t.f != nil {
			_ = t.f.Close()
		}
	}()
	var backlog []Record
	keep := func(rec Record) { backlog = append(backlog, rec) }
	files, err := rotatedFiles(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("list log files: %w", err)
	}
	var curInfo os.FileInfo
	if t.f != nil {
		if curInfo, err = t.f.Stat(); err != nil {
			return fmt.Errorf("stat log file: %w", err)
		}
	}
	for _, r := range files {
		rp := filepath.Join(dir, r.name)
		if fi, err := os.Stat(rp); err == nil && curInfo != nil && os.SameFile(fi, curInfo) {
			continue // rotated since we opened it: read below
		}
		if !f.Since.IsZero() && r.stamp.Add(time.Second).Before(f.Since) {
			continue
		}
		if err := readFile(rp, f, keep); err != nil {
			return err
		}
	}
	if t.f != nil {
		if err := t.read(f, keep); err != nil {
			return err
		}
	}
	for _, rec := range newest(backlog, f.Limit) {
		fn(rec)
	}
	tick := time.NewTicker(FollowInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		if err := t.poll(dir, f, fn); err != nil {
			return err
		}
	}
}

// poll reads what was appended, and when the file at p is a new one
// (rotation), finishes the old file, reads the files rotated after it
// (several rotations may fall between two polls) and switches to the new
// current file.
func (t *tail) poll(dir string, f Filter, fn func(Record)) error {
	p := filepath.Join(dir, LogFile)
	if t.f == nil {
		fh, err := os.Open(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read log file: %w", err)
		}
		t.f = fh
		return t.read(f, fn)
	}
	if err := t.read(f, fn); err != nil {
		return err
	}
	fi, err := t.f.Stat()
	if err != nil {
		return fmt.Errorf("stat log file: %w", err)
	}
	if pi, err := os.Stat(p); err != nil || os.SameFile(fi, pi) {
		return nil // unchanged, or rotated and not recreated yet
	}
	if err := t.read(f, fn); err != nil { // the rest of the rotated file
		return err
	}
	fh, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read log file: %w", err)
	}
	hi, err := fh.Stat()
	if err != nil {
		_ = fh.Close()
		return fmt.Errorf("stat log file: %w", err)
	}
	files, err := rotatedFiles(dir)
	if err != nil {
		_ = fh.Close()
		return fmt.Errorf("list log files: %w", err)
	}
	after := false
	for _, r := range files {
		rp := filepath.Join(dir, r.name)
		ri, err := os.Stat(rp)
		if err != nil {
			continue
		}
		switch {
		case os.SameFile(ri, fi):
			after = true
		case after && !os.SameFile(ri, hi):
			if err := readFile(rp, f, fn); err != nil {
				_ = fh.Close()
				return err
			}
		}
	}
	_ = t.f.Close()
	t.f, t.pending = fh, t.pending[:0]
	return t.read(f, fn)
}
