package tofu

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// recorded reads one of the real -json streams in testdata/ui (see
// testdata/README.md) and parses it.
func recorded(t testing.TB, name string) []Event {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "ui", name+".jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var events []Event
	if err := ParseUI(f, func(ev Event) { events = append(events, ev) }); err != nil {
		t.Fatal(err)
	}
	return events
}

// render is the golden form of events: one line each.
func render(events []Event) string {
	var b strings.Builder
	for _, ev := range events {
		fmt.Fprintf(&b, "%s", ev.Type)
		for _, kv := range [][2]string{
			{"address", ev.Address}, {"action", ev.Action}, {"severity", ev.Severity},
		} {
			if kv[1] != "" {
				fmt.Fprintf(&b, " %s=%s", kv[0], kv[1])
			}
		}
		if ev.Elapsed != 0 {
			fmt.Fprintf(&b, " elapsed=%s", ev.Elapsed)
		}
		if ev.File != "" {
			fmt.Fprintf(&b, " at=%s:%d", ev.File, ev.Line)
		}
		if s := ev.Summary; s != nil {
			fmt.Fprintf(&b, " summary=%s:+%d~%d-%d import=%d forget=%d", s.Operation, s.Add, s.Change, s.Remove, s.Import, s.Forget)
		}
		fmt.Fprintf(&b, " message=%q", ev.Message)
		if ev.Detail != "" {
			fmt.Fprintf(&b, " detail=%q", ev.Detail)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// TestParseUI parses every recording and compares it with its golden file.
func TestParseUI(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "ui", "*.jsonl"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no recordings in testdata/ui: %v", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".jsonl")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := render(recorded(t, name))
			golden := filepath.Join("testdata", "TestParseUI_"+name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseUIRecorded checks what the engine's callers rely on in each real
// recording: which resources finished and how, the summary, the errors.
// tofu works on independent resources in parallel, so the lists compare
// as sets; ordered lists apply_complete events that must come in that order.
func TestParseUIRecorded(t *testing.T) {
	t.Parallel()
	type done struct{ Address, Action string }
	type diag struct {
		Severity, Message, Address, File string
		Line                             int
	}
	tests := []struct {
		name     string
		planned  []done // planned_change, in order
		complete []done // apply_complete
		ordered  []done // a subsequence of the apply_complete events, in order
		errored  []string
		summary  *ChangeSummary
		diags    []diag
		progress bool // an apply_progress with a non-zero Elapsed
	}{
		{
			name:    "plan",
			planned: []done{{"terraform_data.web[1]", "create"}, {"terraform_data.db", "create"}, {"terraform_data.web[0]", "create"}, {"terraform_data.app", "create"}},
			summary: &ChangeSummary{Add: 4, Operation: "plan"},
			diags:   []diag{{SeverityWarning, "Check block assertion failed", "", "main.tf", 23}},
		},
		{
			name:    "apply",
			planned: []done{{"terraform_data.web[1]", "create"}, {"terraform_data.db", "create"}, {"terraform_data.web[0]", "create"}, {"terraform_data.app", "create"}},
			complete: []done{
				{"terraform_data.db", "create"}, {"terraform_data.web[1]", "create"},
				{"terraform_data.web[0]", "create"}, {"terraform_data.app", "create"},
			},
			summary:  &ChangeSummary{Add: 4, Operation: "apply"},
			diags:    []diag{{SeverityWarning, "Check block assertion failed", "", "main.tf", 23}},
			progress: true,
		},
		{
			name:    "plan-nochange",
			summary: &ChangeSummary{Operation: "plan"},
			diags:   []diag{{SeverityWarning, "Check block assertion failed", "", "main.tf", 23}},
		},
		{
			name: "plan-update",
			planned: []done{
				{"terraform_data.db", "update"}, {"terraform_data.web[0]", "update"}, {"terraform_data.web[1]", "delete"},
				{"terraform_data.cache", "create"}, {"terraform_data.app", "replace"},
			},
			summary: &ChangeSummary{Add: 2, Change: 2, Remove: 2, Operation: "plan"},
			diags:   []diag{{SeverityWarning, "Check block assertion failed", "", "main.tf", 23}},
		},
		{
			name: "apply-update",
			planned: []done{
				{"terraform_data.db", "update"}, {"terraform_data.web[0]", "update"}, {"terraform_data.web[1]", "delete"},
				{"terraform_data.cache", "create"}, {"terraform_data.app", "replace"},
			},
			complete: []done{
				{"terraform_data.web[1]", "delete"}, {"terraform_data.web[0]", "update"}, {"terraform_data.app", "delete"},
				{"terraform_data.cache", "create"}, {"terraform_data.db", "update"}, {"terraform_data.app", "create"},
			},
			ordered:  []done{{"terraform_data.app", "delete"}, {"terraform_data.app", "create"}},
			summary:  &ChangeSummary{Add: 2, Change: 2, Remove: 2, Operation: "apply"},
			diags:    []diag{{SeverityWarning, "Check block assertion failed", "", "main.tf", 23}},
			progress: true,
		},
		{
			name:    "destroy",
			planned: []done{{"terraform_data.app", "delete"}, {"terraform_data.cache", "delete"}, {"terraform_data.db", "delete"}, {"terraform_data.web[0]", "delete"}},
			complete: []done{
				{"terraform_data.app", "delete"}, {"terraform_data.cache", "delete"},
				{"terraform_data.db", "delete"}, {"terraform_data.web[0]", "delete"},
			},
			summary: &ChangeSummary{Remove: 4, Operation: "destroy"},
		},
		{
			name:    "plan-error",
			summary: &ChangeSummary{Operation: "plan"},
			diags:   []diag{{SeverityError, "Resource precondition failed", "", "main.tf", 11}},
		},
		{
			name:     "apply-error",
			planned:  []done{{"terraform_data.good", "create"}, {"terraform_data.bad", "create"}, {"terraform_data.broken", "create"}},
			complete: []done{{"terraform_data.good", "create"}, {"terraform_data.bad", "create"}},
			errored:  []string{"terraform_data.broken"},
			diags: []diag{
				{SeverityError, "local-exec provisioner error", "terraform_data.broken", "main.tf", 20},
				{SeverityError, "Resource postcondition failed", "", "main.tf", 11},
			},
		},
		{
			name:  "init",
			diags: nil,
		},
		{
			name:  "init-provider-missing",
			diags: []diag{{SeverityError, "Failed to query available provider packages", "", "", 0}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var planned, complete []done
			var errored []string
			var diags []diag
			var summary *ChangeSummary
			progress := false
			for _, ev := range recorded(t, tt.name) {
				switch ev.Type {
				case EventPlannedChange:
					planned = append(planned, done{ev.Address, ev.Action})
				case EventApplyComplete:
					complete = append(complete, done{ev.Address, ev.Action})
				case EventApplyErrored:
					errored = append(errored, ev.Address)
				case EventApplyProgress:
					progress = progress || ev.Elapsed >= 10*time.Second
				case EventDiagnostic:
					diags = append(diags, diag{ev.Severity, ev.Message, ev.Address, ev.File, ev.Line})
				case EventChangeSummary:
					summary = ev.Summary
				}
			}
			set := cmpopts.SortSlices(func(a, b any) bool { return fmt.Sprint(a) < fmt.Sprint(b) })
			for what, d := range map[string]string{
				"planned":  cmp.Diff(tt.planned, planned, set),
				"complete": cmp.Diff(tt.complete, complete, set),
				"errored":  cmp.Diff(tt.errored, errored, set),
				"diags":    cmp.Diff(tt.diags, diags, set),
				"summary":  cmp.Diff(tt.summary, summary),
			} {
				if d != "" {
					t.Errorf("%s (-want +got):\n%s", what, d)
				}
			}
			rest := complete
			for _, want := range tt.ordered {
				i := slices.Index(rest, want)
				if i < 0 {
					t.Errorf("apply_complete %v not after %v in %v", want, tt.ordered, complete)
					break
				}
				rest = rest[i+1:]
			}
			if progress != tt.progress {
				t.Errorf("apply_progress with elapsed >= 10s: %v, want %v", progress, tt.progress)
			}
		})
	}
}

// TestParseUILines covers what the recordings do not: unknown and missing
// types, lines that are not JSON, odd values.
func TestParseUILines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []Event
	}{
		{"empty", "", nil},
		{"blank lines", "\n  \n\r\n", nil},
		{
			"unknown type keeps its name and the resource",
			`{"@level":"info","@message":"x: Opening...","type":"ephemeral_action_started","hook":{"resource":{"addr":"ephemeral.x.y"},"action":"open"}}`,
			[]Event{{Type: "ephemeral_action_started", Address: "ephemeral.x.y", Action: "open", Message: "x: Opening..."}},
		},
		{
			"no type is a log line",
			`{"@level":"info","@message":"Initializing the backend..."}`,
			[]Event{{Type: EventLog, Message: "Initializing the backend..."}},
		},
		{
			"error log line",
			`{"@level":"error","@message":"boom","type":"log"}`,
			[]Event{{Type: EventLog, Message: "boom", Severity: SeverityError}},
		},
		{
			"not JSON",
			"Terraform has been successfully initialized!\r\n[1,2]\n{broken",
			[]Event{
				{Type: EventText, Message: "Terraform has been successfully initialized!"},
				{Type: EventText, Message: "[1,2]"},
				{Type: EventText, Message: "{broken"},
			},
		},
		{
			"wrong field types make a text event, not a failure",
			`{"type":"apply_complete","hook":{"elapsed_seconds":"ten"}}`,
			[]Event{{Type: EventText, Message: `{"type":"apply_complete","hook":{"elapsed_seconds":"ten"}}`}},
		},
		{
			"fractional, negative and huge elapsed",
			`{"type":"apply_progress","hook":{"resource":{"addr":"a.b"},"action":"create","elapsed_seconds":1.5}}
{"type":"apply_progress","hook":{"elapsed_seconds":-3}}
{"type":"apply_progress","hook":{"elapsed_seconds":1e300}}`,
			[]Event{
				{Type: EventApplyProgress, Address: "a.b", Action: "create", Elapsed: 1500 * time.Millisecond},
				{Type: EventApplyProgress},
				{Type: EventApplyProgress, Elapsed: time.Duration(1<<63 - 1)},
			},
		},
		{
			"diagnostic without a range",
			`{"@level":"error","@message":"Error: x","type":"diagnostic","diagnostic":{"severity":"error","summary":"x","detail":"y"}}`,
			[]Event{{Type: EventDiagnostic, Message: "x", Detail: "y", Severity: SeverityError}},
		},
		{
			"changes only count on a change_summary",
			`{"type":"outputs","changes":{"add":1}}`,
			[]Event{{Type: EventOutputs}},
		},
		{
			"terraform's change_summary has no forget",
			`{"@message":"Plan: 1 to add, 0 to change, 0 to destroy.","type":"change_summary","changes":{"add":1,"change":0,"import":0,"remove":0,"operation":"plan"}}`,
			[]Event{{Type: EventChangeSummary, Message: "Plan: 1 to add, 0 to change, 0 to destroy.", Summary: &ChangeSummary{Add: 1, Operation: "plan"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []Event
			if err := ParseUI(strings.NewReader(tt.in), func(ev Event) { got = append(got, ev) }); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseUIReadError(t *testing.T) {
	t.Parallel()
	r := io.MultiReader(strings.NewReader(`{"type":"version","@message":"v"}`+"\n"), iotest.ErrReader(io.ErrUnexpectedEOF))
	n := 0
	err := ParseUI(r, func(Event) { n++ })
	if n != 1 || err == nil || !strings.Contains(err.Error(), io.ErrUnexpectedEOF.Error()) {
		t.Errorf("ParseUI = %d events, %v; want 1 event and the read error", n, err)
	}
	if err := ParseUI(strings.NewReader(`{"type":"x"}`), nil); err != nil {
		t.Errorf("ParseUI with a nil fn: %v", err)
	}
}

// FuzzParseUI: any input parses without a panic, into at most one event
// per line, each with a type. Seeds: one real line of each message type,
// in testdata/fuzz/FuzzParseUI.
func FuzzParseUI(f *testing.F) {
	f.Add([]byte("not json\n{}\n[]\n{\"type\":7}"))
	f.Fuzz(func(t *testing.T, in []byte) {
		lines := bytes.Count(in, []byte("\n")) + 1
		n := 0
		err := ParseUI(bytes.NewReader(in), func(ev Event) {
			n++
			if ev.Type == "" {
				t.Errorf("event without a type: %+v", ev)
			}
			if ev.Elapsed < 0 {
				t.Errorf("negative elapsed: %+v", ev)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if n > lines {
			t.Errorf("%d events from %d lines", n, lines)
		}
	})
}

func BenchmarkParseUI(b *testing.B) {
	one, err := os.ReadFile(filepath.Join("testdata", "ui", "apply-update.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	in := bytes.Repeat(one, 100) // ~2,600 messages
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if err := ParseUI(bytes.NewReader(in), func(Event) {}); err != nil {
			b.Fatal(err)
		}
	}
}
