package observe

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCorrelationHandler(t *testing.T) {
	t.Parallel()
	ctx := WithCorrelation(context.Background(), "abc123")
	tests := []struct {
		name     string
		fallback string
		log      func(*slog.Logger)
		want     map[string]any
	}{
		{"from the context", "", func(l *slog.Logger) { l.InfoContext(ctx, "x") },
			map[string]any{"level": "INFO", "msg": "x", "correlation_id": "abc123"}},
		{"context wins over fallback", "proc", func(l *slog.Logger) { l.InfoContext(ctx, "x") },
			map[string]any{"level": "INFO", "msg": "x", "correlation_id": "abc123"}},
		{"fallback without context", "proc", func(l *slog.Logger) { l.Info("x") },
			map[string]any{"level": "INFO", "msg": "x", "correlation_id": "proc"}},
		{"none", "", func(l *slog.Logger) { l.Info("x") },
			map[string]any{"level": "INFO", "msg": "x"}},
		{"explicit attribute kept", "proc", func(l *slog.Logger) { l.InfoContext(ctx, "x", KeyCorrelationID, "own") },
			map[string]any{"level": "INFO", "msg": "x", "correlation_id": "own"}},
		{"explicit With kept", "proc", func(l *slog.Logger) { l.With(KeyCorrelationID, "own").InfoContext(ctx, "x") },
			map[string]any{"level": "INFO", "msg": "x", "correlation_id": "own"}},
		{"top level under groups", "", func(l *slog.Logger) {
			l.With(KeySubsys, "pve").WithGroup("req").With("path", "/nodes").WithGroup("res").InfoContext(ctx, "x", "status", 200)
		}, map[string]any{"level": "INFO", "msg": "x", "correlation_id": "abc123", "subsys": "pve",
			"req": map[string]any{"path": "/nodes", "res": map[string]any{"status": float64(200)}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			tt.log(slog.New(CorrelationHandler(slog.NewJSONHandler(&buf, nil), tt.fallback)))
			var got map[string]any
			if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
				t.Fatalf("%q: %v", buf.String(), err)
			}
			delete(got, "time")
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("record (-want +got):\n%s", d)
			}
		})
	}
	if got := CorrelationID(context.Background()); got != "" {
		t.Errorf("CorrelationID of an empty context = %q", got)
	}
}

// TestCommandHandler: every record gets the current command as operation
// (unless it names one itself), with or without open groups.
func TestCommandHandler(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	op := "sync"
	log := slog.New(CommandHandler(slog.NewJSONHandler(&buf, nil), "cid1", func() string { return op }))
	log.Info("plain")
	log.Info("own", KeyOperation, "apply")
	log.WithGroup("g").Info("grouped", "k", 1)
	op = ""
	log.Info("no command")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{`"operation":"sync"`, `"operation":"apply"`, `"operation":"sync"`, ""}
	for i, w := range want {
		if w == "" {
			if strings.Contains(lines[i], `"operation"`) {
				t.Errorf("line %d has an operation: %s", i, lines[i])
			}
			continue
		}
		if !strings.Contains(lines[i], w) || strings.Count(lines[i], `"operation"`) != 1 || !strings.Contains(lines[i], `"correlation_id":"cid1"`) {
			t.Errorf("line %d = %s, want %s once and the correlation id", i, lines[i], w)
		}
	}
}
