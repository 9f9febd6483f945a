package observe

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"
)

func TestParseLevel(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]slog.Level{"debug": slog.LevelDebug, "INFO": slog.LevelInfo, " warn ": slog.LevelWarn, "warning": slog.LevelWarn, "error": slog.LevelError} {
		if got, ok := ParseLevel(in); !ok || got != want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	if _, ok := ParseLevel("loud"); ok {
		t.Error(`ParseLevel("loud") accepted`)
	}
}

func TestNewLoggerJSON(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := NewLogger(&buf, Options{Level: slog.LevelInfo, JSON: true})
	log.Debug("hidden")
	log.Info("sync done", KeyOperation, "sync", KeyDurationMS, 12)
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("one JSON record expected, got %q: %v", buf.String(), err)
	}
	if rec["msg"] != "sync done" || rec[KeyOperation] != "sync" || rec[KeyDurationMS] != float64(12) {
		t.Errorf("record = %v", rec)
	}
}

func TestNewCorrelationID(t *testing.T) {
	t.Parallel()
	a, b := NewCorrelationID(), NewCorrelationID()
	if len(a) != 12 || a == b {
		t.Errorf("correlation ids %q, %q: want 12 hex chars, distinct", a, b)
	}
}
