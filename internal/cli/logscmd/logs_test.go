package logscmd

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/proxmox-mpc/proxmox-mpc/internal/cmdutil"
	"github.com/proxmox-mpc/proxmox-mpc/internal/iostreams"
	"github.com/proxmox-mpc/proxmox-mpc/internal/observe"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden files")

func golden(t *testing.T, got string) {
	t.Helper()
	path := filepath.Join("testdata", strings.ReplaceAll(t.Name(), "/", "_")+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update): %v", err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, d)
	}
}

var now = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func TestParseSince(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    time.Time
		wantErr string
	}{
		{in: "30m", want: now.Add(-30 * time.Minute)},
		{in: "1h", want: now.Add(-time.Hour)},
		{in: "1h30m", want: now.Add(-90 * time.Minute)},
		{in: "2d", want: now.AddDate(0, 0, -2)},
		{in: "2026-11-25", want: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)},
		{in: "2026-11-26T09:00:00Z", want: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)},
		{in: "2026-11-26T09:00:00+01:00", want: time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)},
		{in: "-1h", wantErr: "must be positive"},
		{in: "yesterday", wantErr: `invalid --since "yesterday"`},
		{in: "2026-13-01", wantErr: "invalid --since"},
		{in: "", wantErr: "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseSince(tt.in, now)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseSince(%q) = %v, %v; want error %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) {
				t.Errorf("ParseSince(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func FuzzParseSince(f *testing.F) {
	for _, s := range []string{"30m", "1h", "2d", "2026-11-26", "2026-11-26T09:00:00Z", "-5m", "99999999d", "1e3h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseSince(s, now)
		if err != nil {
			if got != (time.Time{}) {
				t.Errorf("ParseSince(%q) returned %v with an error", s, got)
			}
			return
		}
		if _, derr := time.ParseDuration(strings.TrimSpace(s)); derr == nil && got.After(now) {
			t.Errorf("ParseSince(%q) = %v: a duration must lie before now", s, got)
		}
	})
}

func factory(ios *iostreams.IOStreams, format string) *cmdutil.Factory {
	return &cmdutil.Factory{IOStreams: ios, Now: func() time.Time { return now },
		Output: func() cmdutil.OutputOptions { return cmdutil.OutputOptions{Format: format} }}
}

func TestNewCmdLogsParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		format  string
		want    Options
		wantErr string
	}{
		{name: "defaults", args: nil, want: Options{Level: slog.LevelDebug, Limit: 200}},
		{name: "all flags", args: []string{"--since", "30m", "--level", "warn", "--op", "sync", "--correlation", "abc", "--grep", "vm/101", "--limit", "5", "-f"},
			want: Options{Since: now.Add(-30 * time.Minute), Level: slog.LevelWarn, Op: "sync", Correlation: "abc", Grep: "vm/101", Limit: 5, Follow: true}},
		{name: "follow json", args: []string{"--follow"}, format: "json", want: Options{Level: slog.LevelDebug, Limit: 200, Follow: true}},
		{name: "bad since", args: []string{"--since", "soon"}, wantErr: `invalid --since "soon"`},
		{name: "bad level", args: []string{"--level", "loud"}, wantErr: `invalid --level "loud"`},
		{name: "negative limit", args: []string{"--limit", "-1"}, wantErr: "--limit must be"},
		{name: "follow yaml", args: []string{"-f"}, format: "yaml", wantErr: "--follow prints a table or JSON lines"},
		{name: "argument", args: []string{"sync"}, wantErr: `unknown command "sync"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, _, _ := iostreams.Test()
			var got *Options
			cmd := NewCmdLogs(factory(ios, tt.format), func() (string, error) { return "/ws/.proxmox-mpc/logs", nil },
				func(_ context.Context, o *Options) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(io.Discard)
			cmd.SetErr(io.Discard)
			err := cmd.Execute()
			if tt.wantErr != "" {
				var fe *cmdutil.FlagError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if tt.name != "argument" && !errors.As(err, &fe) {
					t.Errorf("err %v is not a FlagError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if dir, _ := got.Dir(); dir != "/ws/.proxmox-mpc/logs" || got.IO != ios {
				t.Errorf("options not filled from the factory: %+v", got)
			}
			got.IO, got.Dir, got.Now, got.Output = nil, nil, nil, cmdutil.OutputOptions{}
			if d := cmp.Diff(tt.want, *got); d != "" {
				t.Errorf("options (-want +got):\n%s", d)
			}
		})
	}
}

// writeLogs logs a small session through the real file handler.
func writeLogs(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), ".proxmox-mpc", "logs")
	h, err := observe.OpenLogFile(dir, observe.FileOptions{Level: slog.LevelDebug})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = h.Close() }()
	log := slog.New(observe.Redact(observe.CorrelationHandler(h, "")))
	ctx := observe.WithCorrelation(context.Background(), "3f9a1c2b7d4e")
	at := func(min int, level slog.Level, msg string, attrs ...slog.Attr) {
		r := slog.NewRecord(now.Add(time.Duration(min)*time.Minute), level, msg, 0)
		r.AddAttrs(attrs...)
		if err := log.Handler().Handle(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	at(-90, slog.LevelInfo, "sync done", slog.String(observe.KeyOperation, "sync"), slog.Int("guests", 17), slog.Float64(observe.KeyDurationMS, 1200))
	at(-50, slog.LevelDebug, "pve api call", slog.String(observe.KeySubsys, "pve"), slog.String("method", "GET"), slog.String("path", "/nodes"), slog.Int("status", 200))
	at(-20, slog.LevelWarn, "login with PVEAPIToken=root@pam!ci=0e8d5f52-93c4-4f3c-8a0c-2b3c5d6e7f80 refused", slog.String(observe.KeySubsys, "pve"))
	at(-5, slog.LevelError, "start failed", slog.String(observe.KeyOperation, "start"), slog.Any(observe.KeyResources, []string{"vm/101"}),
		slog.Any(observe.KeyErr, errors.New("vm 101 is locked (backup)")))
	return dir
}

func TestLogsRun(t *testing.T) {
	t.Parallel()
	dir := writeLogs(t)
	tests := []struct {
		name   string
		format string
		tty    bool
		opts   Options
	}{
		{name: "tty", tty: true, opts: Options{Level: slog.LevelDebug, Limit: 200}},
		{name: "plain", opts: Options{Level: slog.LevelDebug, Limit: 200}},
		{name: "wide", format: "wide", tty: true, opts: Options{Level: slog.LevelInfo, Limit: 200}},
		{name: "json", format: "json", opts: Options{Level: slog.LevelWarn, Limit: 200}},
		{name: "since and limit", tty: true, opts: Options{Since: now.Add(-time.Hour), Level: slog.LevelDebug, Limit: 2}},
		{name: "op", tty: true, opts: Options{Level: slog.LevelDebug, Op: "sync", Limit: 200}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ios, _, out, errOut := iostreams.Test()
			ios.SetStdoutTTY(tt.tty)
			opts := tt.opts
			opts.IO, opts.Now = ios, func() time.Time { return now }
			opts.Dir = func() (string, error) { return dir, nil }
			opts.Output = cmdutil.OutputOptions{Format: tt.format}
			if err := logsRun(context.Background(), &opts); err != nil {
				t.Fatal(err)
			}
			if errOut.Len() > 0 {
				t.Errorf("stderr: %s", errOut)
			}
			golden(t, out.String())
		})
	}
}

func TestLogsRunOutsideWorkspace(t *testing.T) {
	t.Parallel()
	ios, _, _, _ := iostreams.Test()
	want := errors.New("no workspace here")
	opts := &Options{IO: ios, Now: func() time.Time { return now }, Dir: func() (string, error) { return "", want }}
	if err := logsRun(context.Background(), opts); !errors.Is(err, want) {
		t.Errorf("err = %v, want %v", err, want)
	}
}

// syncBuffer is stdout written by follow while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestLogsFollow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, format string
		want         []string
	}{
		{"json lines", "json", []string{`"msg":"start failed"`, `"msg":"later"`}},
		{"plain rows", "", []string{"2026-11-26T09:55:00Z\tERROR\tstart\tstart failed", "\tINFO\tlater\tlater"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := writeLogs(t)
			ios, _, _, _ := iostreams.Test()
			out := &syncBuffer{}
			ios.Out = out
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			opts := &Options{IO: ios, Now: func() time.Time { return now }, Dir: func() (string, error) { return dir, nil },
				Output: cmdutil.OutputOptions{Format: tt.format}, Level: slog.LevelInfo, Limit: 1, Follow: true}
			done := make(chan error, 1)
			go func() { done <- logsRun(ctx, opts) }()
			waitFor(t, out, tt.want[0])
			h, err := observe.OpenLogFile(dir, observe.FileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			slog.New(h).Info("later", observe.KeyOperation, "later")
			_ = h.Close()
			waitFor(t, out, tt.want[1])
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Errorf("follow returned %v, want context.Canceled", err)
			}
			if n := strings.Count(out.String(), "\n"); n != 2 {
				t.Errorf("%d lines, want 2:\n%s", n, out)
			}
		})
	}
}

func waitFor(t *testing.T, out *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("output never showed %q:\n%s", want, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
