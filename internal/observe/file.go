package observe

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Log file names inside the log directory.
const (
	LogFile     = "proxmox-mpc.log"
	lockFile    = "proxmox-mpc.log.lock"
	rotatedPfx  = "proxmox-mpc-"
	rotatedExt  = ".log"
	stampLayout = "20060102-150405"
	// staleLock: a rotation lock older than this was left by a crashed
	// process and is taken over.
	staleLock = 30 * time.Second
)

// Defaults of FileOptions.
const (
	DefaultMaxBytes = 10 << 20
	DefaultMaxAge   = 14 // days
	DefaultMaxFiles = 20
)

// FileOptions configures OpenLogFile. Zero fields take the defaults.
type FileOptions struct {
	MaxBytes int64 // rotate when the current file would grow past this (default 10 MiB)
	MaxAge   int   // delete rotated files older than this many days (default 14)
	MaxFiles int   // keep at most this many rotated files (default 20)
	Level    slog.Leveler
	Now      func() time.Time // clock (default time.Now)
}

// FileHandler is a slog.Handler writing JSON lines to dir/proxmox-mpc.log,
// rotated by size and by UTC day. Several processes may append to the same
// directory at once: each record is one O_APPEND write; rotation renames
// the file (atomic) under a lock file taken with O_EXCL, and a writer
// whose file was renamed reopens the new one before its next record, so
// no record is lost (a record may land in the just-rotated file).
type FileHandler struct {
	h slog.Handler
	w *rotator
}

var _ slog.Handler = (*FileHandler)(nil)

// OpenLogFile creates dir (0700) and opens dir/proxmox-mpc.log (0600) for
// appending.
func OpenLogFile(dir string, opts FileOptions) (*FileHandler, error) {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = DefaultMaxAge
	}
	if opts.MaxFiles <= 0 {
		opts.MaxFiles = DefaultMaxFiles
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Level == nil {
		opts.Level = slog.LevelInfo
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create log directory: %w", err)
	}
	w := &rotator{dir: dir, opts: opts}
	if err := w.open(); err != nil {
		return nil, err
	}
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: opts.Level, ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.TimeKey && a.Value.Kind() == slog.KindTime {
			return slog.Time(slog.TimeKey, a.Value.Time().UTC())
		}
		return a
	}})
	return &FileHandler{h: h, w: w}, nil
}

// Close closes the file.
func (h *FileHandler) Close() error { return h.w.close() }

// rotator is the io.Writer under the JSON handler.
type rotator struct {
	dir  string
	opts FileOptions

	mu sync.Mutex
	f  *os.File
}

func (w *rotator) path() string { return filepath.Join(w.dir, LogFile) }

func (w *rotator) open() error {
	f, err := os.OpenFile(w.path(), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	w.f = f
	return nil
}

func (w *rotator) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

// Write appends one record, rotating first when it is due.
func (w *rotator) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return 0, errors.New("log file closed")
	}
	if err := w.prepare(len(p)); err != nil {
		return 0, err
	}
	return w.f.Write(p)
}

// prepare makes w.f the current file at the path and rotates it when the
// next n bytes would pass MaxBytes or its last write was on another UTC day.
func (w *rotator) prepare(n int) error {
	fi, err := w.f.Stat()
	if err != nil {
		return fmt.Errorf("stat log file: %w", err)
	}
	pi, err := os.Stat(w.path())
	if err != nil || !os.SameFile(fi, pi) {
		// renamed (rotated) by another process, or removed: reopen
		if err := w.reopen(); err != nil {
			return err
		}
		if fi, err = w.f.Stat(); err != nil {
			return fmt.Errorf("stat log file: %w", err)
		}
	}
	now := w.opts.Now().UTC()
	if fi.Size() == 0 {
		return nil
	}
	if fi.Size()+int64(n) <= w.opts.MaxBytes && sameDay(fi.ModTime().UTC(), now) {
		return nil
	}
	if err := w.rotate(fi, fi.ModTime().UTC(), now); err != nil {
		return err
	}
	return w.reopen()
}

