package observe

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// writeLogs lays out a rotated file and a current file ending in a torn line.
func writeLogs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	rotatedLines := `{"time":"2026-11-25T10:00:00Z","level":"INFO","msg":"sync done","correlation_id":"aaa111","operation":"sync","duration_ms":1200}
{"time":"2026-11-25T10:00:01Z","level":"DEBUG","msg":"pve api call","correlation_id":"aaa111","subsys":"pve","method":"GET","path":"/nodes","status":200}
not json at all
`
	currentLines := `{"time":"2026-11-26T09:00:00Z","level":"WARN","msg":"node pve2 unreachable","correlation_id":"bbb222","subsys":"inventory"}
{"time":"2026-11-26T09:30:00Z","level":"ERROR","msg":"start failed","correlation_id":"ccc333","operation":"start","err":"vm 101 is locked","err_type":"*pve.APIError","hint":"wait for the backup","resources":["vm/101"]}
{"time":"2026-11-26T09:31:00Z","level":"INFO","msg":"half a li`
	if err := os.WriteFile(filepath.Join(dir, "proxmox-mpc-20261125-100001.log"), []byte(rotatedLines), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, LogFile), []byte(currentLines), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestQuery(t *testing.T) {
	t.Parallel()
	dir := writeLogs(t)
	all := slog.LevelDebug
	tests := []struct {
		name string
		f    Filter
		want []string
	}{
		{"everything, oldest first", Filter{Level: all}, []string{"sync done", "pve api call", "node pve2 unreachable", "start failed"}},
		{"zero level is info", Filter{}, []string{"sync done", "node pve2 unreachable", "start failed"}},
		{"level warn", Filter{Level: slog.LevelWarn}, []string{"node pve2 unreachable", "start failed"}},
		{"since", Filter{Level: all, Since: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}, []string{"node pve2 unreachable", "start failed"}},
		{"op matches operation", Filter{Level: all, Op: "sync"}, []string{"sync done"}},
		{"op matches subsys", Filter{Level: all, Op: "pve"}, []string{"pve api call"}},
		{"correlation", Filter{Level: all, Correlation: "aaa111"}, []string{"sync done", "pve api call"}},
		{"grep is case-insensitive over attrs", Filter{Level: all, Grep: "VM/101"}, []string{"start failed"}},
		{"limit keeps the newest", Filter{Level: all, Limit: 2}, []string{"node pve2 unreachable", "start failed"}},
		{"nothing", Filter{Level: all, Grep: "nope"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			recs, err := Query(dir, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range recs {
				got = append(got, r.Msg)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("messages (-want +got):\n%s", d)
			}
		})
	}
	t.Run("fields", func(t *testing.T) {
		t.Parallel()
		recs, err := Query(dir, Filter{Correlation: "ccc333"})
		if err != nil {
			t.Fatal(err)
		}
		want := []Record{{Time: time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC), Level: slog.LevelError, Msg: "start failed",
			CorrelationID: "ccc333", Operation: "start", Err: "vm 101 is locked",
			Attrs: map[string]any{"err_type": "*pve.APIError", "hint": "wait for the backup", "resources": []any{"vm/101"}}}}
		if d := cmp.Diff(want, recs); d != "" {
			t.Errorf("records (-want +got):\n%s", d)
		}
	})
	t.Run("missing directory", func(t *testing.T) {
		t.Parallel()
		recs, err := Query(filepath.Join(dir, "nope"), Filter{})
		if err != nil || len(recs) != 0 {
			t.Errorf("Query = %v, %v; want no records", recs, err)
		}
	})
}

func BenchmarkQuery(b *testing.B) {
	dir := b.TempDir()
	h, err := OpenLogFile(dir, FileOptions{Level: slog.LevelDebug, MaxFiles: 1000})
	if err != nil {
		b.Fatal(err)
	}
	log := slog.New(h)
	for i := range 10000 {
		log.Debug("pve api call", KeyMethod, "GET", KeyPath, "/nodes/pve1/qemu/101/config", KeyStatus, 200, "i", i)
	}
	_ = h.Close()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Query(dir, Filter{Level: slog.LevelDebug, Limit: 200}); err != nil {
			b.Fatal(err)
		}
	}
}
