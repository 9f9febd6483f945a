package observe

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func openTest(t testing.TB, dir string, opts FileOptions) *slog.Logger {
	t.Helper()
	h, err := OpenLogFile(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return slog.New(h)
}

func logNames(t *testing.T, dir string) []string {
	t.Helper()
	files, err := rotatedFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range files {
		names = append(names, r.name)
	}
	return names
}

func TestOpenLogFileModes(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "ws", ".proxmox-mpc", "logs")
	log := openTest(t, dir, FileOptions{})
	log.Debug("hidden")
	log.Info("sync done", KeyOperation, "sync")
	for p, want := range map[string]os.FileMode{dir: 0o700 | os.ModeDir, filepath.Join(dir, LogFile): 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode(), want)
		}
	}
	recs, err := Query(dir, Filter{Level: slog.LevelDebug})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Msg != "sync done" || recs[0].Operation != "sync" || recs[0].Time.Location() != time.UTC {
		t.Errorf("records = %+v", recs)
	}
}

func TestRotationBySizeAndRetention(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		maxFiles  int
		wantFiles int
	}{
		{"all kept", 100, 9},
		{"max files", 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			log := openTest(t, dir, FileOptions{MaxBytes: 1000, MaxFiles: tt.maxFiles})
			for i := range 50 {
				log.Info("record", "i", i, "pad", strings.Repeat("x", 100))
			}
			names := logNames(t, dir)
			if len(names) != tt.wantFiles {
				t.Errorf("rotated files %v, want %d", names, tt.wantFiles)
			}
			for _, n := range append(names, LogFile) {
				fi, err := os.Stat(filepath.Join(dir, n))
				if err != nil {
					t.Fatal(err)
				}
				if fi.Size() > 1000 {
					t.Errorf("%s has %d bytes, over MaxBytes", n, fi.Size())
				}
			}
			recs, err := Query(dir, Filter{})
			if err != nil {
				t.Fatal(err)
			}
			// newest last, none lost among the files kept
			first := int(recs[0].Attrs["i"].(float64))
			for k, r := range recs {
				if got := int(r.Attrs["i"].(float64)); got != first+k {
					t.Fatalf("record %d has i=%d, want %d", k, got, first+k)
				}
			}
			if last := int(recs[len(recs)-1].Attrs["i"].(float64)); last != 49 || (tt.maxFiles == 100 && first != 0) {
				t.Errorf("records i=%d..%d", first, last)
			}
		})
	}
}

func TestRotationByDayAndAge(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	now := time.Date(2026, 11, 26, 0, 0, 5, 0, time.UTC)
	// a file rotated 20 days ago: beyond MaxAge 14, pruned at the next rotation
	old := filepath.Join(dir, "proxmox-mpc-20261106-120000.log")
	if err := os.WriteFile(old, []byte("{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	log := openTest(t, dir, FileOptions{Now: func() time.Time { return now }})
	log.Info("yesterday")
	yesterday := time.Date(2026, 11, 25, 23, 59, 58, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(dir, LogFile), yesterday, yesterday); err != nil {
		t.Fatal(err)
	}
	log.Info("today")
	names := logNames(t, dir)
	if len(names) != 1 || names[0] != "proxmox-mpc-20261125-235958.log" {
		t.Fatalf("rotated files %v, want the one of yesterday", names)
	}
	data, err := os.ReadFile(filepath.Join(dir, LogFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"today"`) || strings.Contains(string(data), "yesterday") {
		t.Errorf("current file: %s", data)
	}
}

func TestStaleLockTakenOver(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	lock := filepath.Join(dir, lockFile)
	if err := os.WriteFile(lock, []byte("1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	long := time.Now().Add(-time.Hour)
	if err := os.Chtimes(lock, long, long); err != nil {
		t.Fatal(err)
	}
	log := openTest(t, dir, FileOptions{MaxBytes: 200})
	for range 5 {
		log.Info("record", "pad", strings.Repeat("x", 100))
	}
	if n := len(logNames(t, dir)); n == 0 {
		t.Error("no rotation with a stale lock file")
	}
	if _, err := os.Stat(lock); !os.IsNotExist(err) {
		t.Errorf("lock file left behind: %v", err)
	}
}

// TestConcurrentWriters: several writers with their own file handles (as
// several processes have) append and rotate the same directory at once;
// every record is there exactly once.
func TestConcurrentWriters(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const writers, each = 8, 200
	var wg sync.WaitGroup
	for w := range writers {
		log := openTest(t, dir, FileOptions{MaxBytes: 4096, MaxFiles: 10000})
		wg.Go(func() {
			for i := range each {
				log.Info("record", "id", fmt.Sprintf("%d-%d", w, i))
			}
		})
	}
	wg.Wait()
	recs, err := Query(dir, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, r := range recs {
		seen[r.Attrs["id"].(string)]++
	}
	for w := range writers {
		for i := range each {
			if id := fmt.Sprintf("%d-%d", w, i); seen[id] != 1 {
				t.Errorf("record %s seen %d times", id, seen[id])
			}
		}
	}
	if len(logNames(t, dir)) < 2 {
		t.Error("no rotation happened; the test proves nothing")
	}
}

func TestFollowAcrossRotation(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	log := openTest(t, dir, FileOptions{MaxBytes: 600})
	for i := range 3 {
		log.Info("before", "i", i)
	}
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan Record, 100)
	done := make(chan error, 1)
	go func() {
		done <- Follow(ctx, dir, Filter{Limit: 2, Grep: "BEFORE"}, func(r Record) { got <- r })
	}()
	want := []string{"before 1", "before 2"}
	for i := range 3 {
		want = append(want, fmt.Sprintf("before %d", 10+i))
	}
	next := func() Record {
		select {
		case r := <-got:
			return r
		case <-time.After(10 * time.Second):
			t.Fatal("no record from Follow")
		}
		return Record{}
	}
	for k, w := range want {
		if k == 2 {
			for i := range 3 {
				log.Info("before", "i", 10+i, "pad", strings.Repeat("y", 200))
				log.Info("other")
			}
		}
		r := next()
		if s := fmt.Sprintf("%s %v", r.Msg, r.Attrs["i"]); s != w {
			t.Errorf("record %d = %q, want %q", k, s, w)
		}
	}
	if len(logNames(t, dir)) == 0 {
		t.Error("no rotation happened; the test proves nothing")
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Follow returned %v, want context.Canceled", err)
	}
}

func BenchmarkFileHandler(b *testing.B) {
	log := slog.New(Redact(CorrelationHandler(mustOpen(b, b.TempDir()), "bench")))
	b.ReportAllocs()
	for b.Loop() {
		log.Debug("pve api call", KeyMethod, "GET", KeyPath, "/nodes/pve1/qemu/101/config", KeyStatus, 200, KeyDurationMS, 1.25)
	}
}

func mustOpen(b *testing.B, dir string) slog.Handler {
	h, err := OpenLogFile(dir, FileOptions{Level: slog.LevelDebug, MaxFiles: 1000})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = h.Close() })
	return h
}