func (w *rotator) reopen() error {
	_ = w.f.Close()
	return w.open()
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// rotate renames the current file to proxmox-mpc-YYYYMMDD-HHMMSS.log, the
// UTC time of its last write (-N.log when that name exists), under the
// lock file, then prunes old files. When another process holds the lock,
// it leaves the rotation to it.
func (w *rotator) rotate(cur os.FileInfo, last, now time.Time) error {
	unlock, ok := w.lock(now)
	if !ok {
		return nil
	}
	defer unlock()
	pi, err := os.Stat(w.path())
	if err != nil || !os.SameFile(cur, pi) {
		return nil // someone else rotated it already
	}
	// the next sequence number of this second, so that names sort in
	// rotation order even after pruning
	stamp := last.Format(stampLayout)
	files, err := rotatedFiles(w.dir)
	if err != nil {
		return fmt.Errorf("list log files: %w", err)
	}
	seq := -1
	for _, r := range files {
		if r.stamp.Format(stampLayout) == stamp && r.seq > seq {
			seq = r.seq
		}
	}
	name := rotatedPfx + stamp + rotatedExt
	if seq >= 0 {
		name = rotatedPfx + stamp + "-" + strconv.Itoa(seq+1) + rotatedExt
	}
	if err := os.Rename(w.path(), filepath.Join(w.dir, name)); err != nil {
		return fmt.Errorf("rotate log file: %w", err)
	}
	return w.prune(now)
}

// lock takes the rotation lock (O_EXCL create); a lock older than
// staleLock is taken over.
func (w *rotator) lock(now time.Time) (func(), bool) {
	p := filepath.Join(w.dir, lockFile)
	for attempt := 0; attempt < 2; attempt++ {
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			_, _ = fmt.Fprintf(f, "%d\n", os.Getpid())
			_ = f.Close()
			return func() { _ = os.Remove(p) }, true
		}
		fi, serr := os.Stat(p)
		if serr != nil || now.Sub(fi.ModTime()) < staleLock {
			return nil, false
		}
		_ = os.Remove(p)
	}
	return nil, false
}

// rotated is one rotated file.
type rotated struct {
	name  string
	stamp time.Time
	seq   int
}

// parseRotated reads proxmox-mpc-YYYYMMDD-HHMMSS[-N].log.
func parseRotated(name string) (rotated, bool) {
	rest, ok := strings.CutPrefix(name, rotatedPfx)
	if !ok {
		return rotated{}, false
	}
	rest, ok = strings.CutSuffix(rest, rotatedExt)
	if !ok || len(rest) < len(stampLayout) {
		return rotated{}, false
	}
	t, err := time.Parse(stampLayout, rest[:len(stampLayout)])
	if err != nil {
		return rotated{}, false
	}
	r := rotated{name: name, stamp: t}
	if tail := rest[len(stampLayout):]; tail != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tail, "-"))
		if !strings.HasPrefix(tail, "-") || err != nil || n < 1 {
			return rotated{}, false
		}
		r.seq = n
	}
	return r, true
}

// rotatedFiles lists the rotated files of dir, oldest first.
func rotatedFiles(dir string) ([]rotated, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []rotated
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		if r, ok := parseRotated(e.Name()); ok {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].stamp.Equal(out[j].stamp) {
			return out[i].stamp.Before(out[j].stamp)
		}
		return out[i].seq < out[j].seq
	})
	return out, nil
}

// prune deletes rotated files beyond MaxFiles (oldest first) and those
// rotated more than MaxAge days ago.
func (w *rotator) prune(now time.Time) error {
	files, err := rotatedFiles(w.dir)
	if err != nil {
		return fmt.Errorf("list log files: %w", err)
	}
	cutoff := now.AddDate(0, 0, -w.opts.MaxAge)
	extra := len(files) - w.opts.MaxFiles
	for i, r := range files {
		if i < extra || r.stamp.Before(cutoff) {
			if err := os.Remove(filepath.Join(w.dir, r.name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("remove old log file: %w", err)
			}
		}
	}
	return nil
}

// Enabled reports whether the level is logged.
func (h *FileHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.h.Enabled(ctx, l) }

// Handle writes the record as one JSON line.
func (h *FileHandler) Handle(ctx context.Context, r slog.Record) error { return h.h.Handle(ctx, r) }

// WithAttrs returns a handler writing to the same file.
func (h *FileHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &FileHandler{h: h.h.WithAttrs(as), w: h.w}
}

// WithGroup returns a handler writing to the same file.
func (h *FileHandler) WithGroup(name string) slog.Handler {
	return &FileHandler{h: h.h.WithGroup(name), w: h.w}
}
